"""Reference for GPTJForCausalLM: a small random model saved with save_pretrained (rotary_dim
smaller than the head size, every bias and LayerNorm weight non-trivial), one right-padded batch,
transformers' eval-mode logits, loss and every parameter gradient, and greedy generation.

Writes under Tests/ModelsTests/Fixtures/:
  tiny-gptj/{config.json, model.safetensors}            the model, as transformers saves it
  tiny-gptj-sharded/                                     the same weights in float16, sharded with an index
  tiny-gptj-expected.safetensors: input_ids, attention_mask, labels (int64 [B, T]), logits [B, T, V],
    loss [], gradients.<state_dict name>, prompt (int64 [1, P]) and greedy (int64 [N]: the new tokens
    of generate(do_sample=False, max_new_tokens=N)).
Pinned packages: Scripts/reference/requirements.txt.
"""
import copy
import pathlib

import torch
from safetensors.torch import save_file
from transformers import GPTJConfig, GPTJForCausalLM

root = pathlib.Path(__file__).resolve().parents[2]
fixtures = root / "Tests/ModelsTests/Fixtures"
torch.manual_seed(2021)

config = GPTJConfig(
    vocab_size=96, n_positions=32, n_embd=32, n_layer=2, n_head=4, rotary_dim=4, n_inner=None,
    activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
    layer_norm_epsilon=1e-5, bos_token_id=0, eos_token_id=2, pad_token_id=1, tie_word_embeddings=False,
)
model = GPTJForCausalLM(config).eval()
with torch.no_grad():
    for name, parameter in model.named_parameters():
        if name.endswith("ln_1.weight") or name.endswith("ln_f.weight"):
            parameter.copy_(1 + 0.1 * torch.randn_like(parameter))
        elif name.endswith("bias"):
            parameter.copy_(0.05 * torch.randn_like(parameter))
        else:
            parameter.copy_(0.3 * torch.randn_like(parameter))
model.save_pretrained(fixtures / "tiny-gptj")
# Sharded float16 copy: what published GPT-J checkpoints look like (index + several files).
# (A copy: .to() converts in place, and the references below must come from the float32 weights.)
copy.deepcopy(model).to(torch.float16).save_pretrained(fixtures / "tiny-gptj-sharded", max_shard_size="40KB")

# Three rows of 16: full, full, and right-padded after 11 tokens (labels -100 on the pads).
B, T = 3, 16
input_ids = torch.randint(3, config.vocab_size, (B, T))
attention_mask = torch.ones(B, T, dtype=torch.int64)
input_ids[2, 11:] = config.pad_token_id
attention_mask[2, 11:] = 0
labels = input_ids.clone()
labels[attention_mask == 0] = -100

output = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels)
output.loss.backward()
tensors = {
    "input_ids": input_ids, "attention_mask": attention_mask, "labels": labels,
    "logits": output.logits.detach(), "loss": output.loss.detach(),
}
for name, parameter in model.named_parameters():
    tensors["gradients." + name] = parameter.grad.detach().clone()

prompt = torch.randint(3, config.vocab_size, (1, 5))
with torch.no_grad():
    generated = model.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=False, max_new_tokens=20,
                               pad_token_id=config.pad_token_id, eos_token_id=None)
tensors["prompt"] = prompt
tensors["greedy"] = generated[0, prompt.shape[1]:].clone()
save_file({k: v.contiguous() for k, v in tensors.items()}, fixtures / "tiny-gptj-expected.safetensors")
print(f"loss {output.loss.item():.6f}, greedy {tensors['greedy'].tolist()}")
