#!/usr/bin/env bash
# The main job: tiny BERTIN-style pre-training on the bundled sample corpus, end to end, under mpirun.
#   sample corpus -> perplexity sampling (gaussian) -> byte-level BPE tokenizer -> rows of 128 and 512
#   -> phase 1 (seq 128) -> phase 2 (seq 512) -> checkpoint -> transformers directory.
# Installs the Debian packages it needs when missing. About two minutes on 2 cores.
#   NP=2 (default): MPI ranks; the recipe's 8 devices are spread over them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup-debian.sh
swift build -c release --product bertin
bertin=.build/release/bertin
corpus=Recipes/sample-corpus
run=Checkpoints/tiny-smoke
data=$run/data
rm -rf "$run"
mkdir -p "$data"
"$bertin" info
echo "== perplexity sampling (gaussian, quartiles estimated under the bundled 3-gram model)"
"$bertin" sample --model "$corpus/sample-3gram.arpa.gz" --method gaussian --estimate-boundaries 360 \
    --output "$data/sampled" --plot "$data/perplexity.svg" "$corpus"/c4-es.tfrecord-*.json.gz
echo "== tokenizer"
"$bertin" tokenizer train --vocab-size 8000 --min-frequency 2 --output "$data/tokenizer" "$data"/sampled/*.json.gz
echo "== rows"
for length in 128 512; do
    "$bertin" prepare --tokenizer "$data/tokenizer" --sequence-length "$length" \
        --eval-file "$corpus/c4-es-validation.tfrecord-00000-of-00001.json.gz" --output "$data/rows$length" "$data"/sampled/*.json.gz
done
echo "== pre-training under mpirun -np ${NP:-2}"
bash Scripts/launch.sh "${NP:-2}" train --recipe Recipes/tiny-smoke.yaml
echo "== export"
last=$(ls "$run"/step-*.h5 | sort | tail -1)
"$bertin" convert --checkpoint "$last" --to-hf "$run/hf"
cp "$data"/tokenizer/* "$run/hf/"
"$bertin" fill-mask --checkpoint "$last" --tokenizer "$data/tokenizer" "El <mask> de Linux." --top 3
echo "smoke run finished: $run/hf is a transformers directory (AutoModelForMaskedLM / AutoTokenizer.from_pretrained)"
