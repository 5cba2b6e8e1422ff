#!/usr/bin/env bash
# Fine-tuning example after Scripts/smoke.sh: the tiny pre-trained smoke model gets a NER head
# (token classification, the bundled CoNLL-style Spanish sample set) and a topic head (sequence
# classification, JSON lines) under mpirun, then labels the validation files and exports both
# heads as transformers directories. About a minute on 2 cores.
#   NP=2 (default): MPI ranks (each update's 2 devices are spread over them).
set -euo pipefail
cd "$(dirname "$0")/.."
bertin=.build/release/bertin
smoke=Checkpoints/tiny-smoke
sets=Recipes/finetune-sample
out=Checkpoints/finetune-sample
[ -x "$bertin" ] && ls "$smoke"/step-*.h5 >/dev/null 2>&1 || { echo "run Scripts/smoke.sh first" >&2; exit 1; }
pretrained=$(ls "$smoke"/step-*.h5 | sort | tail -1)
tokenizer=$smoke/data/tokenizer
rm -rf "$out"
echo "== NER (token classification) from $pretrained"
bash Scripts/launch.sh "${NP:-2}" finetune --task token-classification --checkpoint "$pretrained" --tokenizer "$tokenizer" \
    --train "$sets/ner-train.conll" --validation "$sets/ner-validation.conll" --output "$out/ner" --learning-rate 1e-3 --devices 2
"$bertin" predict --checkpoint "$out/ner/best.h5" --tokenizer "$tokenizer" --input "$sets/ner-validation.conll" --output "$out/ner-validation.predicted.conll"
"$bertin" convert --checkpoint "$out/ner/best.h5" --to-hf "$out/ner/hf"
echo "== topics (sequence classification)"
bash Scripts/launch.sh "${NP:-2}" finetune --task sequence-classification --checkpoint "$pretrained" --tokenizer "$tokenizer" \
    --train "$sets/docs-train.jsonl" --validation "$sets/docs-validation.jsonl" --output "$out/docs" --learning-rate 1e-3 --devices 2
"$bertin" predict --checkpoint "$out/docs/best.h5" --tokenizer "$tokenizer" --input "$sets/docs-validation.jsonl" --output "$out/docs-validation.predicted.jsonl"
"$bertin" convert --checkpoint "$out/docs/best.h5" --to-hf "$out/docs/hf"
echo "fine-tuning example finished: $out/{ner,docs}/hf load with AutoModelFor{Token,Sequence}Classification"
