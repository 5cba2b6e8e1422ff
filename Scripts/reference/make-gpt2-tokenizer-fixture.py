"""Reference for a GPT-2-style byte-level BPE tokenizer (the tokenizer family of GPT-J): tokenizers'
ByteLevelBPETokenizer trained on the sample corpus's train shards with <|endoftext|> as its only
special token and no post-processor (nothing added around a text), and its encodings.

Writes Tests/CorpusTests/Fixtures/tokenizer-gpt2/{vocab.json, merges.txt, tokenizer.json} and
Tests/CorpusTests/Fixtures/tokenizer-gpt2-encodings.json. Pinned packages: requirements.txt.
"""
import gzip
import json
import pathlib

from tokenizers import ByteLevelBPETokenizer

root = pathlib.Path(__file__).resolve().parents[2]
corpus = root / "Recipes/sample-corpus"
out = root / "Tests/CorpusTests/Fixtures/tokenizer-gpt2"
out.mkdir(parents=True, exist_ok=True)
VOCAB, MIN_FREQUENCY = 2000, 2


def documents(name):
    with gzip.open(corpus / name, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


train = documents("c4-es.tfrecord-00000-of-00002.json.gz") + documents("c4-es.tfrecord-00001-of-00002.json.gz")
tokenizer = ByteLevelBPETokenizer()
tokenizer.train_from_iterator(train, vocab_size=VOCAB, min_frequency=MIN_FREQUENCY, special_tokens=["<|endoftext|>"], show_progress=False)
tokenizer.save_model(str(out))
tokenizer.save(str(out / "tokenizer.json"))

texts = ["", "hola", " ¿Qué tal?<|endoftext|>Otro documento", "<|endoftext|>", "fin<|endoftext|><|endoftext|> doble",
         "emoji 😀 y ñ", "<s>no es especial</s>"] + documents("c4-es-validation.tfrecord-00000-of-00001.json.gz")[:1]
cases = [{"text": t, "ids": tokenizer.encode(t).ids, "ids_without_special": tokenizer.encode(t, add_special_tokens=False).ids,
          "decoded": tokenizer.decode(tokenizer.encode(t).ids)} for t in texts]
(root / "Tests/CorpusTests/Fixtures/tokenizer-gpt2-encodings.json").write_text(json.dumps({"cases": cases}, ensure_ascii=False))
print(tokenizer.get_vocab_size(), "tokens;", len(cases), "cases")
