"""Reference for fine-tuning data and metrics:
- seqeval 1.2.2 (default mode) on hand-made tag sequences (entities at sentence ends, I- without
  B-, adjacent same-type entities, IOB1, IOE, BIOES) and on random ones: entities, micro
  precision/recall/F1, per-type scores and accuracy;
- scikit-learn's accuracy and macro F1 on random label lists;
- transformers' RobertaTokenizerFast(add_prefix_space=True) with is_split_into_words=True on the
  committed test tokenizer (Tests/CorpusTests/Fixtures/tokenizer): input_ids and word_ids of word
  lists, and text-pair encodings truncated with "longest_first".

Writes Tests/DownstreamTests/Fixtures/{seqeval,label-metrics,alignment}.json. Pinned packages:
Scripts/reference/requirements.txt.
"""
import json
import pathlib
import random

from seqeval.metrics import accuracy_score, f1_score, precision_score, recall_score
from seqeval.metrics.sequence_labeling import get_entities, precision_recall_fscore_support
from sklearn.metrics import accuracy_score as sk_accuracy, f1_score as sk_f1
from transformers import RobertaTokenizerFast

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "Tests/DownstreamTests/Fixtures"
out.mkdir(parents=True, exist_ok=True)
rng = random.Random(13)

hand = {
    "entity at sentence end": ([["O", "B-PER", "I-PER"], ["B-LOC"]], [["O", "B-PER", "I-PER"], ["O"]]),
    "I- without B- (IOB1 start)": ([["I-PER", "I-PER", "O", "I-LOC"]], [["B-PER", "I-PER", "O", "I-LOC"]]),
    "adjacent same-type entities": ([["B-PER", "B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "I-PER", "O"]]),
    "type change inside a chunk": ([["B-PER", "I-LOC", "I-LOC"]], [["B-PER", "I-PER", "I-LOC"]]),
    "IOB1 with B- between same types": ([["I-ORG", "B-ORG", "I-ORG", "O", "I-MISC"]], [["I-ORG", "I-ORG", "I-ORG", "O", "I-MISC"]]),
    "IOE": ([["I-PER", "E-PER", "E-PER", "O", "I-LOC", "I-LOC", "E-LOC"]], [["I-PER", "E-PER", "I-PER", "E-PER", "O", "I-LOC", "E-LOC"]]),
    "BIOES": ([["S-PER", "B-LOC", "I-LOC", "E-LOC", "O", "S-ORG", "S-ORG"]], [["S-PER", "B-LOC", "E-LOC", "S-LOC", "O", "B-ORG", "E-ORG"]]),
    "BIOES broken": ([["B-PER", "O", "E-PER", "I-PER", "S-LOC", "E-LOC"]], [["B-PER", "I-PER", "E-PER", "O", "B-LOC", "E-LOC"]]),
    "no prediction": ([["B-PER", "O"]], [["O", "O"]]),
    "no gold entity": ([["O", "O"]], [["B-PER", "O"]]),
    "bare tags and dots": ([["B", "I", "O", ".", "I-X"]], [["B", "O", "O", "B-X", "I-X"]]),
    "many sentences": ([["B-PER"], ["I-PER"], ["O", "B-LOC", "I-LOC"], []], [["B-PER"], ["B-PER"], ["O", "B-LOC", "B-LOC"], []]),
}


def exact(x):
    # Floats as their shortest repr strings: Foundation's JSON number parsing on Linux can be a ulp off.
    return repr(float(x))


def scores(y_true, y_pred):
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, average=None)
    types = sorted({t for t, _, _ in get_entities(y_true)} | {t for t, _, _ in get_entities(y_pred)})
    return {
        "gold": y_true, "predicted": y_pred,
        "gold_entities": [list(e) for e in get_entities(y_true)],
        "predicted_entities": [list(e) for e in get_entities(y_pred)],
        "precision": exact(precision_score(y_true, y_pred)), "recall": exact(recall_score(y_true, y_pred)),
        "f1": exact(f1_score(y_true, y_pred)), "accuracy": exact(accuracy_score(y_true, y_pred)),
        "by_type": {t: [exact(p[i]), exact(r[i]), exact(f[i]), exact(s[i])] for i, t in enumerate(types)},
    }


cases = [dict(name=name, **scores(*pair)) for name, pair in hand.items()]
schemes = {
    "IOB2": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"],
    "IOB1": ["O", "I-PER", "I-LOC", "B-LOC", "I-ORG", "I-MISC"],
    "IOE": ["O", "I-PER", "E-PER", "I-LOC", "E-LOC"],
    "BIOES": ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"],
}
for scheme, tags in schemes.items():
    for index in range(25):
        gold, predicted = [], []
        for _ in range(rng.randint(1, 6)):
            n = rng.randint(1, 12)
            sentence = [rng.choice(tags) for _ in range(n)]
            gold.append(sentence)
            predicted.append([t if rng.random() < 0.6 else rng.choice(tags) for t in sentence])
        cases.append(dict(name=f"random {scheme} {index}", **scores(gold, predicted)))
(out / "seqeval.json").write_text(json.dumps(cases, indent=0))

label_cases = []
for index in range(30):
    labels = ["ECAT", "CCAT", "GCAT", "MCAT", "0", "1", "2"][: rng.randint(2, 7)]
    gold = [rng.choice(labels) for _ in range(rng.randint(1, 40))]
    predicted = [g if rng.random() < 0.5 else rng.choice(labels) for g in gold]
    label_cases.append({"gold": gold, "predicted": predicted, "accuracy": exact(sk_accuracy(gold, predicted)),
                        "macro_f1": exact(sk_f1(gold, predicted, average="macro", zero_division=0))})
(out / "label-metrics.json").write_text(json.dumps(label_cases, indent=0))

tokenizer = RobertaTokenizerFast.from_pretrained(root / "Tests/CorpusTests/Fixtures/tokenizer", add_prefix_space=True)
sentences = [
    ["El", "Tribunal", "Supremo", "de", "Madrid", "dictó", "sentencia", "."],
    ["La", "ONU", "y", "la", "U.E.", "firmaron", "el", "acuerdo", "en", "Nueva", "York", "el", "3/4/2002", "."],
    ["Ñandú", "pingüino", "¿", "qué", "?", "¡Hola!", "—dijo", "José", "María", "Aznar", "(", "PP", ")"],
    ["apt-get", "install", "libopenblas-dev", "openmpi-bin", "…", "😀", "x86_64", "C++", "<s>"],
]
words = [{"words": s, "input_ids": (e := tokenizer(s, is_split_into_words=True))["input_ids"], "word_ids": e.word_ids()}
         for s in sentences]
pairs = [
    ("El perro corre por el parque.", "Un animal se mueve al aire libre."),
    ("Una frase corta.", "Una segunda frase mucho más larga que la primera, con muchas palabras que habrá que truncar al final."),
    ("Texto largo sin pareja que también se trunca porque no cabe en la longitud máxima del ejemplo.", None),
]
encoded_pairs = [{"text": a, "text_pair": b, "max_length": 24,
                  "input_ids": tokenizer(a, b, truncation=True, max_length=24)["input_ids"] if b else tokenizer(a, truncation=True, max_length=24)["input_ids"]}
                 for a, b in pairs]
(out / "alignment.json").write_text(json.dumps({"words": words, "pairs": encoded_pairs}, ensure_ascii=False, indent=0))
print(len(cases), "seqeval cases")
