#!/usr/bin/env bash
# Tiny GPT-J causal-LM pre-training on the bundled sample corpus, under mpirun: the second model
# family end to end. sample corpus -> byte-level BPE tokenizer -> causal rows of 128 (documents
# joined by the end-of-text token) -> Recipes/tiny-gptj-smoke.yaml -> transformers directory -> greedy text.
#   NP=2 (default): MPI ranks; the recipe's 8 devices are spread over them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup-debian.sh
swift build -c release --product bertin
bertin=.build/release/bertin
corpus=Recipes/sample-corpus
run=Checkpoints/tiny-gptj-smoke
data=$run/data
rm -rf "$run"
mkdir -p "$data"
echo "== tokenizer (GPT-2 style: <|endoftext|> only, nothing added around a text)"
"$bertin" tokenizer train --vocab-size 8000 --min-frequency 2 --special-tokens "<|endoftext|>" --output "$data/tokenizer" "$corpus"/c4-es.tfrecord-*.json.gz
echo "== causal rows"
"$bertin" prepare --objective causal --tokenizer "$data/tokenizer" --sequence-length 128 \
    --eval-file "$corpus/c4-es-validation.tfrecord-00000-of-00001.json.gz" --output "$data/rows128" "$corpus"/c4-es.tfrecord-*.json.gz
echo "== pre-training under mpirun -np ${NP:-2}"
bash Scripts/launch.sh "${NP:-2}" train --recipe Recipes/tiny-gptj-smoke.yaml
echo "== export and generate"
last=$(ls "$run"/step-*.h5 | sort | tail -1)
"$bertin" convert --checkpoint "$last" --to-hf "$run/hf"
"$bertin" generate --checkpoint "$last" --tokenizer "$data/tokenizer" --max-new-tokens 20 "El comando"
echo "gptj smoke run finished: $run/hf is a transformers directory (AutoModelForCausalLM.from_pretrained)"
