#!/usr/bin/env bash
# KenLM binary-format fixtures, made by KenLM's own tools (Tests/CorpusTests/Fixtures/kenlm/):
#   sample-5gram.arpa.gz          lmplz -o 5 --prune 0 1 1 over 1,500 lines of the sample corpus
#   sample-5gram.probing.bin      build_binary probing            (CCNet's es.arpa.bin is this form)
#   sample-5gram.trie.bin         build_binary trie
#   sample-5gram.quant-trie.bin   build_binary -q 8 -b 8 trie
#   sample-5gram.array-trie.bin   build_binary -a 22 trie
#   sample-5gram.quant-array-trie.bin  build_binary -a 22 -q 8 -b 8 trie
#   srilm-pruned.probing.bin      build_binary probing of srilm-pruned.arpa (committed, hand-written):
#                                 a 3-gram whose suffix 2-gram is missing, which kenlm fills with a blank
#   kenlm-scores.json             kenlm's Python module on each of them (make-kenlm-fixture.py)
# lmplz and build_binary compile from the kenlm==0.3.0 sdist (Scripts/reference/kenlm-tools.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=$("$root/Scripts/reference/setup-venv.sh")
fixtures="$root/Tests/CorpusTests/Fixtures/kenlm"
bin=$("$root/Scripts/reference/kenlm-tools.sh")

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Raw lines of the first training shard, as BERTIN scores them (no normalisation).
"$python" - "$root/Recipes/sample-corpus/c4-es.tfrecord-00000-of-00002.json.gz" > "$scratch/lines.txt" <<'PY'
import gzip, json, sys
with gzip.open(sys.argv[1], "rt", encoding="utf-8") as f:
    for record in f:
        for line in json.loads(record)["text"].split("\n"):
            print(line)
PY
head -n 1500 "$scratch/lines.txt" | "$bin/lmplz" -o 5 -S 10% --discount_fallback --prune 0 1 1 > "$scratch/sample-5gram.arpa" 2>"$scratch/lmplz.log"
mkdir -p "$fixtures"
gzip -9 -n -c "$scratch/sample-5gram.arpa" > "$fixtures/sample-5gram.arpa.gz"
build() { "$bin/build_binary" "$@" >"$scratch/build.log" 2>&1 || { cat "$scratch/build.log"; exit 1; }; }
build probing "$scratch/sample-5gram.arpa" "$fixtures/sample-5gram.probing.bin"
build trie "$scratch/sample-5gram.arpa" "$fixtures/sample-5gram.trie.bin"
build -q 8 -b 8 trie "$scratch/sample-5gram.arpa" "$fixtures/sample-5gram.quant-trie.bin"
build -a 22 trie "$scratch/sample-5gram.arpa" "$fixtures/sample-5gram.array-trie.bin"
build -a 22 -q 8 -b 8 trie "$scratch/sample-5gram.arpa" "$fixtures/sample-5gram.quant-array-trie.bin"
build probing "$fixtures/srilm-pruned.arpa" "$fixtures/srilm-pruned.probing.bin"
"$python" "$root/Scripts/reference/make-kenlm-fixture.py" "$scratch/sample-5gram.arpa"
ls -l "$fixtures"
