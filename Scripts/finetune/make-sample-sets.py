"""Small Spanish fine-tuning sets for tests and the README example (no benchmark set ships in
Debian or PyPI): sentences from templates filled from small gazetteers of Spanish names, places,
organisations and Debian package and command names. Written by this script, licensed with the
project.

Writes Recipes/finetune-sample/:
- ner-{train,validation}.conll: CoNLL-2002 style "word POS TAG" lines, IOB2 tags PER/LOC/ORG/MISC
  (MISC: package and command names), a -DOCSTART- line, a blank line between sentences;
- docs-{train,validation}.jsonl: {"text", "label"} with a topic label (software, deportes, economía),
  MLDoc's shape.
Deterministic (seeded); standard library only.
"""
import json
import pathlib
import random

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "Recipes/finetune-sample"
out.mkdir(parents=True, exist_ok=True)

PER = ["María García", "José Luis Pérez", "Ana", "Carmen López", "Javier", "Lucía Fernández", "Pablo Martín", "Elena",
       "Manuel Sánchez", "Laura Gómez", "Diego", "Isabel Ruiz", "Sergio Díaz", "Marta", "Antonio Moreno", "Raquel Jiménez"]
LOC = ["Madrid", "Granada", "Sevilla", "Bilbao", "Valencia", "Buenos Aires", "Ciudad de México", "Zaragoza", "Málaga",
       "Santiago de Chile", "Bogotá", "Lima", "Oviedo", "Salamanca", "Córdoba", "Montevideo"]
ORG = ["Debian", "la Universidad de Granada", "el Ministerio de Ciencia", "Red Hat", "la Fundación Mozilla", "Telefónica",
       "el Real Madrid", "la ONU", "el Banco de España", "Wikimedia", "la Agencia Espacial Europea", "el CSIC"]
MISC = ["openssl", "apt-get", "libopenblas-dev", "python3", "gcc", "bash", "vim", "openmpi-bin", "git", "curl",
        "systemd", "nginx", "libhdf5-dev", "grep", "tar", "rsync"]

NER_TEMPLATES = [
    "{PER} vive en {LOC} desde hace años .",
    "{PER} trabaja para {ORG} en {LOC} .",
    "El paquete {MISC} se instala con apt en {ORG} .",
    "Según {PER} , el comando {MISC} falla en {LOC} .",
    "{ORG} publicó una versión nueva de {MISC} .",
    "En {LOC} , {PER} presentó el informe de {ORG} .",
    "La reunión de {ORG} será en {LOC} el lunes .",
    "Para compilar hace falta {MISC} y {MISC} .",
    "{PER} y {PER} viajaron a {LOC} .",
    "No encuentro la página de manual de {MISC} .",
    "El tiempo en {LOC} será soleado mañana .",
    "Los usuarios de {MISC} piden ayuda a {PER} .",
]

POS = {"el": "DA", "la": "DA", "los": "DA", "de": "SP", "en": "SP", "con": "SP", "para": "SP", "a": "SP", "y": "CC",
       ".": "Fp", ",": "Fc"}


def fill(template, rng):
    words, tags = [], []
    for token in template.split():
        if token.startswith("{"):
            kind = token.strip("{}")
            entity = rng.choice({"PER": PER, "LOC": LOC, "ORG": ORG, "MISC": MISC}[kind]).split()
            # Articles of organisations stay outside the entity, as in CoNLL-2002.
            if kind == "ORG" and entity[0] in ("la", "el"):
                words.append(entity[0]); tags.append("O"); entity = entity[1:]
            for index, word in enumerate(entity):
                words.append(word)
                tags.append(("B-" if index == 0 else "I-") + kind)
        else:
            words.append(token); tags.append("O")
    return words, tags


def write_conll(path, count, rng):
    lines = ["-DOCSTART- -X- O", ""]
    for _ in range(count):
        words, tags = fill(rng.choice(NER_TEMPLATES), rng)
        for word, tag in zip(words, tags):
            pos = POS.get(word.lower(), "NP" if tag != "O" else "NC")
            lines.append(f"{word} {pos} {tag}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


DOCS = {
    "software": ["Instalé {MISC} en Debian y después actualicé {MISC} .", "El error de {MISC} se corrige con la versión nueva del paquete .",
                 "{PER} mantiene el paquete {MISC} desde hace años .", "La compilación con gcc y {MISC} tarda menos en el servidor ."],
    "deportes": ["El equipo de {LOC} ganó el partido del domingo .", "{PER} marcó dos goles en el estadio de {LOC} .",
                 "La liga empieza en agosto y {LOC} es favorito .", "El entrenador de {LOC} cambió a tres jugadores ."],
    "economía": ["La bolsa de {LOC} subió un dos por ciento .", "{ORG} anunció beneficios récord este trimestre .",
                 "El banco central de {LOC} mantiene los tipos de interés .", "{PER} analiza la inflación y el empleo en {LOC} ."],
}


def write_docs(path, count, rng):
    with path.open("w", encoding="utf-8") as f:
        for _ in range(count):
            label = rng.choice(sorted(DOCS))
            text = " ".join(" ".join(fill(rng.choice(DOCS[label]), rng)[0]) for _ in range(rng.randint(1, 3)))
            f.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")


rng = random.Random(2002)
write_conll(out / "ner-train.conll", 400, rng)
write_conll(out / "ner-validation.conll", 100, rng)
write_docs(out / "docs-train.jsonl", 300, rng)
write_docs(out / "docs-validation.jsonl", 90, rng)
