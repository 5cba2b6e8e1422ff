"""Writes a few hundred MB of mC4-format JSON lines for the tokenizer-training benchmark: the
bundled sample corpus repeated, each copy perturbed (seeded) so that the vocabulary keeps growing
as in real web text: about one word in eight gets a suffix, a doubled letter, a number or a case
change. usage: make_tokenizer_corpus.py OUT_DIR MEGABYTES FILES"""
import gzip
import json
import random
import sys

out, megabytes, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
texts = []
for name in ["c4-es.tfrecord-00000-of-00002.json.gz", "c4-es.tfrecord-00001-of-00002.json.gz"]:
    with gzip.open(f"Recipes/sample-corpus/{name}", "rt", encoding="utf-8") as lines:
        texts += [json.loads(line)["text"] for line in lines]
suffixes = ["ción", "mente", "ado", "ito", "ísimo", "azo", "ería", "ble", "ista", "dor"]
random.seed(2021)


def perturb(word):
    kind = random.randrange(5)
    if kind == 0:
        return word + random.choice(suffixes)
    if kind == 1 and len(word) > 2:
        i = random.randrange(len(word))
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word + str(random.randrange(1000))
    if kind == 3:
        return word.upper()
    return word.capitalize()


target = megabytes * 1_000_000
handles = [open(f"{out}/corpus-{i:03d}.jsonl", "w", encoding="utf-8") for i in range(files)]
written, document = 0, 0
while written < target:
    for text in texts:
        words = text.split(" ")
        text = " ".join(perturb(w) if w and random.random() < 0.125 else w for w in words)
        line = json.dumps({"text": text, "timestamp": "2020-01-01T00:00:00Z", "url": f"https://example.org/{document}"}, ensure_ascii=False)
        handles[document % files].write(line + "\n")
        written += len(text.encode())
        document += 1
        if written >= target:
            break
for handle in handles:
    handle.close()
print(document, written)
