"""The peer of Scripts/bench/sharding: transformers' GPTJForCausalLM (dropout 0, every next token a label) trained
with PyTorch FSDP over gloo on CPU ranks (launched by torchrun), each GPTJBlock its own FSDP unit, torch.optim.AdamW
(decay on matrices). --strategy: FULL_SHARD (ZeRO-3) or SHARD_GRAD_OP (ZeRO-2) through FSDP2's fully_shard
(reshard_after_forward True / False), or NO_SHARD (DDP) for the replicated baseline. One compute thread per rank,
random rows, full steps timed after warm-up. Rank 0 prints one JSON line: tokens/s per rank and every rank's peak
resident memory. Pinned: Scripts/reference/requirements.txt."""
import argparse
import json
import os
import resource
import time

import torch
import torch.distributed as dist
from transformers import GPTJConfig, GPTJForCausalLM
from transformers.models.gptj.modeling_gptj import GPTJBlock

parser = argparse.ArgumentParser()
parser.add_argument("--strategy", default="FULL_SHARD", choices=["FULL_SHARD", "SHARD_GRAD_OP", "NO_SHARD"])
parser.add_argument("--checkpointing", action="store_true", help="activation checkpointing of every block")
for name, default in [("hidden", 512), ("layers", 8), ("heads", 8), ("rotary-dim", 16), ("vocabulary", 8000),
                      ("sequence-length", 128), ("batch", 1), ("warmup", 2), ("steps", 6)]:
    parser.add_argument(f"--{name}", type=int, default=default)
args = parser.parse_args()
torch.set_num_threads(1)
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.manual_seed(1)
config = GPTJConfig(vocab_size=args.vocabulary, n_embd=args.hidden, n_layer=args.layers, n_head=args.heads,
                    rotary_dim=args.rotary_dim, n_positions=args.sequence_length, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
model = GPTJForCausalLM(config).train()
if args.checkpointing:
    model.gradient_checkpointing_enable()
if args.strategy == "NO_SHARD":
    model = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
else:
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    mesh = init_device_mesh("cpu", (world,))
    reshard = args.strategy == "FULL_SHARD"
    for module in model.modules():
        if isinstance(module, GPTJBlock):
            fully_shard(module, mesh=mesh, reshard_after_forward=reshard)
    fully_shard(model, mesh=mesh, reshard_after_forward=reshard)
decay = [p for p in model.parameters() if p.ndim > 1]
no_decay = [p for p in model.parameters() if p.ndim <= 1]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                              lr=1e-4, betas=(0.9, 0.999), eps=1e-8)


def step():
    ids = torch.randint(1, args.vocabulary, (args.batch, args.sequence_length))
    optimizer.zero_grad(set_to_none=True)
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    optimizer.step()


for _ in range(args.warmup):
    step()
dist.barrier()
start = time.perf_counter()
for _ in range(args.steps):
    step()
dist.barrier()
seconds = time.perf_counter() - start
peak = torch.tensor([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024], dtype=torch.float64)
peaks = [torch.zeros(1, dtype=torch.float64) for _ in range(world)]
dist.all_gather(peaks, peak)
if rank == 0:
    print(json.dumps({"strategy": args.strategy, "ranks": world, "tokens_per_second_per_rank": args.steps * args.batch * args.sequence_length / seconds,
                      "peak_rss_mib": [int(p.item()) >> 20 for p in peaks], "torch": torch.__version__}))
dist.destroy_process_group()
