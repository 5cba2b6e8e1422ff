"""BERTIN's own checkpoints, made with the real libraries: a tiny FlaxRobertaForMaskedLM trained 3
steps with optax.adamw as BERTIN's run_mlm_flax_stream.py configured it (betas 0.9/0.98, eps 1e-6,
weight decay 0.01, linear warmup then linear decay, and its decay mask: no decay for a path ending
in `bias` or in `LayerNorm/scale`, so the LM head's `layer_norm/scale` IS decayed) and saved in
BERTIN's layout; then the next update as optax computes it.

Writes Tests/ModelsTests/Fixtures/flax-roberta/:
  checkpoint-2/{config.json, flax_model.msgpack, optimizer_state.msgpack, training_state.json}
      BERTIN's layout after 3 updates (the loop's step 2; training_state.json holds {"step": 3})
  pretrained-bf16/{config.json, flax_model.msgpack}
      save_pretrained of the same parameters cast to bfloat16 (model.to_bf16): a weights-only folder
  expected.safetensors, keyed by Flax path ("roberta/encoder/layer/0/attention/self/query/kernel"):
      state/params/<path>, state/mu/<path>, state/nu/<path>   the saved state (what an import must give)
      gradients/<path>   the gradient of the next (4th) batch, Flax orientation
      next/params/<path>, next/mu/<path>, next/nu/<path>   the state after optax's 4th update
      next/learning_rate, next/count                       the rate that update used; count after it
      eval/input_ids, eval/attention_mask, eval/labels      a batch (int64), and
      eval/loss                                             Flax's eval-mode loss on it (mean over labels)
      eval/logits

`--check DIR` (run by hand): loads a folder our `bertin convert --to-flax` wrote with
FlaxRobertaForMaskedLM.from_pretrained and optax's state with flax.serialization.from_bytes, applies
the 4th update from it and compares with optax's own (prints the largest differences).
Pinned packages: Scripts/reference/requirements-flax.txt (`Scripts/reference/setup-venv.sh flax`).
"""
import json
import pathlib
import shutil
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import traverse_util
from flax.serialization import from_bytes, to_bytes
from flax.training import train_state
from safetensors.numpy import save_file
from transformers import FlaxRobertaForMaskedLM, RobertaConfig

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "Tests/ModelsTests/Fixtures/flax-roberta"

config = RobertaConfig(
    vocab_size=96, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
    max_position_embeddings=34, type_vocab_size=1, layer_norm_eps=1e-5, hidden_act="gelu",
    pad_token_id=1, bos_token_id=0, eos_token_id=2,
)
LEARNING_RATE, WARMUP, STEPS = 6e-4, 2, 10


def decay_mask_fn(params):
    # run_mlm_flax_stream.py's mask, as written in 2021.
    flat = traverse_util.flatten_dict(params)
    return traverse_util.unflatten_dict({path: (path[-1] != "bias" and path[-2:] != ("LayerNorm", "scale")) for path in flat})


def schedule():
    warmup = optax.linear_schedule(init_value=0.0, end_value=LEARNING_RATE, transition_steps=WARMUP)
    decay = optax.linear_schedule(init_value=LEARNING_RATE, end_value=0, transition_steps=STEPS - WARMUP)
    return optax.join_schedules(schedules=[warmup, decay], boundaries=[WARMUP])


def optimizer():
    return optax.adamw(learning_rate=schedule(), b1=0.9, b2=0.98, eps=1e-6, weight_decay=0.01, mask=decay_mask_fn)


def batch(rng, rows=4, length=16):
    ids = rng.integers(5, config.vocab_size, size=(rows, length))
    ids[:, 0], ids[:, -1] = 0, 2
    ids[rows - 1, 10:] = 1  # a padded row
    ids[rows - 1, 9] = 2
    attention = (ids != 1).astype(np.int64)
    labels = np.full_like(ids, -100)
    chosen = (rng.random(ids.shape) < 0.3) & (ids > 4)
    labels[chosen] = ids[chosen]
    return ids.astype(np.int64), attention, labels.astype(np.int64)


def loss_fn(model, params, ids, attention, labels, dropout_rng=None):
    train = dropout_rng is not None
    logits = model(ids, attention_mask=attention, params=params, dropout_rng=dropout_rng, train=train)[0]
    mask = labels != -100
    onehot = jax.nn.one_hot(np.where(mask, labels, 0), config.vocab_size)
    token_loss = optax.softmax_cross_entropy(logits, onehot) * mask
    return token_loss.sum() / mask.sum(), logits


def flat(tree, prefix):
    return {f"{prefix}/" + "/".join(path): np.asarray(value) for path, value in traverse_util.flatten_dict(tree).items()}


def train_three_steps():
    model = FlaxRobertaForMaskedLM(config, seed=2021)
    # Every parameter random (not zero biases and unit scales), so a mis-wired one shows.
    rng = np.random.default_rng(2021)
    params = traverse_util.unflatten_dict({
        path: jnp.asarray((1 + 0.1 * rng.standard_normal(v.shape)) if path[-1] == "scale" else
                          (0.05 if path[-1] == "bias" else 0.1) * rng.standard_normal(v.shape), dtype=jnp.float32)
        for path, v in traverse_util.flatten_dict(model.params).items()})
    state = train_state.TrainState.create(apply_fn=model.__call__, params=params, tx=optimizer())
    dropout = jax.random.PRNGKey(0)
    for _ in range(3):
        dropout, key = jax.random.split(dropout)
        ids, attention, labels = batch(rng)
        grads = jax.grad(lambda p: loss_fn(model, p, ids, attention, labels, key)[0])(state.params)
        state = state.apply_gradients(grads=grads)
    return model, state, rng, dropout


def write():
    model, state, rng, dropout = train_three_steps()
    shutil.rmtree(out, ignore_errors=True)
    folder = out / "checkpoint-2"
    model.save_pretrained(folder, params=state.params)
    (folder / "optimizer_state.msgpack").write_bytes(to_bytes(state.opt_state))
    (folder / "training_state.json").write_text(json.dumps({"step": int(state.step)}))
    model.save_pretrained(out / "pretrained-bf16", params=model.to_bf16(state.params))

    # The 4th update, as optax computes it from that state.
    _, key = jax.random.split(dropout)
    ids, attention, labels = batch(rng)
    grads = jax.grad(lambda p: loss_fn(model, p, ids, attention, labels, key)[0])(state.params)
    rate = schedule()(state.opt_state[0].count)
    after = state.apply_gradients(grads=grads)
    tensors = {**flat(state.params, "state/params"), **flat(state.opt_state[0].mu, "state/mu"), **flat(state.opt_state[0].nu, "state/nu"),
               **flat(grads, "gradients"), **flat(after.params, "next/params"),
               **flat(after.opt_state[0].mu, "next/mu"), **flat(after.opt_state[0].nu, "next/nu")}
    tensors["next/learning_rate"] = np.asarray(rate, dtype=np.float32)
    tensors["next/count"] = np.asarray(after.opt_state[0].count, dtype=np.int64)
    ids, attention, labels = batch(rng)
    loss, logits = loss_fn(model, state.params, ids, attention, labels)
    tensors.update({"eval/input_ids": ids, "eval/attention_mask": attention, "eval/labels": labels,
                    "eval/loss": np.asarray(loss, dtype=np.float32), "eval/logits": np.asarray(logits, dtype=np.float32)})
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(out / "expected.safetensors"))
    print(f"wrote {out}: step {int(state.step)}, next rate {float(rate)}, eval loss {float(loss)}")


def check(directory):
    """Our export, loaded by Flax and optax, continues as optax's own state does."""
    from safetensors.numpy import load_file
    directory = pathlib.Path(directory)
    expected = load_file(str(out / "expected.safetensors"))
    model = FlaxRobertaForMaskedLM.from_pretrained(directory)
    template = optimizer().init(model.params)
    opt_state = from_bytes(template, (directory / "optimizer_state.msgpack").read_bytes())
    step = json.loads((directory / "training_state.json").read_text())["step"]
    state = train_state.TrainState(step=step, apply_fn=model.__call__, params=model.params, tx=optimizer(), opt_state=opt_state)
    grads = traverse_util.unflatten_dict({tuple(k.split("/")[1:]): jnp.asarray(v) for k, v in expected.items() if k.startswith("gradients/")})
    after = state.apply_gradients(grads=grads)
    worst = 0.0
    for prefix, tree in (("next/params", after.params), ("next/mu", after.opt_state[0].mu), ("next/nu", after.opt_state[0].nu)):
        for name, value in flat(tree, prefix).items():
            worst = max(worst, float(np.max(np.abs(value - expected[name]))))
    print(f"step {step}, count {int(after.opt_state[0].count)} (optax's: {int(expected['next/count'])}); "
          f"largest difference from optax's own 4th update: {worst}")
    sys.exit(0 if worst == 0 and int(after.opt_state[0].count) == int(expected["next/count"]) else 1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        write()
