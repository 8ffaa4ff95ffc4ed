"""Prepare the English training corpus: ``python -m aigc.plugins.text_transformer.corpus``.

Reads public-domain text that Debian packages install (nothing is downloaded here)::

    apt-get install bible-kjv-text bible-kjv sword-text-web jargon-text dict-devil wordnet-base

- King James Bible (public domain): ``bible-kjv`` + ``bible-kjv-text``, the output of
  ``bible -l200 gen1:1-rev22:21``;
- World English Bible (public domain): ``sword-text-web``, the SWORD zText module
  ``engWEB2015eb`` (zlib-compressed blocks of OSIS XML; notes and titles dropped);
- The Jargon File 4.4.7 (public domain): ``jargon-text``, ``/usr/share/doc/jargon-text/jargon.txt.gz``;
- The Devil's Dictionary (public domain): ``dict-devil``, ``/usr/share/dictd/devil.dict.dz`` (gzip);
- WordNet 3.0 glosses (WordNet licence, permissive): ``wordnet-base``,
  ``/usr/share/wordnet/data.{noun,verb,adj,adv}``.

Cleaning is deterministic (no randomness, sorted inputs); a *document* is a Bible chapter, a
Jargon File paragraph, a Devil's Dictionary paragraph or one WordNet synset gloss. The held-out
split takes every document whose seeded hash falls below ``held_out_fraction``, so it does not
depend on the order of sources or on the other documents. Output: ``train.txt`` and
``held_out.txt`` (documents separated by one blank line, no blank lines inside a document) and
``corpus.json`` with sizes and sha256 of both files.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import shutil
import struct
import subprocess
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_OUT = Path("build/text_transformer/corpus")
SPLIT_SEED = 20240601
HELD_OUT_FRACTION = 0.02

KJV_COMMAND = ("bible", "-l200", "gen1:1-rev22:21")
WEB_MODULE = Path("/usr/share/sword/modules/texts/ztext/engWEB2015eb")
JARGON_FILE = Path("/usr/share/doc/jargon-text/jargon.txt.gz")
DEVIL_FILE = Path("/usr/share/dictd/devil.dict.dz")
WORDNET_DIR = Path("/usr/share/wordnet")

_SPACES = re.compile(r"[ \t]+")
_TAG = re.compile(r"<[^>]*>")
_BOX = re.compile(r"[\u2500-\u257f\u2580-\u259f]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": " -- "})


@dataclass(frozen=True)
class Source:
    """A corpus source: name, licence and a reader yielding cleaned documents."""

    name: str
    package: str
    licence: str
    read: Callable[[], Iterator[str]]


def normalize(text: str) -> str:
    """NFKC, ASCII quotes and dashes, single spaces, no blank lines; stripped."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _paragraphs(text: str) -> Iterator[str]:
    """Blank-line separated paragraphs, each joined into one line."""
    for block in re.split(r"\n\s*\n", text):
        joined = " ".join(line.strip() for line in block.splitlines() if line.strip())
        if joined:
            yield joined


def read_kjv() -> Iterator[str]:
    """King James Bible, one document per chapter (verse numbers dropped)."""
    if shutil.which(KJV_COMMAND[0]) is None:
        raise FileNotFoundError("the `bible` program is missing: apt-get install bible-kjv bible-kjv-text")
    text = subprocess.run(KJV_COMMAND, capture_output=True, text=True, check=True).stdout
    chapter: list[str] = []
    for line in text.splitlines():
        verse = re.match(r"^\s+\d+ (.*)$", line)
        if verse:
            chapter.append(verse.group(1))
        elif re.match(r"^\S.* \d+$", line):  # "Genesis 1": a new chapter
            if chapter:
                yield " ".join(chapter)
            chapter = []
        elif line.strip() and chapter:
            chapter[-1] += " " + line.strip()
    if chapter:
        yield " ".join(chapter)


def _sword_blocks(stem: Path) -> Iterator[str]:
    """The decompressed text blocks of one SWORD zText testament (``ot`` or ``nt``)."""
    index = stem.with_suffix(".bzs").read_bytes()
    data = stem.with_suffix(".bzz").read_bytes()
    for start in range(0, len(index), 12):
        offset, size, _ = struct.unpack("<III", index[start : start + 12])
        yield zlib.decompress(data[offset : offset + size]).decode("utf-8")


def read_web() -> Iterator[str]:
    """World English Bible (with deuterocanon), one document per chapter; notes and titles dropped."""
    for testament in ("ot", "nt"):
        if not (WEB_MODULE / f"{testament}.bzz").is_file():
            raise FileNotFoundError(f"{WEB_MODULE} is missing: apt-get install sword-text-web")
        for block in _sword_blocks(WEB_MODULE / testament):
            block = re.sub(r"<note\b.*?</note>", " ", block, flags=re.S)
            block = re.sub(r"<title\b.*?</title>", " ", block, flags=re.S)
            for chapter in re.split(r"<chapter\b[^>]*sID=[^>]*>", block):
                text = _SPACES.sub(" ", _TAG.sub(" ", chapter).replace("\n", " "))
                text = re.sub(r" ([,.;:!?\u201d\u2019])", r"\1", text)
                text = re.sub(r"([\u201c\u2018]) ", r"\1", text).strip()
                if len(text) > 40:
                    yield text


def read_jargon() -> Iterator[str]:
    """The Jargon File's prose paragraphs (tables and the contents list dropped)."""
    text = gzip.decompress(JARGON_FILE.read_bytes()).decode("utf-8")
    for paragraph in _paragraphs(text):
        if not _BOX.search(paragraph) and len(paragraph) >= 80:
            yield paragraph


def read_devil() -> Iterator[str]:
    """The Devil's Dictionary, one document per paragraph (dictd headers dropped)."""
    text = gzip.decompress(DEVIL_FILE.read_bytes()).decode("utf-8", errors="replace")
    for paragraph in _paragraphs(text):
        if "00-database" in paragraph or "wiretap" in paragraph.lower() or len(paragraph) < 40:
            continue
        yield paragraph


def read_wordnet() -> Iterator[str]:
    """WordNet 3.0 glosses as ``word: gloss`` lines, one synset per document."""
    for part in ("noun", "verb", "adj", "adv"):
        for line in (WORDNET_DIR / f"data.{part}").read_text(encoding="latin-1").splitlines():
            if line.startswith(" ") or " | " not in line:
                continue  # the licence header lines start with two spaces
            fields, gloss = line.split(" | ", 1)
            word = fields.split()[4].replace("_", " ")
            word = re.sub(r"\(.*\)$", "", word)
            yield f"{word}: {gloss.strip()}"


SOURCES = (
    Source("King James Bible", "bible-kjv, bible-kjv-text", "public domain", read_kjv),
    Source("World English Bible", "sword-text-web", "public domain", read_web),
    Source("The Jargon File 4.4.7", "jargon-text", "public domain", read_jargon),
    Source("The Devil's Dictionary", "dict-devil", "public domain", read_devil),
    Source("WordNet 3.0 glosses", "wordnet-base", "WordNet 3.0 licence (permissive)", read_wordnet),
)


def is_held_out(document: str, seed: int = SPLIT_SEED, fraction: float = HELD_OUT_FRACTION) -> bool:
    """Whether ``document`` belongs to the held-out split (a seeded hash of its text)."""
    digest = hashlib.sha256(f"{seed}:{document}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def sha256_text(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare(out: Path, seed: int = SPLIT_SEED, fraction: float = HELD_OUT_FRACTION) -> dict[str, object]:
    """Write ``train.txt``, ``held_out.txt`` and ``corpus.json`` into ``out``; returns the record."""
    out.mkdir(parents=True, exist_ok=True)
    train: list[str] = []
    held_out: list[str] = []
    sources: list[dict[str, object]] = []
    for source in SOURCES:
        count = chars = 0
        for raw in source.read():
            document = normalize(raw)
            if not document:
                continue
            (held_out if is_held_out(document, seed, fraction) else train).append(document)
            count += 1
            chars += len(document)
        sources.append(
            {
                "name": source.name,
                "package": source.package,
                "licence": source.licence,
                "documents": count,
                "characters": chars,
            }
        )
    record: dict[str, object] = {"split_seed": seed, "held_out_fraction": fraction, "sources": sources}
    for name, documents in (("train", train), ("held_out", held_out)):
        path = out / f"{name}.txt"
        path.write_text("\n\n".join(documents) + "\n", encoding="utf-8")
        record[name] = {
            "file": path.name,
            "documents": len(documents),
            "bytes": path.stat().st_size,
            "sha256": sha256_text(path),
        }
    (out / "corpus.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def read_documents(path: Path) -> list[str]:
    """The documents of a prepared split file."""
    return [d for d in path.read_text(encoding="utf-8").split("\n\n") if d.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the prepared files")
    parser.add_argument("--seed", type=int, default=SPLIT_SEED, help="held-out split seed")
    parser.add_argument("--held-out-fraction", type=float, default=HELD_OUT_FRACTION)
    args = parser.parse_args()
    print(json.dumps(prepare(args.out, args.seed, args.held_out_fraction), indent=2))


if __name__ == "__main__":
    main()
