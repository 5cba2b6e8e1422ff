"""BERTIN-GPT-J-6B's checkpoint format, made from a transformers model: the tiny GPT-J of
Tests/ModelsTests/Fixtures/tiny-gptj written as mesh-transformer-jax's CausalTransformer kept it,
following REFERENCE §11 and mesh-transformer-jax's checkpoint.py / to_hf_weights.py:

- the train state {"opt_state", "params", "step"} flattened in jax's order (dict keys sorted):
  optax chain state (scale, clip: empty; scale_by_adam: count, mu, nu; weight decay, scale: empty;
  scale_by_schedule: count), then haiku's {module: {name: array}} parameters, then the step;
- on each model shard the shard's slice of every leaf, cut into 16 lists (checkpoint.py's split)
  and written with np.savez as shard_i/{0..15}.npz;
- q, v, k = the layer's linear, linear_1, linear_2 (column-parallel [in, out/S]); attention out
  linear_3 and fc_out linear_5 row-parallel [in/S, out]; fc_in linear_4 column-parallel with its
  bias in pieces; fc_out's bias one copy per shard, summed; the embedding a vocab-split Linear
  [V/S, C] with a bias per shard (summed, then added to every row of transformers' wte); the head
  projection_shard's linear [C, V/S] + bias pieces after its replicated_layer_norm; LayerNorm
  scale/offset on every shard, shard 0's in use (the others stay at ones/zeros, as in training).

Shard copies that are summed get small dyadic values, and the transformers reference is the model
those leaves define (wte = Σ pieces + Σ biases in float32, in shard order), so the import must equal
it bit for bit. Writes Tests/ModelsTests/Fixtures/:
  mtj-gptj/step_7/shard_{0..3}/{0..15}.npz   full (Adam state, count 7, step 7), float32, 4 shards
  mtj-gptj-slim/step_7/shard_{0,1}/{0..15}.npz  slim: bfloat16 parameters (as |V2) and the step, 2 shards
  mtj-gptj-reference/{config.json, model.safetensors}   the transformers model the full one defines
  mtj-gptj-expected.safetensors: mu/<name>, nu/<name> (our layout: the full checkpoint's moments),
      slim/<name> (the slim checkpoint's parameters, widened), input_ids, attention_mask, labels, loss
      (transformers' loss of the reference model on that batch)
Pinned packages: Scripts/reference/requirements.txt.
"""
import pathlib
import shutil

import numpy as np
import torch
from safetensors.numpy import save_file
from transformers import GPTJForCausalLM

root = pathlib.Path(__file__).resolve().parents[2]
fixtures = root / "Tests/ModelsTests/Fixtures"
PIECES = 16
ROOT = "causal_transformer_shard/~/"
rng = np.random.default_rng(2022)


def dyadic(shape):
    """Small values exact in float32 sums: multiples of 2^-10 below 1/16."""
    return (rng.integers(-64, 64, size=shape) / 1024).astype(np.float32)


def sources(layers):
    """Ours → [(module, name, split)], as Sources/Models/GPTJ/GPTJForCausalLM+MeshTransformer.swift (written apart)."""
    s = {
        "transformer.wte.weight": [(ROOT + "embedding_shard/~/linear", "w", "first"), (ROOT + "embedding_shard/~/linear", "b", "summed")],
        "transformer.ln_f.weight": [(ROOT + "projection_shard/~/replicated_layer_norm", "scale", "shard0")],
        "transformer.ln_f.bias": [(ROOT + "projection_shard/~/replicated_layer_norm", "offset", "shard0")],
        "lm_head.weight": [(ROOT + "projection_shard/~/linear", "w", "last")],
        "lm_head.bias": [(ROOT + "projection_shard/~/linear", "b", "first")],
    }
    for i in range(layers):
        ours, theirs = f"transformer.h.{i}.", ROOT + f"layer_{i}/~/"
        s[ours + "attn.q_proj.weight"] = [(theirs + "linear", "w", "last")]
        s[ours + "attn.v_proj.weight"] = [(theirs + "linear_1", "w", "last")]
        s[ours + "attn.k_proj.weight"] = [(theirs + "linear_2", "w", "last")]
        s[ours + "attn.out_proj.weight"] = [(theirs + "linear_3", "w", "first")]
        s[ours + "mlp.fc_in.weight"] = [(theirs + "linear_4", "w", "last")]
        s[ours + "mlp.fc_in.bias"] = [(theirs + "linear_4", "b", "first")]
        s[ours + "mlp.fc_out.weight"] = [(theirs + "linear_5", "w", "first")]
        s[ours + "mlp.fc_out.bias"] = [(theirs + "linear_5", "b", "summed")]
        s[ours + "ln_1.weight"] = [(theirs + "replicated_layer_norm", "scale", "shard0")]
        s[ours + "ln_1.bias"] = [(theirs + "replicated_layer_norm", "offset", "shard0")]
    return s


def cut(full, split, shards, name=""):
    """One leaf's per-shard pieces from its full value."""
    if split == "last":
        return np.split(full, shards, axis=-1)
    if split == "first":
        return np.split(full, shards, axis=0)
    if split == "shard0":  # shard 0's is used; the others stay as initialised
        fill = np.ones_like(full) if name == "scale" else np.zeros_like(full)
        return [full] + [fill] * (shards - 1)
    raise ValueError(split)


def summed_pieces(total, shards):
    """Copies whose float32 sum in shard order is (nearly) total: the first takes the rest."""
    others = [dyadic(total.shape) for _ in range(shards - 1)]
    first = total.astype(np.float32)
    for o in others:
        first = (first - o).astype(np.float32)
    return [first] + others


def add_in_order(pieces):
    out = pieces[0].copy()
    for p in pieces[1:]:
        out = (out + p).astype(np.float32)
    return out


def leaves_of(state, layers, shards):
    """(module, name) → per-shard pieces, and the transformers weights they define."""
    leaves, defined = {}, {}
    for ours, parts in sources(layers).items():
        value = state[ours].astype(np.float32)
        (module, name, split) = parts[0]
        if ours == "transformer.wte.weight":
            bias = [dyadic((value.shape[1],)) for _ in range(shards)]
            leaves[(module, "b")] = bias
            leaves[(module, name)] = np.split(value, shards, axis=0)
            defined[ours] = (np.concatenate(leaves[(module, name)], axis=0) + add_in_order(bias)).astype(np.float32)
        elif split == "summed":
            leaves[(module, name)] = summed_pieces(value, shards)
            defined[ours] = add_in_order(leaves[(module, name)])
        else:
            full = value.T if value.ndim == 2 else value  # haiku's Linear is [in, out]
            leaves[(module, name)] = [np.ascontiguousarray(p) for p in cut(full, split, shards, name)]
            defined[ours] = value
    return leaves, defined


def order(leaves):
    return sorted(leaves.keys(), key=lambda k: (k[0].encode(), k[1].encode()))


def split16(a, n=PIECES):
    k, m = divmod(len(a), n)
    return [a[i * k + min(i, m):(i + 1) * k + min(i + 1, m)] for i in range(n)]


def write(folder, per_shard):
    shutil.rmtree(folder, ignore_errors=True)
    for shard, arrays in enumerate(per_shard):
        path = folder / f"shard_{shard}"
        path.mkdir(parents=True)
        for i, chunk in enumerate(split16(arrays)):
            with open(path / f"{i}.npz", "wb") as f:
                np.savez(f, *chunk)


def bf16(x):
    bits = x.astype(np.float32).view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return rounded


def widen(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def main():
    model = GPTJForCausalLM.from_pretrained(fixtures / "tiny-gptj")
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    layers = model.config.n_layer
    srcs = sources(layers)
    expected = {}

    # Full, 4 shards: parameters, Adam moments (count 7), step 7.
    S = 4
    leaves, defined = leaves_of(state, layers, S)
    keys = order(leaves)
    mu, nu = {}, {}
    for key in keys:
        (module, name), pieces = key, leaves[key]
        split = next(p[2] for parts in srcs.values() for p in parts if (p[0], p[1]) == key)
        if split in ("summed",):  # every copy took the same gradient: alike moments
            m, v = dyadic(pieces[0].shape) / 8, np.abs(dyadic(pieces[0].shape)) / 64
            mu[key], nu[key] = [m] * S, [v] * S
        elif split == "shard0":
            m, v = dyadic(pieces[0].shape) / 8, np.abs(dyadic(pieces[0].shape)) / 64
            mu[key], nu[key] = [m] + [np.zeros_like(m)] * (S - 1), [v] + [np.zeros_like(v)] * (S - 1)
        else:
            mu[key] = [(rng.standard_normal(p.shape) * 1e-3).astype(np.float32) for p in pieces]
            nu[key] = [(rng.random(p.shape) * 1e-6).astype(np.float32) for p in pieces]
    count = np.array(7, dtype=np.int32)
    per_shard = []
    for s in range(S):
        per_shard.append([count] + [mu[k][s] for k in keys] + [nu[k][s] for k in keys] + [count]
                         + [leaves[k][s] for k in keys] + [np.array(7, dtype=np.int32)])
    write(fixtures / "mtj-gptj/step_7", per_shard)
    # Moments in our layout: concatenations as the parameters; summed copies and replicated
    # LayerNorms give shard 0's; the folded embedding bias's moments are not kept.
    for ours, parts in srcs.items():
        (module, name, split) = parts[0]
        for slot, tree in (("mu", mu), ("nu", nu)):
            pieces = tree[(module, name)]
            if split in ("summed", "shard0"):
                full = pieces[0]
            else:
                full = np.concatenate(pieces, axis=-1 if split == "last" else 0)
            expected[f"{slot}/{ours}"] = np.ascontiguousarray(full.T if (full.ndim == 2 and ours != "transformer.wte.weight") else full)

    # The transformers model the full checkpoint defines.
    with torch.no_grad():
        for name, value in defined.items():
            model.state_dict()[name].copy_(torch.from_numpy(value))
    shutil.rmtree(fixtures / "mtj-gptj-reference", ignore_errors=True)
    model.save_pretrained(fixtures / "mtj-gptj-reference")
    torch.manual_seed(2022)
    ids = torch.randint(3, model.config.vocab_size, (2, 12))
    attention = torch.ones_like(ids)
    loss = model(input_ids=ids, attention_mask=attention, labels=ids).loss
    expected.update({"input_ids": ids.numpy().astype(np.int64), "attention_mask": attention.numpy().astype(np.int64),
                     "labels": ids.numpy().astype(np.int64), "loss": np.array([loss.item()], dtype=np.float32)})

    # Slim, 2 shards: bfloat16 parameters (jax's bfloat16 saved by numpy as two raw bytes, |V2) and the step.
    S = 2
    leaves, _ = leaves_of(state, layers, S)
    keys = order(leaves)
    narrow = {k: [bf16(p) for p in leaves[k]] for k in keys}
    per_shard = [[narrow[k][s].view(np.dtype("V2")) for k in keys] + [np.array(7, dtype=np.int32)] for s in range(S)]
    write(fixtures / "mtj-gptj-slim/step_7", per_shard)
    for ours, parts in srcs.items():
        (module, name, split) = parts[0]
        pieces = [widen(p) for p in narrow[(module, name)]]
        if split == "summed":
            full = add_in_order(pieces)
        elif split == "shard0":
            full = pieces[0]
        else:
            full = np.concatenate(pieces, axis=-1 if split == "last" else 0)
        if ours == "transformer.wte.weight":
            full = (full + add_in_order([widen(p) for p in narrow[(module, "b")]])).astype(np.float32)
        elif full.ndim == 2:
            full = full.T
        expected[f"slim/{ours}"] = np.ascontiguousarray(full)

    save_file(expected, str(fixtures / "mtj-gptj-expected.safetensors"))
    print(f"wrote the mesh-transformer-jax fixtures: {len(keys)} parameter leaves, loss {loss.item()}")


if __name__ == "__main__":
    main()
