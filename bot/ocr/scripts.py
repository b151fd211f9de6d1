"""One script per word after reading Cyrillic and Latin together.

Reading with `bul+eng`, Tesseract may take a Latin letter for the Cyrillic one drawn the
same (о, а, е, с, р...) inside a word, and the other way round: "dhl-bg.соm" with a Cyrillic
"о", which no link checker would see as .com. A word whose other letters are all of one
script gets its look-alikes in that script too; a word made only of look-alikes follows the
rest of its line. A word in one script is never changed.
"""

from __future__ import annotations

import re

# Cyrillic letters and the Latin ones drawn the same in common UI fonts.
CYRILLIC_TO_LATIN = {
    "а": "a", "в": "B", "е": "e", "к": "k", "м": "M", "н": "H", "о": "o", "р": "p", "с": "c",
    "т": "T", "у": "y", "х": "x",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X",
}  # fmt: skip
# Lower-case в, м, н, т look like small capitals, not like b, m, h, t: only their capitals
# are look-alikes. And the way back, Latin to Cyrillic:
LATIN_TO_CYRILLIC = {
    "a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "y": "у", "x": "х", "k": "к",
    "A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н", "O": "О", "P": "Р", "C": "С",
    "T": "Т", "Y": "У", "X": "Х",
}  # fmt: skip
AMBIGUOUS_CYRILLIC = {c for c in CYRILLIC_TO_LATIN if c.isupper() or c in "аекорсух"}
AMBIGUOUS_LATIN = set(LATIN_TO_CYRILLIC)
WORD = re.compile(r"\w+(?:[.\-/:@]\w+)*", re.UNICODE)


def _script(char: str) -> str | None:
    if "\u0400" <= char <= "\u04ff":
        return None if char in AMBIGUOUS_CYRILLIC else "cyrillic"
    if char.isascii() and char.isalpha():
        return None if char in AMBIGUOUS_LATIN else "latin"
    return None


def word_script(word: str) -> str | None:
    """The script of the word's unambiguous letters, if they agree."""
    scripts = {script for char in word if (script := _script(char))}
    return scripts.pop() if len(scripts) == 1 else None


def _convert(word: str, script: str) -> str:
    table = CYRILLIC_TO_LATIN if script == "latin" else LATIN_TO_CYRILLIC
    return "".join(table.get(char, char) for char in word)


def fix_mixed_scripts(line: str) -> str:
    """Each word that mixes Cyrillic and Latin in the script of its unambiguous letters, or
    failing those of the line's other words. A word in one script is left as it is ("Pay" in
    a Bulgarian line is English, not a misreading)."""
    words = [(match, word_script(match.group())) for match in WORD.finditer(line)]
    known = [script for _, script in words if script]
    majority = max(sorted(set(known)), key=known.count) if known else None
    pieces: list[str] = []
    last = 0
    for match, script in words:
        pieces.append(line[last : match.start()])
        word = match.group()
        mixed = any("\u0400" <= c <= "\u04ff" for c in word) and any(
            c.isascii() and c.isalpha() for c in word
        )
        target = (script or majority) if mixed else None
        pieces.append(_convert(word, target) if target else word)
        last = match.end()
    pieces.append(line[last:])
    return "".join(pieces)
