"""An ARPA 3-gram model of the sample corpus from our own small estimator, and kenlm's scores on it.

The estimator: absolute discounting (D = 0.7) with backoff, normalised backoff weights, bigrams and
trigrams seen once pruned, <unk> given the discounted unigram mass. Any valid ARPA file serves: the
point is that kenlm and we score the same file. Words are split as kenlm's Python `score` splits them
(bytes.split(): ASCII whitespace).

Writes Recipes/sample-corpus/sample-3gram.arpa.gz (also the smoke run's language model) and
Tests/CorpusTests/Fixtures/ngram-scores.json (kenlm 0.3.0's
full_scores per word, score per line, and BERTIN's per-document perplexity on held-out documents and
hard strings). Pinned packages: Scripts/reference/requirements.txt (+ kenlm==0.3.0).
"""
import collections
import gzip
import json
import math
import pathlib
import tempfile

import kenlm

root = pathlib.Path(__file__).resolve().parents[2]
corpus = root / "Recipes/sample-corpus"
fixtures = root / "Tests/CorpusTests/Fixtures"
D = 0.7


def documents(name):
    with gzip.open(corpus / name, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


train = documents("c4-es.tfrecord-00000-of-00002.json.gz") + documents("c4-es.tfrecord-00001-of-00002.json.gz")
counts = [collections.Counter() for _ in range(3)]
for doc in train:
    for line in doc.split("\n"):
        words = ["<s>"] + [w.decode("utf-8") for w in line.encode("utf-8").split()] + ["</s>"]
        for n in range(1, 4):
            for i in range(len(words) - n + 1):
                gram = tuple(words[i:i + n])
                if gram != ("<s>",):
                    counts[n - 1][gram] += 1
context_counts = [collections.Counter() for _ in range(3)]
for n in (1, 2):  # history counts from all n-grams, before pruning, so kept probabilities are not inflated
    for gram, c in counts[n].items():
        context_counts[n][gram[:-1]] += c
    counts[n] = collections.Counter({g: c for g, c in counts[n].items() if c >= 2})

# Unigrams: discounted, the freed mass goes to <unk>. <s> gets the conventional -99.
total = sum(counts[0].values())
logprob = [{}, {}, {}]
for gram, c in counts[0].items():
    logprob[0][gram] = math.log10((c - D) / total)
logprob[0][("<unk>",)] = math.log10(D * len(counts[0]) / total)
logprob[0][("<s>",)] = -99.0
for n in (1, 2):
    for gram, c in counts[n].items():
        logprob[n][gram] = math.log10((c - D) / sum_c) if (sum_c := context_counts[n][gram[:-1]]) else -99.0


def probability(gram):
    """Backed-off probability (not log) of the last word given the rest, from the tables so far."""
    if gram in logprob[len(gram) - 1]:
        return 10 ** logprob[len(gram) - 1][gram]
    if len(gram) == 1:
        return 10 ** logprob[0][("<unk>",)]
    return 10 ** backoff.get(gram[:-1], 0.0) * probability(gram[1:])


backoff = {}
for n in (1, 2):  # backoff weight of each context of order n that has continuations
    seen = collections.defaultdict(list)
    for gram in logprob[n]:
        seen[gram[:-1]].append(gram)
    for context, grams in seen.items():
        kept = sum(10 ** logprob[n][g] for g in grams)
        lower = sum(probability(g[1:]) for g in grams)
        backoff[context] = math.log10(max(1e-12, 1 - kept) / max(1e-12, 1 - lower))

arpa = corpus / "sample-3gram.arpa.gz"
with gzip.GzipFile(arpa, "wb", mtime=0) as raw:
    out = lambda text: raw.write(text.encode("utf-8"))
    out("\n\\data\\\n")
    for n in range(3):
        out(f"ngram {n + 1}={len(logprob[n])}\n")
    for n in range(3):
        out(f"\n\\{n + 1}-grams:\n")
        for gram in sorted(logprob[n]):
            line = f"{logprob[n][gram]:.7f}\t{' '.join(gram)}"
            if n < 2 and gram in backoff:
                line += f"\t{backoff[gram]:.7f}"
            out(line + "\n")
    out("\n\\end\\\n")

with tempfile.NamedTemporaryFile(suffix=".arpa") as plain:
    plain.write(gzip.decompress(arpa.read_bytes()))
    plain.flush()
    model = kenlm.Model(plain.name)

hard = ["", "   ", "palabra", "xyzzy desconocida qwerty", "El  núcleo\tde\u00a0Linux", "¿Qué? ¡Sí! ñandú 😀 漢字",
        "la la la la la la", "a\u2003b\u3000c", "e\u0301 combinando",
        # Windows line ends: Python's split("\n") leaves "\r" on each line (whitespace to kenlm).
        "primera línea\r\nsegunda línea\r\n\r\nfin\r", "líneas\n\nvacías\n"]
validation = documents("c4-es-validation.tfrecord-00000-of-00001.json.gz")[:12]


def document_entry(text):
    lines = []
    log_score, length = 0.0, 0
    for line in text.split("\n"):  # BERTIN's perplexity: raw lines, str.split() word counts
        log_score += model.score(line)
        length += len(line.split()) + 1
        lines.append({"line": line, "score": model.score(line),
                      "full_scores": [[p, n, int(oov)] for p, n, oov in model.full_scores(line)]})
    return {"text": text, "lines": lines, "log_score": log_score, "words": length, "perplexity": 10 ** (-log_score / length)}


# CCNet's text_normalizer.normalize with its defaults, transcribed from cc_net/text_normalizer.py
# (facebookresearch/cc_net; not on PyPI, so not pinned): the reference for our --ccnet-normalize.
import re, unicodedata
UNICODE_PUNCT = {"，": ",", "。": ".", "、": ",", "„": '"', "”": '"', "“": '"', "«": '"', "»": '"', "１": '"', "」": '"',
                 "「": '"', "《": '"', "》": '"', "´": "'", "∶": ":", "：": ":", "？": "?", "！": "!", "（": "(", "）": ")",
                 "；": ";", "–": "-", "—": " - ", "．": ". ", "～": "~", "’": "'", "…": "...", "━": "-", "〈": "<", "〉": ">",
                 "【": "[", "】": "]", "％": "%", "►": "-"}
NON_PRINTING = re.compile(f"[{''.join(map(chr, list(range(0, 32)) + list(range(127, 160))))}]")


def ccnet_normalize(line):
    line = line.strip()
    if not line:
        return line
    line = line.lower()
    line = "".join(c for c in unicodedata.normalize("NFD", line) if unicodedata.category(c) != "Mn")
    line = re.sub(r"\d", "0", line)
    line = "".join(UNICODE_PUNCT.get(c, c) for c in line)
    return NON_PRINTING.sub("", line)


normalization_cases = hard + ["  Árbol ÑANDÚ  ", "１２３ y ٣٤ dígitos", "«comillas» —raya— … ％", "Ελληνικά ΣΟΦΟΣ", "İstanbul ǅ ß", "tab\there\x07bell\x85nel"]
normalized = [{"text": t, "normalized": ccnet_normalize(t)} for t in normalization_cases]
normalized_documents = []
for text in validation[:4]:
    score, length = 0.0, 0
    for line in text.split("\n"):
        line = ccnet_normalize(line)
        score += model.score(line)
        length += len(line.split()) + 1
    normalized_documents.append({"text": text, "log_score": score, "words": length, "perplexity": 10 ** (-score / length)})

fixture = {"order": model.order, "normalization": normalized, "normalized_documents": normalized_documents, "documents": [document_entry(t) for t in validation] + [document_entry(t) for t in hard]}
(fixtures / "ngram-scores.json").write_text(json.dumps(fixture, ensure_ascii=False))
print(f"{arpa.name}: {arpa.stat().st_size} bytes, {[len(t) for t in logprob]} n-grams; perplexity of doc 0: {fixture['documents'][0]['perplexity']:.1f}")
