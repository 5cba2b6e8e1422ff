"""Reference for RobertaForMaskedLM: a small random model saved with save_pretrained, one padded
batch, and transformers' eval-mode logits, loss and every parameter gradient.

Writes Tests/ModelsTests/Fixtures/tiny-roberta/{config.json, model.safetensors} (the model, as
transformers saves it), tiny-roberta-bf16/ (the same weights saved in bfloat16) and
Tests/ModelsTests/Fixtures/tiny-roberta-expected.safetensors:
input_ids, attention_mask, labels (int64 [B, T]), position_ids (what transformers derives),
logits [B, T, V], loss [], and gradients.<state_dict name> for every trainable parameter.
Pinned packages: Scripts/reference/requirements.txt.
"""
import copy
import json
import pathlib

import torch
from safetensors.torch import save_file
from transformers import RobertaConfig, RobertaForMaskedLM

root = pathlib.Path(__file__).resolve().parents[2]
fixtures = root / "Tests/ModelsTests/Fixtures"
torch.manual_seed(2021)

config = RobertaConfig(
    vocab_size=96, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
    max_position_embeddings=34, type_vocab_size=1, layer_norm_eps=1e-5, hidden_act="gelu",
    pad_token_id=1, bos_token_id=0, eos_token_id=2,
)
model = RobertaForMaskedLM(config)
# Every parameter random (not the zero biases and unit LayerNorm weights of the default init) so a
# wrong wiring of any of them changes the numbers.
with torch.no_grad():
    for name, parameter in model.named_parameters():
        if name.endswith("LayerNorm.weight") or name.endswith("layer_norm.weight"):
            parameter.copy_(1 + 0.1 * torch.randn_like(parameter))
        elif name.endswith("bias"):
            parameter.copy_(0.05 * torch.randn_like(parameter))
        else:
            parameter.copy_(0.1 * torch.randn_like(parameter))
model.save_pretrained(fixtures / "tiny-roberta")
# The same weights as transformers saves them in bfloat16 (torch's round to nearest even): what
# `bertin convert --dtype bfloat16` must write, and a BF16 directory to import.
# (A copy: .to() converts in place, and the references below must come from the float32 weights.)
copy.deepcopy(model).to(torch.bfloat16).save_pretrained(fixtures / "tiny-roberta-bf16")

# Three rows of 16: full, padded at the end, and one with a pad in the middle (RoBERTa position ids
# come from input_ids, so that pad gets position 1 and later tokens keep counting).
B, T, V = 3, 16, config.vocab_size
input_ids = torch.randint(5, V, (B, T))
input_ids[:, 0] = 0
input_ids[0, T - 1] = 2
input_ids[1, 11] = 2
input_ids[1, 12:] = 1
input_ids[2, 6] = 1
input_ids[2, 13] = 2
input_ids[2, 14:] = 1
attention_mask = (input_ids != 1).long()
# The mid-row pad is attended to: its lookups of word row 1 and position row 1 then reach the loss,
# and nn.Embedding(padding_idx=1) must still give those rows no gradient.
attention_mask[2, 6] = 1
labels = torch.full((B, T), -100)
for row, column in [(0, 1), (0, 4), (0, 9), (0, 14), (1, 2), (1, 7), (1, 10), (2, 3), (2, 8), (2, 12)]:
    labels[row, column] = input_ids[row, column]
    input_ids[row, column] = 4 if column % 3 else input_ids[row, column]

model.eval()
output = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels)
output.loss.backward()
position_ids = model.roberta.embeddings.create_position_ids_from_input_ids(input_ids, padding_idx=1) \
    if hasattr(model.roberta.embeddings, "create_position_ids_from_input_ids") else None
if position_ids is None:
    mask = input_ids.ne(1).int()
    position_ids = (torch.cumsum(mask, dim=1) * mask).long() + 1

tensors = {
    "input_ids": input_ids, "attention_mask": attention_mask, "labels": labels,
    "position_ids": position_ids, "logits": output.logits.detach().contiguous(),
    "loss": output.loss.detach().reshape([]),
}
for name, parameter in model.named_parameters():
    tensors["gradients." + name] = parameter.grad.detach().contiguous()
save_file(tensors, fixtures / "tiny-roberta-expected.safetensors")
print(json.dumps({"loss": output.loss.item(), "parameters": [n for n, _ in model.named_parameters()]}, indent=1))
