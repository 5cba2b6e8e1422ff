"""Reference trajectories for the optimizer module: torch.optim.AdamW driven by PyTorch and
transformers learning-rate schedulers for 1000 steps, on a problem whose gradient both sides can
compute bit for bit in float32:  g = c * (p - t) + float32(0.1 * sin(0.01 * (step + 1) * (i + 1)))
with i the element's index inside its parameter.

Writes Tests/OptimizationTests/Fixtures/adamw.json. Pinned packages: Scripts/reference/requirements.txt.
"""
import json
import math
import pathlib

import torch
from transformers import (get_constant_schedule, get_cosine_schedule_with_warmup, get_inverse_sqrt_schedule,
                          get_linear_schedule_with_warmup)

root = pathlib.Path(__file__).resolve().parents[2]
STEPS = 1000
generator = torch.Generator().manual_seed(7)
# Names pick the decay mask: biases and LayerNorm weights are not decayed, the rest is.
shapes = {"embeddings.weight": [7, 4], "dense.weight": [6, 5], "dense.bias": [6], "LayerNorm.weight": [6], "LayerNorm.bias": [6]}
initial = {n: torch.randn(s, generator=generator) for n, s in shapes.items()}
curvature = {n: torch.rand(s, generator=generator) * 2 + 0.1 for n, s in shapes.items()}
target = {n: torch.randn(s, generator=generator) for n, s in shapes.items()}


def decays(name):
    return not (name.endswith("bias") or name.endswith("LayerNorm.weight"))


def noise(step, count):
    return torch.tensor([0.1 * math.sin(0.01 * (step + 1) * (i + 1)) for i in range(count)], dtype=torch.float64).float()


def run(make_scheduler, lr, betas, weight_decay, clip):
    params = {n: torch.nn.Parameter(initial[n].clone()) for n in shapes}
    groups = [{"params": [params[n] for n in shapes if decays(n)], "weight_decay": weight_decay},
              {"params": [params[n] for n in shapes if not decays(n)], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=lr, betas=betas, eps=1e-6, foreach=False)
    scheduler = make_scheduler(optimizer)
    rates, norms, snapshots = [], [], {}
    for step in range(STEPS):
        for n, p in params.items():
            p.grad = (curvature[n] * (p.detach() - target[n]) + noise(step, p.numel()).reshape(p.shape)).contiguous()
        norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params.values())).item()
        norms.append(norm)
        if clip is not None and norm > clip:  # optax.clip_by_global_norm: g * clip / norm
            for p in params.values():
                p.grad.mul_(clip / norm)
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        if step + 1 in (1, 10, 100, 500, 1000):
            snapshots[str(step + 1)] = {n: p.detach().flatten().tolist() for n, p in params.items()}
    return {"learning_rates": rates, "gradient_norms": norms, "parameters_after": snapshots}


def schedule_values(make_scheduler, lr=1.0):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = make_scheduler(optimizer)
    values = []
    for _ in range(STEPS):
        values.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return values


fixture = {
    "shapes": shapes,
    "initial": {n: v.flatten().tolist() for n, v in initial.items()},
    "curvature": {n: v.flatten().tolist() for n, v in curvature.items()},
    "target": {n: v.flatten().tolist() for n, v in target.items()},
    # BERTIN's shape: linear warmup (100) then linear decay to 0, betas (0.9, 0.98), wd 0.01, no clipping.
    "warmup_linear": run(lambda o: get_linear_schedule_with_warmup(o, 100, STEPS), 1e-2, (0.9, 0.98), 0.01, None),
    # Cosine to a floor (CosineAnnealingLR), betas (0.9, 0.999), wd 0.1, global-norm clipping at 0.5.
    "cosine_clipped": run(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=STEPS, eta_min=5e-4), 5e-3, (0.9, 0.999), 0.1, 0.5),
    "schedules": {
        "constant": schedule_values(get_constant_schedule, 3e-4),
        "warmup_cosine": schedule_values(lambda o: get_cosine_schedule_with_warmup(o, 50, STEPS), 6e-4),
        "inverse_sqrt": schedule_values(lambda o: get_inverse_sqrt_schedule(o, 50), 6e-4),
    },
}
# BERTIN-GPT-J-6B's optimizer (mesh-transformer-jax): optax-default Adam (0.9 / 0.999 / 1e-8), weight
# decay 0.1 on parameters with ndim > 1 only (so the 1-D "scale.weight" is not decayed, unlike
# BERTIN's RoBERTa mask), clipping at 1.0, gpt3_schedule: min(t, W)/W · peak − (peak − end)·(1 − cos(π·clip(t − W, 0, A)/A))/2.
# Its own generator, so the cases above keep their values.
gptj_generator = torch.Generator().manual_seed(11)
gptj_shapes = {"wte.weight": [7, 4], "h.0.ln_1.weight": [4], "h.0.ln_1.bias": [4], "h.0.attn.q_proj.weight": [4, 4],
               "h.0.mlp.fc_in.bias": [6], "scale.weight": [5], "lm_head.bias": [7]}
gptj_initial = {n: torch.randn(s, generator=gptj_generator) for n, s in gptj_shapes.items()}
gptj_curvature = {n: torch.rand(s, generator=gptj_generator) * 2 + 0.1 for n, s in gptj_shapes.items()}
gptj_target = {n: torch.randn(s, generator=gptj_generator) for n, s in gptj_shapes.items()}
W, A, PEAK, END = 100, STEPS - 100, 1e-2, 1e-3
def gpt3(step):
    return min(step, W) / W - (1 - END / PEAK) * (1 - math.cos(math.pi * min(max(step - W, 0), A) / A)) / 2
params = {n: torch.nn.Parameter(gptj_initial[n].clone()) for n in gptj_shapes}
groups = [{"params": [params[n] for n in gptj_shapes if len(gptj_shapes[n]) > 1], "weight_decay": 0.1},
          {"params": [params[n] for n in gptj_shapes if len(gptj_shapes[n]) <= 1], "weight_decay": 0.0}]
optimizer = torch.optim.AdamW(groups, lr=PEAK, betas=(0.9, 0.999), eps=1e-8, foreach=False)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, gpt3)
rates, norms, snapshots = [], [], {}
for step in range(STEPS):
    for n, p in params.items():
        p.grad = (gptj_curvature[n] * (p.detach() - gptj_target[n]) + noise(step, p.numel()).reshape(p.shape)).contiguous()
    norm = torch.sqrt(sum((p.grad.double() ** 2).sum() for p in params.values())).item()
    norms.append(norm)
    if norm > 1.0:
        for p in params.values():
            p.grad.mul_(1.0 / norm)
    rates.append(optimizer.param_groups[0]["lr"])
    optimizer.step()
    scheduler.step()
    if step + 1 in (1, 10, 100, 500, 1000):
        snapshots[str(step + 1)] = {n: p.detach().flatten().tolist() for n, p in params.items()}
fixture["gptj"] = {
    "shapes": gptj_shapes,
    "initial": {n: v.flatten().tolist() for n, v in gptj_initial.items()},
    "curvature": {n: v.flatten().tolist() for n, v in gptj_curvature.items()},
    "target": {n: v.flatten().tolist() for n, v in gptj_target.items()},
    "run": {"learning_rates": rates, "gradient_norms": norms, "parameters_after": snapshots},
}

(root / "Tests/OptimizationTests/Fixtures/adamw.json").write_text(json.dumps(fixture))
print({k: fixture[k]["learning_rates"][:3] for k in ("warmup_linear", "cosine_clipped")})
