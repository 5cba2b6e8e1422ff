#!/usr/bin/env bash
# By hand: a GPT-2-style tokenizer trained by `bertin tokenizer train --special-tokens "<|endoftext|>"`
# loads in transformers' AutoTokenizer (GPT2Tokenizer) and gives the ids tokenizers' own trainer's gives.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
python=$(Scripts/reference/setup-venv.sh)
swift build -c release --product bertin >/dev/null
folder=$(mktemp -d)
.build/release/bertin tokenizer train --vocab-size 2000 --special-tokens "<|endoftext|>" --output "$folder/tok" Recipes/sample-corpus/c4-es.tfrecord-0000*.json.gz >/dev/null 2>&1
"$python" - "$folder/tok" <<'PY'
import gzip, json, sys
from tokenizers import Tokenizer
from transformers import AutoTokenizer
ours = AutoTokenizer.from_pretrained(sys.argv[1])
reference = Tokenizer.from_file("Tests/CorpusTests/Fixtures/tokenizer-gpt2/tokenizer.json")
texts = [json.loads(l)["text"] for l in gzip.open("Recipes/sample-corpus/c4-es-validation.tfrecord-00000-of-00001.json.gz", "rt")][:20]
texts += ["hola<|endoftext|>adiós", " ¿Qué? ñ 😀", ""]
same = sum(ours(t)["input_ids"] == reference.encode(t).ids for t in texts)
print(f"{type(ours).__name__}: {same} of {len(texts)} texts give tokenizers' ids; eos {ours.eos_token!r} = {ours.eos_token_id}")
assert same == len(texts)
PY
rm -rf "$folder"
