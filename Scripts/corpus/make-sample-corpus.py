"""Builds the bundled Spanish sample corpus in mC4 format from Debian's manpages-es package.

Every Spanish man page becomes one document: rendered to plain UTF-8 text by groff, wrapped lines
joined into paragraphs, paragraphs separated by "\n" as in mC4. Documents are shuffled with a fixed
seed and split into two train shards and one held-out validation shard, named like mC4-es:
  Recipes/sample-corpus/c4-es.tfrecord-0000{0,1}-of-00002.json.gz
  Recipes/sample-corpus/c4-es-validation.tfrecord-00000-of-00001.json.gz
Needs apt-get (to download the .deb), dpkg-deb and groff; run: python3 Scripts/corpus/make-sample-corpus.py
"""
import gzip
import json
import pathlib
import random
import re
import subprocess
import tempfile

root = pathlib.Path(__file__).resolve().parents[2]
output = root / "Recipes/sample-corpus"
VERSION = "4.18.1-1"
TIMESTAMP = "2023-01-15T00:00:00Z"  # the package's release, for the mC4 timestamp field


def render(page):
    """Plain text of one man page: no overstrike, wrapped lines joined, one paragraph per line."""
    raw = subprocess.run(["groff", "-k", "-K", "utf8", "-man", "-Tutf8", "-P", "-cbou", "-rLL=250n", "-rHY=0", page], capture_output=True,
                         env={"GROFF_NO_SGR": "1", "PATH": "/usr/bin:/bin"}, check=True).stdout.decode("utf-8", "replace")
    paragraphs, current = [], []
    for line in raw.splitlines():
        line = line.strip()
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
        else:
            current.append(line)
    if current:
        paragraphs.append(" ".join(current))
    # The first and last lines are the page header and footer ("LS(1) ... LS(1)").
    paragraphs = [re.sub(r"\s+", " ", p) for p in paragraphs[1:-1]]
    return "\n".join(p for p in paragraphs if p)


def main():
    with tempfile.TemporaryDirectory() as work:
        subprocess.run(["apt-get", "download", f"manpages-es={VERSION}"], cwd=work, check=True, capture_output=True)
        deb = next(pathlib.Path(work).glob("manpages-es_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), f"{work}/x"], check=True)
        pages = sorted(pathlib.Path(work, "x/usr/share/man/es").rglob("*.gz"))
        documents = []
        for page in pages:
            plain = pathlib.Path(work) / page.name[:-3]
            plain.write_bytes(gzip.decompress(page.read_bytes()))
            text = render(str(plain))
            if len(text) < 200:  # .so redirections and near-empty pages
                continue
            name, section = page.name[:-3].rsplit(".", 1)
            documents.append({"text": text, "timestamp": TIMESTAMP,
                              "url": f"https://manpages.debian.org/bookworm/manpages-es/{name}.{section}.es.html"})
    random.Random(2021).shuffle(documents)
    held_out = max(1, len(documents) // 10)
    splits = {
        "c4-es-validation.tfrecord-00000-of-00001.json.gz": documents[:held_out],
        "c4-es.tfrecord-00000-of-00002.json.gz": documents[held_out::2],
        "c4-es.tfrecord-00001-of-00002.json.gz": documents[held_out + 1::2],
    }
    output.mkdir(parents=True, exist_ok=True)
    for name, docs in splits.items():
        with open(output / name, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as shard:
            for doc in docs:
                shard.write((json.dumps(doc, ensure_ascii=False) + "\n").encode("utf-8"))
        print(f"{name}: {len(docs)} documents, {sum(len(d['text']) for d in docs)} characters")


main()
