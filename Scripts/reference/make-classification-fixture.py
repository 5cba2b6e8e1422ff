"""Reference for RobertaForTokenClassification and RobertaForSequenceClassification: small random
models saved with save_pretrained, one padded batch each, and transformers' eval-mode logits, loss
and every parameter gradient.

Writes Tests/ModelsTests/Fixtures/tiny-roberta-{token,sequence}/ (config.json with id2label and
model.safetensors, as transformers saves them) and tiny-roberta-{token,sequence}-expected.safetensors:
input_ids, attention_mask, labels (int64; [B, T] for tokens, [B] for sequences), logits, loss [] and
gradients.<state_dict name>. Pinned packages: Scripts/reference/requirements.txt.
"""
import pathlib

import torch
from safetensors.torch import save_file
from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaForTokenClassification

root = pathlib.Path(__file__).resolve().parents[2]
fixtures = root / "Tests/ModelsTests/Fixtures"


def config(labels):
    return RobertaConfig(
        vocab_size=96, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=34, type_vocab_size=1, layer_norm_eps=1e-5, hidden_act="gelu",
        pad_token_id=1, bos_token_id=0, eos_token_id=2,
        id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
    )


def randomise(model):
    # Every parameter random, so a wrong wiring of any of them changes the numbers.
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("LayerNorm.weight"):
                parameter.copy_(1 + 0.1 * torch.randn_like(parameter))
            elif name.endswith("bias"):
                parameter.copy_(0.05 * torch.randn_like(parameter))
            else:
                parameter.copy_(0.1 * torch.randn_like(parameter))


def rows():
    # Three rows of 16: full, padded at the end, and one with a pad in the middle.
    B, T = 3, 16
    input_ids = torch.randint(5, 96, (B, T))
    input_ids[:, 0] = 0
    input_ids[0, T - 1] = 2
    input_ids[1, 11] = 2
    input_ids[1, 12:] = 1
    input_ids[2, 6] = 1
    input_ids[2, 13] = 2
    input_ids[2, 14:] = 1
    attention_mask = (input_ids != 1).long()
    return input_ids, attention_mask


def save(name, model, input_ids, attention_mask, labels):
    model.save_pretrained(fixtures / name)
    model.eval()
    output = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels)
    output.loss.backward()
    tensors = {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels,
               "logits": output.logits.detach().contiguous(), "loss": output.loss.detach().reshape([])}
    for parameter_name, parameter in model.named_parameters():
        tensors["gradients." + parameter_name] = parameter.grad.detach().contiguous()
    save_file(tensors, fixtures / f"{name}-expected.safetensors")
    print(name, "loss", output.loss.item())


torch.manual_seed(2022)
token = RobertaForTokenClassification(config(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]))
randomise(token)
input_ids, attention_mask = rows()
labels = torch.randint(0, 5, input_ids.shape)
# run_ner's alignment: specials, padding and later sub-tokens carry -100.
labels[input_ids <= 2] = -100
labels[:, 3] = -100
labels[0, 7:9] = -100
save("tiny-roberta-token", token, input_ids, attention_mask, labels)

torch.manual_seed(2023)
sequence = RobertaForSequenceClassification(config(["negative", "neutral", "positive"]))
randomise(sequence)
input_ids, attention_mask = rows()
save("tiny-roberta-sequence", sequence, input_ids, attention_mask, torch.tensor([2, 0, 1]))
