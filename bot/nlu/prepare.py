"""The NLU's training data as Rasa is trained on it: nlu/data, with every example of a
`*_<lang>_latn.yml` file (a language typed in Latin letters) followed by the same example read
into the language's script, the way the bot reads such messages before it asks the NLU
(bot/core/latin_typing.py). One model then serves both ways of typing a language, and keeps the
Latin examples for messages too short to tell their language."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from bot.content.typing import load_readers
from bot.text.latin import LatinReader

# An example line of an `examples: |` block ("    - text"); intent lines are not indented.
_EXAMPLE = re.compile(r"^(?P<indent>\s{2,})- (?P<text>.*)$")
# Entity annotations ([8 chasa](time)) are kept as typed: entities are found by regexes that
# know both scripts.
_ANNOTATION = re.compile(r"\[[^\]]*\]\([^)]*\)|\[[^\]]*\]\{[^}]*\}")
_LATIN_FILE = re.compile(r"_(?P<language>[a-z]{2,3})_latn$")


def prepare_training_data(source: Path, target: Path, data_dir: Path) -> None:
    """Write `source` (nlu/data) to `target`, Latin-typed examples also read; `target` is
    replaced whole, so a file removed from the source is removed there too."""
    languages = {path.stem for path in (data_dir / "ui").glob("*.yml")}
    readers = load_readers(data_dir, languages)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for path in sorted(source.rglob("*.yml")):
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        latin = _LATIN_FILE.search(path.stem)
        reader = readers.get(latin.group("language")) if latin else None
        text = path.read_text(encoding="utf-8")
        out.write_text(with_readings(text, reader) if reader else text, encoding="utf-8")


def with_readings(text: str, reader: LatinReader) -> str:
    lines = []
    for line in text.splitlines():
        lines.append(line)
        example = _EXAMPLE.match(line)
        if example is None:
            continue
        read = read_example(example.group("text"), reader)
        if read != example.group("text"):
            lines.append(f"{example.group('indent')}- {read}")
    return "\n".join(lines) + "\n"


def read_example(text: str, reader: LatinReader) -> str:
    parts, last = [], 0
    for annotation in _ANNOTATION.finditer(text):
        parts += [reader.read(text[last : annotation.start()]), annotation.group(0)]
        last = annotation.end()
    parts.append(reader.read(text[last:]))
    return "".join(parts)
