"""kenlm 0.3.0's scores on the KenLM fixtures that make-kenlm-fixture.sh builds.

For the ARPA file and each binary form: full_scores (log10 probability, n-gram length, OOV) per word
and score per line, on held-out lines, lines the model was trained on (so 5-grams match) and hard
strings; and BERTIN's per-document perplexity. A form whose scores equal an earlier form's names it (same_as). kenlm returns float32 values (its Python `score` sums
in a C float), so the fixture holds them exactly. Pinned: Scripts/reference/requirements.txt.
"""
import gzip
import json
import pathlib
import sys

import kenlm

root = pathlib.Path(__file__).resolve().parents[2]
corpus = root / "Recipes/sample-corpus"
fixtures = root / "Tests/CorpusTests/Fixtures/kenlm"
arpa = sys.argv[1]


def documents(name):
    with gzip.open(corpus / name, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


held_out = documents("c4-es-validation.tfrecord-00000-of-00001.json.gz")[:4]
trained = [line for doc in documents("c4-es.tfrecord-00000-of-00002.json.gz")[:6] for line in doc.split("\n")][:60]
hard = ["", "   ", "palabra", "xyzzy desconocida qwerty", "El  núcleo\tde\u00a0Linux", "¿Qué? ¡Sí! ñandú 😀 漢字",
        "la la la la la la", "a\u2003b\u3000c", "e\u0301 combinando", "<s> dentro </s> <unk> <UNK>",
        "primera línea\r", "de la de la de la"]
lines = sorted({line for doc in held_out for line in doc.split("\n")} | set(trained) | set(hard))

forms = {"arpa": arpa}
for form in ["probing", "trie", "quant-trie", "array-trie", "quant-array-trie"]:
    forms[form] = str(fixtures / f"sample-5gram.{form}.bin")

fixture = {"lines": lines, "documents": held_out, "models": {}}
for form, path in forms.items():
    model = kenlm.Model(path)
    entry = {"order": model.order, "scores": [], "full_scores": [], "documents": []}
    for line in lines:
        entry["scores"].append(model.score(line))
        entry["full_scores"].append([[p, n, int(oov)] for p, n, oov in model.full_scores(line)])
    for text in held_out:  # BERTIN's perplexity: raw lines, str.split() word counts
        log_score, length = 0.0, 0
        for line in text.split("\n"):
            log_score += model.score(line)
            length += len(line.split()) + 1
        entry["documents"].append({"log_score": log_score, "words": length, "perplexity": 10 ** (-log_score / length)})
    # Forms that store the same values score the same: keep one copy and name it.
    same = next((name for name, other in fixture["models"].items() if other.get("full_scores") == entry["full_scores"]), None)
    fixture["models"][form] = {"order": entry["order"], "same_as": same} if same else entry
pruned = kenlm.Model(str(fixtures / "srilm-pruned.probing.bin"))
pruned_lines = ["la casa roja", "casa roja", "roja casa la", "la casa", "<s> casa roja </s>", "casa desconocida roja"]
fixture["srilm_pruned"] = {"lines": pruned_lines, "scores": [pruned.score(line) for line in pruned_lines],
                           "full_scores": [[[p, n, int(oov)] for p, n, oov in pruned.full_scores(line)] for line in pruned_lines]}
(fixtures / "kenlm-scores.json").write_text(json.dumps(fixture, ensure_ascii=False))
print({form: m.get("same_as") or sum(map(len, m["full_scores"])) for form, m in fixture["models"].items()}, "word scores")
