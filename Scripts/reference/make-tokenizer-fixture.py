"""Reference for the byte-level BPE tokenizer: HuggingFace tokenizers' ByteLevelBPETokenizer trained on
the sample corpus's train shards (each document one sequence, as `bertin tokenizer train` reads them),
and its encodings of Spanish text and hard strings.

Writes Tests/CorpusTests/Fixtures/tokenizer/{vocab.json, merges.txt, tokenizer.json} and
Tests/CorpusTests/Fixtures/tokenizer-encodings.json. Pinned packages: requirements.txt.
"""
import gzip
import json
import pathlib

from tokenizers import ByteLevelBPETokenizer
from tokenizers.processors import RobertaProcessing

root = pathlib.Path(__file__).resolve().parents[2]
corpus = root / "Recipes/sample-corpus"
out = root / "Tests/CorpusTests/Fixtures/tokenizer"
out.mkdir(parents=True, exist_ok=True)
VOCAB, MIN_FREQUENCY = 8000, 2
SPECIAL = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def documents(name):
    with gzip.open(corpus / name, "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


train = documents("c4-es.tfrecord-00000-of-00002.json.gz") + documents("c4-es.tfrecord-00001-of-00002.json.gz")
tokenizer = ByteLevelBPETokenizer()
tokenizer.train_from_iterator(train, vocab_size=VOCAB, min_frequency=MIN_FREQUENCY, special_tokens=SPECIAL, show_progress=False)
tokenizer.save_model(str(out))
tokenizer.post_processor = RobertaProcessing(("</s>", 2), ("<s>", 0))
tokenizer.save(str(out / "tokenizer.json"))

hard = [
    "", " ", "  ", "\n", "hola", " hola", "¿Qué tal? ¡Muy bien!", "El niño comió ñoquis en Peñíscola.",
    "Acentos: á é í ó ú Á É Í Ó Ú ü Ü ç", "e\u0301 combinada y é precompuesta", "emoji 😀👍🏽 y 🇪🇸 bandera",
    "中文字符 y 日本語のテキスト", "espacios    múltiples\t\ttabs\n\n\nnuevas líneas  \n ", "números 12345 3,14 1.000.000 ٣٤",
    "URL https://es.wikipedia.org/wiki/Español?x=1&y=2#sección", "correo@ejemplo.es", "It's we're they've I'm we'll he'd 'S",
    "Una <mask> en el texto", "<s>inicio</s> y <pad><unk>", "<mask><mask> juntas", "sin<mask>espacio",
    "palabra" * 60, "a" * 300, "\u00a0no-break\u00a0space\u2003em\u3000ideo", "control\x01\x7f chars", "línea\r\nwindows",
    "MAYÚSCULAS Y minúsculas", "guion-largo — comillas «latinas» y “curvas”", " \t\n mixed \x0b\x0c",
]
validation = documents("c4-es-validation.tfrecord-00000-of-00001.json.gz")[:5]
cases = []
for text in hard + validation:
    with_special = tokenizer.encode(text)
    without = tokenizer.encode(text, add_special_tokens=False)
    cases.append({"text": text, "ids": with_special.ids, "ids_without_special": without.ids,
                  "decoded": tokenizer.decode(with_special.ids)})
(root / "Tests/CorpusTests/Fixtures/tokenizer-encodings.json").write_text(json.dumps({"cases": cases}, ensure_ascii=False))
print(tokenizer.get_vocab_size(), "tokens;", len(cases), "cases")
