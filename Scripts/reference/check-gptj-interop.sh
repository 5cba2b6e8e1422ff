#!/usr/bin/env bash
# End-to-end check of the commands on the tiny GPT-J fixture against transformers/h5py (by hand; the
# suite needs no Python): convert the sharded float16 and the float32 directories, `bertin eval
# --gradients` on the fixture batch (labels shifted inside), `bertin generate` greedy, export with
# and without --dtype float16, and let transformers load the exports.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=$("$root/Scripts/reference/setup-venv.sh")
swift build -c release --package-path "$root" --product bertin >/dev/null
bertin="$root/.build/release/bertin"
work=$(mktemp -d)
fixtures="$root/Tests/ModelsTests/Fixtures"
"$bertin" convert --from-hf "$fixtures/tiny-gptj" --output "$work/tiny.h5"
"$bertin" convert --from-hf "$fixtures/tiny-gptj-sharded" --output "$work/half.h5"
"$python" - "$fixtures" "$work" <<'PY'
import json, sys
from safetensors.torch import load_file
e = load_file(f"{sys.argv[1]}/tiny-gptj-expected.safetensors")
json.dump({k: e[k].tolist() for k in ("input_ids", "attention_mask", "labels")}, open(f"{sys.argv[2]}/batch.json", "w"))
print(" ".join(map(str, e["prompt"][0].tolist())), file=open(f"{sys.argv[2]}/prompt.txt", "w"))
PY
"$bertin" eval --checkpoint "$work/tiny.h5" --batch "$work/batch.json" --gradients "$work/gradients.h5" | tee "$work/eval.json"
"$bertin" generate --checkpoint "$work/tiny.h5" --ids "$(cat "$work/prompt.txt")" --max-new-tokens 20 | tee "$work/generated.json"
"$bertin" convert --checkpoint "$work/tiny.h5" --to-hf "$work/exported"
"$bertin" convert --checkpoint "$work/half.h5" --to-hf "$work/exported-half" --dtype float16
"$python" - "$fixtures" "$work" <<'PY'
import json, sys
import h5py, torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM
fixtures, work = sys.argv[1], sys.argv[2]
e = load_file(f"{fixtures}/tiny-gptj-expected.safetensors")
ours = json.load(open(f"{work}/eval.json"))
print(f"eval loss {ours['loss']} vs transformers {e['loss'].item()}")
assert abs(ours["loss"] - e["loss"].item()) <= 1e-5 * e["loss"].item()
with h5py.File(f"{work}/gradients.h5") as g:
    worst = max((torch.from_numpy(g["gradients"][n][()]) - e["gradients." + n]).abs().max().item() for n in g["gradients"])
    assert len(g["gradients"]) == sum(k.startswith("gradients.") for k in e)
print(f"eval --gradients: max |ours - transformers| = {worst:.3g}")
generated = json.load(open(f"{work}/generated.json"))["ids"]
print("generate greedy equals transformers':", generated == e["greedy"].tolist())
assert generated == e["greedy"].tolist()
model = AutoModelForCausalLM.from_pretrained(f"{work}/exported").eval()
original = load_file(f"{fixtures}/tiny-gptj/model.safetensors")
assert all(torch.equal(model.state_dict()[k], v) for k, v in original.items()), "exported weights load bit for bit"
with torch.no_grad():
    logits = model(input_ids=e["input_ids"], attention_mask=e["attention_mask"]).logits
assert torch.equal(logits, e["logits"])
half = AutoModelForCausalLM.from_pretrained(f"{work}/exported-half")
reference = AutoModelForCausalLM.from_pretrained(f"{fixtures}/tiny-gptj-sharded")
assert all(torch.equal(half.state_dict()[k], reference.state_dict()[k]) for k in reference.state_dict() if not k.endswith("embed_positions"))
print("exports load in transformers: float32 bit for bit (same logits), float16 equal to the sharded original")
PY
echo "gptj interop check passed ($work)"
