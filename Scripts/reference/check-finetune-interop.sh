#!/usr/bin/env bash
# End-to-end check of fine-tuning against transformers (by hand; the suite needs no Python):
# a tiny random RobertaForMaskedLM over the test tokenizer is imported, fine-tuned by `bertin
# finetune` for token classification (the sample NER set) and sequence classification (the sample
# topic set), labelled by `bertin predict`, exported by `bertin convert --to-hf`; transformers'
# AutoModelFor{Token,Sequence}Classification then loads each export with its id2label and must
# predict the same label for every word / text, and seqeval / scikit-learn must give the metrics
# `bertin predict` printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=$("$root/Scripts/reference/setup-venv.sh")
swift build -c release --package-path "$root" --product bertin >/dev/null
bertin="$root/.build/release/bertin"
work=$(mktemp -d)
tokenizer="$root/Tests/CorpusTests/Fixtures/tokenizer"
sets="$root/Recipes/finetune-sample"
"$python" - "$work" <<'PY'
import sys, torch
from transformers import RobertaConfig, RobertaForMaskedLM
torch.manual_seed(0)
config = RobertaConfig(vocab_size=8000, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                       max_position_embeddings=130, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2)
RobertaForMaskedLM(config).save_pretrained(f"{sys.argv[1]}/pretrained")
PY
"$bertin" convert --from-hf "$work/pretrained" --output "$work/pretrained.h5"
"$bertin" finetune --task token-classification --checkpoint "$work/pretrained.h5" --tokenizer "$tokenizer" \
    --train "$sets/ner-train.conll" --validation "$sets/ner-validation.conll" --output "$work/ner" --epochs 3 --learning-rate 2e-3
"$bertin" predict --checkpoint "$work/ner/best.h5" --tokenizer "$tokenizer" --input "$sets/ner-validation.conll" \
    --output "$work/ner-predicted.conll" | tee "$work/ner-metrics.json"
"$bertin" convert --checkpoint "$work/ner/best.h5" --to-hf "$work/ner-hf"
"$bertin" finetune --task sequence-classification --checkpoint "$work/pretrained.h5" --tokenizer "$tokenizer" \
    --train "$sets/docs-train.jsonl" --validation "$sets/docs-validation.jsonl" --output "$work/docs" --epochs 3 --learning-rate 2e-3
"$bertin" predict --checkpoint "$work/docs/best.h5" --tokenizer "$tokenizer" --input "$sets/docs-validation.jsonl" \
    --output "$work/docs-predicted.jsonl" | tee "$work/docs-metrics.json"
"$bertin" convert --checkpoint "$work/docs/best.h5" --to-hf "$work/docs-hf"
"$python" - "$work" "$tokenizer" <<'PY'
import json, sys
import torch
from seqeval.metrics import accuracy_score, f1_score, precision_score, recall_score
from sklearn.metrics import accuracy_score as sk_accuracy, f1_score as sk_f1
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, RobertaTokenizerFast
work, tokenizer_dir = sys.argv[1], sys.argv[2]

model = AutoModelForTokenClassification.from_pretrained(f"{work}/ner-hf").eval()
tokenizer = RobertaTokenizerFast.from_pretrained(tokenizer_dir, add_prefix_space=True)
sentences, current = [], []
for line in open(f"{work}/ner-predicted.conll", encoding="utf-8").read().split("\n"):
    if not line.strip() or line.startswith("-DOCSTART-"):
        if current: sentences.append(current)
        current = []
    else:
        current.append(line.split())
if current: sentences.append(current)
gold, ours, theirs = [], [], []
with torch.no_grad():
    for sentence in sentences:
        words = [c[0] for c in sentence]
        encoding = tokenizer(words, is_split_into_words=True, return_tensors="pt")
        logits = model(**encoding).logits[0]
        ids, firsts, previous = encoding.word_ids(), [], None
        for position, word in enumerate(ids):
            if word is not None and word != previous: firsts.append(position)
            previous = word
        theirs.append([model.config.id2label[int(logits[p].argmax())] for p in firsts])
        ours.append([c[-1] for c in sentence])
        gold.append([c[-2] for c in sentence])
words = sum(len(s) for s in ours)
same = sum(a == b for s, t in zip(ours, theirs) for a, b in zip(s, t))
print(f"token classification: {same} of {words} words get the same label from transformers; labels {model.config.id2label}")
metrics = json.load(open(f"{work}/ner-metrics.json"))
expected = {"precision": precision_score(gold, ours), "recall": recall_score(gold, ours), "f1": f1_score(gold, ours), "accuracy": accuracy_score(gold, ours)}
print("seqeval on our predictions:", expected, "bertin predict:", metrics)
assert same == words and all(metrics[k] == expected[k] for k in expected)

model = AutoModelForSequenceClassification.from_pretrained(f"{work}/docs-hf").eval()
tokenizer = RobertaTokenizerFast.from_pretrained(tokenizer_dir)
rows = [json.loads(line) for line in open(f"{work}/docs-predicted.jsonl", encoding="utf-8") if line.strip()]
with torch.no_grad():
    theirs = [model.config.id2label[int(model(**tokenizer(r["text"], truncation=True, max_length=128, return_tensors="pt")).logits[0].argmax())] for r in rows]
ours = [r["prediction"] for r in rows]
same = sum(a == b for a, b in zip(ours, theirs))
print(f"sequence classification: {same} of {len(rows)} texts get the same label from transformers; labels {model.config.id2label}")
metrics = json.load(open(f"{work}/docs-metrics.json"))
gold = [r["label"] for r in rows]
expected = {"accuracy": sk_accuracy(gold, ours), "macro_f1": sk_f1(gold, ours, average="macro", zero_division=0)}
print("scikit-learn on our predictions:", expected, "bertin predict:", metrics)
assert same == len(rows) and abs(metrics["accuracy"] - expected["accuracy"]) < 1e-15 and abs(metrics["macro_f1"] - expected["macro_f1"]) < 1e-12
print("ok")
PY
