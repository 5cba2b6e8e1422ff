"""tokenizers' ByteLevelBPETokenizer.train_from_iterator, as BERTIN trained its tokenizer, on JSON
lines files (each document one sequence). Prints the seconds and writes vocab.json + merges.txt.
usage: tokenizer_train_reference.py OUT_DIR VOCAB_SIZE FILES..."""
import json
import sys
import time

from tokenizers import ByteLevelBPETokenizer

out, vocab_size, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]


def texts():
    for name in files:
        with open(name, encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)["text"]


start = time.perf_counter()
tokenizer = ByteLevelBPETokenizer()
tokenizer.train_from_iterator(texts(), vocab_size=vocab_size, min_frequency=2,
                              special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], show_progress=False)
seconds = time.perf_counter() - start
tokenizer.save_model(out)
print(seconds)
