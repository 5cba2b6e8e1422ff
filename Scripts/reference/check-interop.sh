#!/usr/bin/env bash
# End-to-end check of the interop commands against transformers/h5py (by hand; the suite needs no
# Python): convert the tiny fixture model to a checkpoint, run `bertin eval` (with --gradients) on the
# fixture batch, export the checkpoint back, and let transformers and h5py judge every output.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=$("$root/Scripts/reference/setup-venv.sh")
swift build -c release --package-path "$root" >/dev/null
bertin="$root/.build/release/bertin"
work=$(mktemp -d)
fixtures="$root/Tests/ModelsTests/Fixtures"
"$bertin" convert --from-hf "$fixtures/tiny-roberta" --output "$work/tiny.h5"
"$python" - "$fixtures" "$work" <<'PY'
import json, sys
from safetensors.torch import load_file
e = load_file(f"{sys.argv[1]}/tiny-roberta-expected.safetensors")
json.dump({k: e[k].tolist() for k in ("input_ids", "attention_mask", "labels")}, open(f"{sys.argv[2]}/batch.json", "w"))
PY
"$bertin" eval --checkpoint "$work/tiny.h5" --batch "$work/batch.json" --gradients "$work/gradients.h5" | tee "$work/eval.json"
"$bertin" convert --checkpoint "$work/tiny.h5" --to-hf "$work/exported"
"$bertin" fill-mask --checkpoint "$work/tiny.h5" --ids "0 40 4 50 2" --top 3 | tee "$work/fill.json"
"$python" "$root/Scripts/reference/make-checkpoint-fixture.py" --check "$work/tiny.h5" | tail -3
"$python" - "$fixtures" "$work" <<'PY'
import json, sys
import h5py, torch
from safetensors.torch import load_file
from transformers import AutoModelForMaskedLM
fixtures, work = sys.argv[1], sys.argv[2]
e = load_file(f"{fixtures}/tiny-roberta-expected.safetensors")
ours = json.load(open(f"{work}/eval.json"))
logits = e["logits"]; labels = e["labels"]; chosen = labels != -100
accuracy = (logits.argmax(-1)[chosen] == labels[chosen]).double().mean().item()
print(f"eval loss {ours['loss']} vs transformers {e['loss'].item()}; accuracy {ours['accuracy']} vs {accuracy}")
assert abs(ours["loss"] - e["loss"].item()) <= 1e-5 * e["loss"].item() and ours["accuracy"] == accuracy
with h5py.File(f"{work}/gradients.h5") as g:
    worst = max((torch.from_numpy(g["gradients"][n][()]) - e["gradients." + n]).abs().max().item() for n in g["gradients"])
    assert len(g["gradients"]) == sum(k.startswith("gradients.") for k in e), "every parameter has a gradient"
print(f"eval --gradients: {len(e) - 6} tensors, max |ours - transformers| = {worst:.3g}")
model = AutoModelForMaskedLM.from_pretrained(f"{work}/exported").eval()
with torch.no_grad():
    again = model(input_ids=e["input_ids"], attention_mask=e["attention_mask"]).logits
print(f"exported model loads in transformers; logits max diff vs fixture {(again - logits).abs().max().item():.3g}")
assert torch.equal(again, logits)
with torch.no_grad():
    probabilities = model(input_ids=torch.tensor([[0, 40, 4, 50, 2]])).logits[0, 2].softmax(-1)
top = probabilities.topk(3)
line = json.loads(open(f"{work}/fill.json").readline())
print("fill-mask ids", [p["id"] for p in line["predictions"]], "transformers", top.indices.tolist())
assert [p["id"] for p in line["predictions"]] == top.indices.tolist()
PY
command -v h5dump >/dev/null && h5dump -H "$work/tiny.h5" | head -12
echo "interop check passed ($work)"
