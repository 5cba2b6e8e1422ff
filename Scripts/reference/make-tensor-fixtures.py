#!/usr/bin/env python3
"""Reference values for every tensor primitive, from PyTorch (pinned in requirements.txt).

Writes Tests/TensorTests/Fixtures/primitives.json: for each case the inputs (float32), the
forward output and the gradients of sum(seed * output) with respect to every float input.
Inputs are float32; the reference is computed in float64 from those exact values, so the
fixture holds the true answer and the Swift side is judged by its own float32 error.

Run: Scripts/reference/make-fixtures.sh
"""
import json
import math
import pathlib

import torch

torch.manual_seed(2021)
ROOT = pathlib.Path(__file__).resolve().parents[2]
cases = []


def tensor_json(t):
    t = t.detach().to(torch.float32)
    return {"shape": list(t.shape), "data": [float(x) for x in t.reshape(-1).tolist()]}


def randn(*shape, scale=1.0):
    return torch.randn(shape, dtype=torch.float32) * scale


def case(name, op, inputs, fn, attributes=None, indices=None, differentiable=None):
    """fn maps float64 tensors (and optional indices) to the output tensor."""
    xs = [x.to(torch.float64).requires_grad_(True) for x in inputs]
    args = xs + ([indices] if indices is not None else [])
    out = fn(*args)
    seed = randn(*out.shape).to(torch.float64)
    grads = torch.autograd.grad((out * seed).sum(), xs, allow_unused=True)
    entry = {
        "name": name,
        "op": op,
        "inputs": [tensor_json(x) for x in inputs],
        "attributes": attributes or {},
        "output": tensor_json(out),
        "seed": tensor_json(seed),
        "gradients": [tensor_json(g) if g is not None else tensor_json(torch.zeros_like(x)) for g, x in zip(grads, xs)],
    }
    if indices is not None:
        entry["indices"] = {"shape": list(indices.shape), "data": [int(v) for v in indices.reshape(-1).tolist()]}
    cases.append(entry)


# Broadcasting arithmetic. Denominators are kept away from zero so the comparison measures
# our rounding, not the conditioning of x / y near y = 0.
for op, f in [("add", torch.add), ("subtract", torch.sub), ("multiply", torch.mul), ("divide", torch.div)]:
    second = (lambda t: t.abs() + 0.5) if op == "divide" else (lambda t: t)
    case(f"{op}_same_shape", op, [randn(2, 3, 4), second(randn(2, 3, 4))], f)
    case(f"{op}_row_vector", op, [randn(2, 3, 4), second(randn(4))], f)
    case(f"{op}_column", op, [randn(2, 3, 1), second(randn(2, 3, 4))], f)
    case(f"{op}_outer", op, [randn(3, 1), second(randn(1, 4))], f)
    case(f"{op}_scalar_tensor", op, [randn(3, 5), second(randn())], f)
    case(f"{op}_rank_gap_middle", op, [randn(2, 3, 4), second(randn(3, 1))], f)
    case(f"{op}_size_one_axes", op, [randn(1, 1, 5), second(randn(1, 1, 1))], f)
    case(f"{op}_empty_axis", op, [randn(0, 3), second(randn(3))], f)
case("add_long_rows", "add", [randn(3, 37), randn(37)], torch.add)
case("affine", "affine", [randn(3, 7)], lambda x: x * -1.75 + 0.5, attributes={"scale": -1.75, "shift": 0.5})

# Matrix products.
case("matmul_plain", "matmul", [randn(5, 7), randn(7, 3)], lambda a, b: a @ b)
case("matmul_transpose_a", "matmul", [randn(7, 5), randn(7, 3)], lambda a, b: a.T @ b, {"transposeA": True})
case("matmul_transpose_b", "matmul", [randn(5, 7), randn(3, 7)], lambda a, b: a @ b.T, {"transposeB": True})
case("matmul_transpose_both", "matmul", [randn(7, 5), randn(3, 7)], lambda a, b: a.T @ b.T, {"transposeA": True, "transposeB": True})
case("matmul_batched", "matmul", [randn(2, 3, 4, 5), randn(2, 3, 5, 6)], lambda a, b: a @ b)
case("matmul_batched_transpose_b", "matmul", [randn(2, 3, 4, 5), randn(2, 3, 6, 5)], lambda a, b: a @ b.transpose(-1, -2), {"transposeB": True})
case("matmul_linear_layer", "matmul", [randn(2, 4, 6), randn(5, 6)], lambda a, b: a @ b.T, {"transposeB": True})
case("matmul_shared_weight", "matmul", [randn(2, 4, 6), randn(6, 5)], lambda a, b: a @ b)
case("matmul_shared_left", "matmul", [randn(4, 5), randn(3, 5, 6)], lambda a, b: a @ b)
case("matmul_batched_transpose_a_shared_b", "matmul", [randn(3, 5, 4), randn(5, 2)], lambda a, b: a.transpose(-1, -2) @ b, {"transposeA": True})
case("matmul_empty_inner", "matmul", [randn(3, 0), randn(0, 4)], lambda a, b: a @ b)

# Reductions.
case("sum_axis0", "sum", [randn(3, 4, 5)], lambda x: x.sum(0), {"axis": 0})
case("sum_axis1_keep", "sum", [randn(3, 4, 5)], lambda x: x.sum(1, keepdim=True), {"axis": 1, "keep": True})
case("sum_last", "sum", [randn(3, 4, 37)], lambda x: x.sum(-1), {"axis": -1})
case("sum_size_one_axis", "sum", [randn(3, 1, 4)], lambda x: x.sum(1), {"axis": 1})
case("sum_empty_axis", "sum", [randn(3, 0, 4)], lambda x: x.sum(1), {"axis": 1})
case("sum_all", "sum_all", [randn(4, 9)], lambda x: x.sum())
case("mean_axis", "mean", [randn(3, 4, 5)], lambda x: x.mean(2), {"axis": 2})
case("mean_all", "mean_all", [randn(6, 5)], lambda x: x.mean())
case("max_axis", "max", [randn(3, 4, 5)], lambda x: x.max(1).values, {"axis": 1})
case("max_last_keep", "max", [randn(4, 11)], lambda x: x.max(-1, keepdim=True).values, {"axis": -1, "keep": True})

# Softmax family, including rows of large magnitude.
case("softmax", "softmax", [randn(4, 9)], lambda x: torch.softmax(x, -1))
case("softmax_rank3", "softmax", [randn(2, 3, 17)], lambda x: torch.softmax(x, -1))
case("softmax_large_magnitude", "softmax", [randn(3, 8, scale=1e4)], lambda x: torch.softmax(x, -1))
case("softmax_single_column", "softmax", [randn(5, 1)], lambda x: torch.softmax(x, -1))
case("log_softmax", "logSoftmax", [randn(4, 9)], lambda x: torch.log_softmax(x, -1))
case("log_softmax_large_magnitude", "logSoftmax", [randn(3, 8, scale=1e4)], lambda x: torch.log_softmax(x, -1))
case("log_softmax_wide", "logSoftmax", [randn(2, 301)], lambda x: torch.log_softmax(x, -1))

# LayerNorm (RoBERTa's eps 1e-5).
case("layer_norm", "layerNorm", [randn(2, 3, 8), randn(8), randn(8)],
     lambda x, w, b: torch.nn.functional.layer_norm(x, (8,), w, b, 1e-5), {"epsilon": 1e-5})
case("layer_norm_wide_offset", "layerNorm", [randn(4, 37) * 3 + 5, randn(37), randn(37)],
     lambda x, w, b: torch.nn.functional.layer_norm(x, (37,), w, b, 1e-5), {"epsilon": 1e-5})

# Pointwise.
case("gelu", "gelu", [randn(3, 19, scale=3)], lambda x: torch.nn.functional.gelu(x))
case("gelu_tanh", "geluTanh", [randn(3, 19, scale=3)], lambda x: torch.nn.functional.gelu(x, approximate="tanh"))
case("tanh", "tanh", [randn(3, 19, scale=2)], torch.tanh)
case("exp", "exp", [randn(3, 19)], torch.exp)
case("log", "log", [randn(3, 19).abs() + 0.1], torch.log)
case("relu", "relu", [randn(3, 19)], torch.relu)
case("sqrt", "sqrt", [randn(3, 19).abs() + 0.1], torch.sqrt)

# Layout.
case("reshape", "reshape", [randn(2, 3, 4)], lambda x: x.reshape(6, 4), {"shape": [6, -1]})
case("permute_heads", "permute", [randn(2, 3, 4, 5)], lambda x: x.permute(0, 2, 1, 3), {"axes": [0, 2, 1, 3]})
case("permute_reverse", "permute", [randn(2, 3, 4)], lambda x: x.permute(2, 1, 0), {"axes": [2, 1, 0]})
case("transpose_last_two", "transpose", [randn(2, 3, 4)], lambda x: x.transpose(1, 2), {"axes": [1, 2]})
case("slice_middle", "slice", [randn(3, 7, 2)], lambda x: x[:, 2:5, :], {"axis": 1, "start": 2, "end": 5})
case("slice_last", "slice", [randn(3, 7)], lambda x: x[:, 4:7], {"axis": -1, "start": 4, "end": 7})
case("concatenate_middle", "concatenate", [randn(2, 3, 4), randn(2, 1, 4), randn(2, 2, 4)], lambda *xs: torch.cat(xs, 1), {"axis": 1})
case("concatenate_first", "concatenate", [randn(2, 3), randn(4, 3)], lambda *xs: torch.cat(xs, 0), {"axis": 0})

# Index operations.
ids = torch.tensor([[3, 1, 4, 1], [5, 9, 2, 6]], dtype=torch.int64)
case("embedding", "embedding", [randn(10, 6)], lambda w, i: torch.nn.functional.embedding(i, w), indices=ids)
targets = torch.tensor([3, -100, 0, 7, 7, -100], dtype=torch.int64)
case("cross_entropy_ignore", "crossEntropy", [randn(6, 8, scale=2)],
     lambda x, t: torch.nn.functional.cross_entropy(x, t, ignore_index=-100), indices=targets)
targets3 = torch.tensor([[1, 2, -100], [0, 4, 4]], dtype=torch.int64)
case("cross_entropy_rank3", "crossEntropy", [randn(2, 3, 5)],
     lambda x, t: torch.nn.functional.cross_entropy(x.reshape(-1, 5), t.reshape(-1), ignore_index=-100), indices=targets3)

# A composite: masked scaled-dot-product attention built from primitives.
mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=torch.int64)
def attention(q, k, v, m):
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    additive = (1.0 - m[:, None, None, :].to(scores.dtype)) * torch.finfo(torch.float32).min
    return torch.softmax(scores + additive, -1) @ v
case("attention_composite", "attention", [randn(2, 3, 4, 5), randn(2, 3, 4, 5), randn(2, 3, 4, 5)], attention, indices=mask)

# GPT-J's rotary embedding exactly as transformers' modeling_gptj computes it (float32 sin/cos
# table, interleaved pairs via rotate_every_two) on the first rotary_dim features of [B, T, H, D].
from transformers.models.gptj.modeling_gptj import apply_rotary_pos_emb, create_sinusoidal_positions
def rotary(x, positions, rotary_dim, table_size=16):
    sincos = create_sinusoidal_positions(table_size, rotary_dim).to(x.dtype)[positions]  # [B, T, R]
    sin, cos = torch.split(sincos, rotary_dim // 2, dim=-1)
    turned = apply_rotary_pos_emb(x[..., :rotary_dim], sin, cos)
    return torch.cat([turned, x[..., rotary_dim:]], dim=-1)
positions = torch.tensor([[0, 1, 2], [3, 5, 7]], dtype=torch.int64)
case("rotary_partial", "rotary", [randn(2, 3, 2, 6)], lambda x, p: rotary(x, p, 4), attributes={"rotaryDimension": 4}, indices=positions)
case("rotary_full", "rotary", [randn(2, 3, 2, 4)], lambda x, p: rotary(x, p, 4), attributes={"rotaryDimension": 4}, indices=positions)

# The causal + padding mask (transformers' create_causal_mask, eager: min where masked) under a
# softmax: T queries at the last T of S positions (S > T: earlier keys from a cache).
def causal_softmax(scores, m):
    queries, keys = scores.shape[-2], scores.shape[-1]
    allowed = torch.arange(keys)[None, :] <= (keys - queries + torch.arange(queries))[:, None]  # [T, S]
    allowed = allowed[None, None] & m[:, None, None, :].bool()
    additive = torch.where(allowed, 0.0, torch.finfo(torch.float32).min).to(scores.dtype)
    return torch.softmax(scores + additive, -1)
causal_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=torch.int64)
case("causal_softmax", "causalSoftmax", [randn(2, 3, 5, 5, scale=2)], causal_softmax, indices=causal_mask)
case("causal_softmax_past", "causalSoftmax", [randn(2, 3, 2, 5, scale=2)], causal_softmax, indices=causal_mask)

out = ROOT / "Tests/TensorTests/Fixtures/primitives.json"
out.write_text(json.dumps({"generator": "Scripts/reference/make-tensor-fixtures.py", "torch": torch.__version__, "cases": cases}))
print(f"wrote {len(cases)} cases to {out.relative_to(ROOT)}")
