"""The peer of `bertin bench train`: transformers' RobertaForMaskedLM + torch.optim.AdamW, full training
steps (forward, backward, optimizer) in train mode (dropout 0.1), 15% masking 80/10/10 on random rows,
timed after warm-up steps. Prints one JSON line. Pinned: Scripts/reference/requirements.txt."""
import argparse
import json
import resource
import time

import torch
from transformers import RobertaConfig, RobertaForMaskedLM

parser = argparse.ArgumentParser()
for name, default in [("hidden", 768), ("layers", 12), ("heads", 12), ("intermediate", 3072), ("vocabulary", 50265),
                      ("sequence-length", 128), ("batch", 8), ("warmup", 1), ("steps", 3), ("threads", 1)]:
    parser.add_argument(f"--{name}", type=int, default=default)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(1)
config = RobertaConfig(vocab_size=args.vocabulary, hidden_size=args.hidden, num_hidden_layers=args.layers,
                       num_attention_heads=args.heads, intermediate_size=args.intermediate,
                       max_position_embeddings=args.sequence_length + 2, type_vocab_size=1, layer_norm_eps=1e-5)
model = RobertaForMaskedLM(config).train()
decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "LayerNorm.weight" in n or "layer_norm.weight" in n)]
no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm.weight" in n or "layer_norm.weight" in n]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                              lr=1e-4, betas=(0.9, 0.98), eps=1e-6)


def batch():
    ids = torch.randint(5, args.vocabulary, (args.batch, args.sequence_length))
    ids[:, 0] = 0
    labels = ids.clone()
    chosen = (torch.rand(ids.shape) < 0.15) & (ids > 4)
    labels[~chosen] = -100
    replaced = chosen & (torch.rand(ids.shape) < 0.8)
    ids[replaced] = 4
    randomised = chosen & ~replaced & (torch.rand(ids.shape) < 0.5)
    ids[randomised] = torch.randint(args.vocabulary, ids.shape)[randomised]
    return ids, labels


def step(ids, labels):
    optimizer.zero_grad(set_to_none=True)
    loss = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels).loss
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
