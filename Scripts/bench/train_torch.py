"""The peer of `bertin bench train`: transformers' RobertaForMaskedLM (train mode, dropout 0.1, 15% masking
80/10/10 on random rows) or GPTJForCausalLM (--model gptj: dropout 0 as BERTIN-GPT-J, every next token a
label) + torch.optim.AdamW, full training steps (forward, backward, optimizer) timed after warm-up steps.
--compile wraps the model in torch.compile (inductor). --labelled-head (RoBERTa) runs the encoder, then the LM
head only on the labelled 15% of positions, as a skilled user's eager training loop would (the head's C x V
product on every position is most of what the stock model wastes). Prints one JSON line. Pinned: Scripts/reference/requirements.txt."""
import argparse
import json
import resource
import time

import torch
from transformers import GPTJConfig, GPTJForCausalLM, RobertaConfig, RobertaForMaskedLM

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="roberta", choices=["roberta", "gptj"])
parser.add_argument("--rotary-dim", type=int, default=64)
parser.add_argument("--compile", action="store_true")
parser.add_argument("--labelled-head", action="store_true")
for name, default in [("hidden", 768), ("layers", 12), ("heads", 12), ("intermediate", 3072), ("vocabulary", 50265),
                      ("sequence-length", 128), ("batch", 8), ("warmup", 1), ("steps", 3), ("threads", 1)]:
    parser.add_argument(f"--{name}", type=int, default=default)
args = parser.parse_args()
if args.labelled_head and (args.model != "roberta" or args.compile):
    parser.error("--labelled-head is the eager RoBERTa set-up")
torch.set_num_threads(args.threads)
torch.manual_seed(1)
if args.model == "roberta":
    config = RobertaConfig(vocab_size=args.vocabulary, hidden_size=args.hidden, num_hidden_layers=args.layers,
                           num_attention_heads=args.heads, intermediate_size=args.intermediate,
                           max_position_embeddings=args.sequence_length + 2, type_vocab_size=1, layer_norm_eps=1e-5)
    model = RobertaForMaskedLM(config).train()
    decays = lambda n, p: not (n.endswith("bias") or "LayerNorm.weight" in n or "layer_norm.weight" in n)
    settings = dict(betas=(0.9, 0.98), eps=1e-6)
else:
    config = GPTJConfig(vocab_size=args.vocabulary, n_embd=args.hidden, n_layer=args.layers, n_head=args.heads, n_inner=args.intermediate,
                        rotary_dim=args.rotary_dim, n_positions=args.sequence_length, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPTJForCausalLM(config).train()
    decays = lambda n, p: p.ndim > 1
    settings = dict(betas=(0.9, 0.999), eps=1e-8)
decay = [p for n, p in model.named_parameters() if decays(n, p)]
no_decay = [p for n, p in model.named_parameters() if not decays(n, p)]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-4, **settings)
forward = torch.compile(model) if args.compile else model


def batch():
    ids = torch.randint(5, args.vocabulary, (args.batch, args.sequence_length))
    if args.model == "gptj":
        return ids, ids.clone()
    ids[:, 0] = 0
    labels = ids.clone()
    chosen = (torch.rand(ids.shape) < 0.15) & (ids > 4)
    labels[~chosen] = -100
    replaced = chosen & (torch.rand(ids.shape) < 0.8)
    ids[replaced] = 4
    randomised = chosen & ~replaced & (torch.rand(ids.shape) < 0.5)
    ids[randomised] = torch.randint(args.vocabulary, ids.shape)[randomised]
    return ids, labels


def labelled_head_loss(ids, labels):
    hidden = model.roberta(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
    chosen = labels != -100
    logits = model.lm_head(hidden[chosen])
    return torch.nn.functional.cross_entropy(logits, labels[chosen])


def step(ids, labels):
    optimizer.zero_grad(set_to_none=True)
    if args.labelled_head:
        loss = labelled_head_loss(ids, labels)
    else:
        loss = forward(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels).loss
    loss.backward()
    optimizer.step()


for _ in range(args.warmup):
    step(*batch())
inputs = [batch() for _ in range(args.steps)]
start = time.perf_counter()
for ids, labels in inputs:
    step(ids, labels)
seconds = time.perf_counter() - start
print(json.dumps({"tokensPerSecond": args.steps * args.batch * args.sequence_length / seconds,
                  "secondsPerStep": seconds / args.steps,
                  "peakResidentMegabytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "parameters": sum(p.numel() for p in model.parameters())}))
