#!/usr/bin/env python3
"""A 2-layer MLP trained by plain SGD in PyTorch (pinned in requirements.txt), float32.

Writes Tests/TensorTests/Fixtures/mlp.json: the toy data (three interleaved classes in 2-D,
lifted to 4 features), the initial weights, the learning rate and the loss at every step, so the
Swift tape can train the same network from the same start and be held to the same curve.

Run: Scripts/reference/make-fixtures.sh
"""
import json
import math
import pathlib

import torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
torch.manual_seed(7)
points_per_class, classes = 32, 3
features, labels = [], []
for c in range(classes):
    for i in range(points_per_class):
        r = i / points_per_class
        angle = c * 2 * math.pi / classes + 4 * r + 0.2 * torch.randn(()).item()
        x, y = r * math.cos(angle), r * math.sin(angle)
        features.append([x, y, x * y, x * x - y * y])
        labels.append(c)
inputs = torch.tensor(features, dtype=torch.float32)
targets = torch.tensor(labels, dtype=torch.int64)

model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, classes))
initial = {name: p.detach().clone() for name, p in model.named_parameters()}
learning_rate, steps = 0.5, 300
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
losses = []
for step in range(steps):
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(inputs), targets)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())


def flat(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


fixture = {
    "generator": "Scripts/reference/make-mlp-fixture.py",
    "torch": torch.__version__,
    "inputs": flat(inputs),
    "targets": [int(v) for v in targets.tolist()],
    "learningRate": learning_rate,
    "initial": {name: flat(t) for name, t in initial.items()},
    "final": {name: flat(p.detach()) for name, p in model.named_parameters()},
    "losses": losses,
}
out = ROOT / "Tests/TensorTests/Fixtures/mlp.json"
out.write_text(json.dumps(fixture))
print(f"wrote {out.relative_to(ROOT)}: loss {losses[0]:.4f} -> {losses[-1]:.4f}")
