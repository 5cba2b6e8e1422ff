#!/usr/bin/env python3
"""PyTorch's side of Scripts/bench/kernels: the same operations, shapes and nominal FLOP counts
as `bertin bench kernels`, forward + backward through autograd, median of N runs."""
import argparse
import json
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, required=True)
parser.add_argument("--repetitions", type=int, default=10)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(17)
tokens, channels, intermediate, heads, seq = 1024, 768, 3072, 12, 128


def uniform(*shape, scale=1.0):
    return ((torch.rand(*shape) * 2 - 1) * scale).requires_grad_(True)


def measure(operation, shape, flops, inputs, body):
    seed = torch.ones_like(body(*inputs))
    times = []
    for repetition in range(args.repetitions + 2):
        for x in inputs:
            x.grad = None
        start = time.perf_counter()
        body(*inputs).backward(seed)
        elapsed = time.perf_counter() - start
        if repetition >= 2:
            times.append(elapsed)
    times.sort()
    print(json.dumps({"operation": operation, "shape": shape, "flops": flops, "seconds": times[len(times) // 2]}))


measure("matmul", f"[{tokens},{channels}]x[{intermediate},{channels}]^T", 3 * 2 * tokens * channels * intermediate,
        [uniform(tokens, channels), uniform(intermediate, channels, scale=0.05)], lambda x, w: x @ w.T)
measure("layernorm", f"[{tokens},{channels}]", tokens * channels * (7 + 12),
        [uniform(tokens, channels, scale=3), uniform(channels), uniform(channels)],
        lambda x, g, b: torch.nn.functional.layer_norm(x, (channels,), g, b, 1e-5))
scores = tokens // seq * heads
measure("softmax", f"[{scores},{seq},{seq}]", scores * seq * seq * (4 + 4), [uniform(scores, seq, seq, scale=4)],
        lambda x: torch.softmax(x, -1))
measure("gelu", f"[{tokens},{intermediate}]", tokens * intermediate * (8 + 14), [uniform(tokens, intermediate, scale=3)],
        lambda x: torch.nn.functional.gelu(x))
