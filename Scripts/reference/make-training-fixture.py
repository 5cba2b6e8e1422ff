"""End-to-end training reference in llm.c's manner (its test_gpt2: one batch, the loss, every
gradient, then ten optimizer steps on that batch), for both families: transformers computes the
model, torch.optim.AdamW updates it with the recipe's schedule, decay mask and clipping.

RoBERTa (BERTIN's optimizer): AdamW β 0.9/0.98, ε 1e-6, weight decay 0.01 on everything but biases
and LayerNorm weights, warmup 2 + linear decay to 0 over 10 steps (peak 1e-2), clipping at 1.0.
GPT-J (BERTIN-GPT-J's, mesh-transformer-jax's): β 0.9/0.999, ε 1e-8, weight decay 0.1 on
parameters with more than one dimension, warmup 2 + cosine decay to 1e-3 over 10 steps (peak
1e-2), clipping at 1.0. Clipping is optax.clip_by_global_norm's (scale by limit/norm when the
norm exceeds the limit), which both original stacks used, written out in torch; the schedules
are LambdaLRs. Dropout is 0 (random streams cannot be shared with torch), so train mode equals eval.

Writes under Tests/TrainingTests/Fixtures/:
  train-roberta/, train-gptj/               config.json + model.safetensors: the initial weights
  train-<family>-expected.safetensors:      input_ids, attention_mask, labels (int64 [B, T]),
    loss [] and gradients.<name> at the initial weights; per step (float32): losses [10], learning_rates [10],
    gradient_norms [10] (before clipping); final.<name>: every parameter after the ten updates.
Pinned packages: Scripts/reference/requirements.txt.
"""
import math
import pathlib

import torch
from safetensors.torch import save_file
from transformers import GPTJConfig, GPTJForCausalLM, RobertaConfig, RobertaForMaskedLM

root = pathlib.Path(__file__).resolve().parents[2]
fixtures = root / "Tests/TrainingTests/Fixtures"
STEPS, WARMUP, PEAK, CLIP = 10, 2, 1e-2, 1.0


def randomize(model, scale):
    """Every parameter random, so a wrong wiring of any of them changes the numbers."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith(("LayerNorm.weight", "layer_norm.weight", "ln_1.weight", "ln_f.weight")):
                parameter.copy_(1 + 0.1 * torch.randn_like(parameter))
            elif name.endswith("bias"):
                parameter.copy_(0.05 * torch.randn_like(parameter))
            else:
                parameter.copy_(scale * torch.randn_like(parameter))


def train(model, batch, decays, betas, eps, weight_decay, schedule, name):
    """Loss and gradients at the start, then STEPS updates on the same batch."""
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if decays(n, p)], "weight_decay": weight_decay},
              {"params": [p for n, p in named if not decays(n, p)], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=PEAK, betas=betas, eps=eps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    tensors = {key: value for key, value in batch.items()}
    losses, rates, norms = [], [], []
    model.train()
    for step in range(STEPS):
        optimizer.zero_grad()
        loss = model(**batch).loss
        loss.backward()
        if step == 0:
            tensors["loss"] = loss.detach()
            for n, p in named:
                tensors["gradients." + n] = p.grad.detach().clone()
        norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for _, p in named))
        if norm > CLIP:  # optax.clip_by_global_norm
            for _, p in named:
                p.grad.mul_(float(CLIP / norm))
        losses.append(loss.item())
        rates.append(scheduler.get_last_lr()[0])
        norms.append(norm.item())
        optimizer.step()
        scheduler.step()
    tensors["losses"] = torch.tensor(losses, dtype=torch.float32)
    tensors["learning_rates"] = torch.tensor(rates, dtype=torch.float32)
    tensors["gradient_norms"] = torch.tensor(norms, dtype=torch.float32)
    for n, p in named:
        tensors["final." + n] = p.detach().clone()
    save_file({k: v.contiguous() for k, v in tensors.items()}, fixtures / f"train-{name}-expected.safetensors")
    print(name, "losses", [round(x, 5) for x in losses], "norms", [round(x, 3) for x in norms])


def linear(step):
    return step / WARMUP if step < WARMUP else max(0.0, (STEPS - step) / (STEPS - WARMUP))


def cosine(step, final=1e-3):
    if step < WARMUP:
        return step / WARMUP
    t = min(step - WARMUP, STEPS - WARMUP) / (STEPS - WARMUP)
    return (final + (PEAK - final) * 0.5 * (1 + math.cos(math.pi * t))) / PEAK


torch.manual_seed(2021)
B, T = 4, 16

roberta_config = RobertaConfig(
    vocab_size=96, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
    max_position_embeddings=34, type_vocab_size=1, layer_norm_eps=1e-5, hidden_act="gelu",
    hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, pad_token_id=1, bos_token_id=0, eos_token_id=2,
)
roberta = RobertaForMaskedLM(roberta_config)
randomize(roberta, 0.1)
roberta.save_pretrained(fixtures / "train-roberta")
# Masked as BERTIN's collator would leave them: <s> first, a quarter of the tokens replaced by
# <mask> (4) and labelled, the last row padded after 10 tokens.
ids = torch.randint(5, 96, (B, T))
ids[:, 0] = 0
mask = torch.ones(B, T, dtype=torch.int64)
ids[3, 10:] = 1
mask[3, 10:] = 0
chosen = (torch.rand(B, T) < 0.25) & (mask == 1)
chosen[:, 0] = False
chosen[0, 3] = True
labels = torch.where(chosen, ids, torch.full_like(ids, -100))
ids = torch.where(chosen, torch.full_like(ids, 4), ids)
train(roberta, {"input_ids": ids, "attention_mask": mask, "labels": labels},
      decays=lambda n, p: not (n.endswith("bias") or n.endswith("LayerNorm.weight") or n.endswith("layer_norm.weight")),
      betas=(0.9, 0.98), eps=1e-6, weight_decay=0.01, schedule=linear, name="roberta")

gptj_config = GPTJConfig(
    vocab_size=96, n_positions=32, n_embd=32, n_layer=2, n_head=4, rotary_dim=4, n_inner=None,
    activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
    layer_norm_epsilon=1e-5, bos_token_id=0, eos_token_id=2, pad_token_id=1, tie_word_embeddings=False,
)
gptj = GPTJForCausalLM(gptj_config)
randomize(gptj, 0.3)
gptj.save_pretrained(fixtures / "train-gptj")
# Full rows, labels = inputs (the model shifts them), as prepared causal-LM rows are.
ids = torch.randint(3, 96, (B, T))
train(gptj, {"input_ids": ids, "attention_mask": torch.ones(B, T, dtype=torch.int64), "labels": ids.clone()},
      decays=lambda n, p: p.ndim > 1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1, schedule=cosine, name="gptj")
