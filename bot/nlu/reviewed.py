"""The reviewed messages as Rasa YAML (issue 18): training examples and held-out test examples
per language, for `ecsm-bot nlu export-reviewed` (written under nlu/ for the maintainers to
commit) and for training a candidate (written under NLU_WORK_DIR)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from bot.core.nlu_review import LabelledExample

HEADER = (
    "# Messages users sent, labelled by organisers in the review queue (issue 18); scrubbed,\n"
    "# without the sender. Written by `ecsm-bot nlu export-reviewed`: edit there, not here.\n"
)


def as_yaml(examples: Iterable[LabelledExample]) -> str:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for example in examples:
        by_intent[example.topic].append(example.text)
    lines = [HEADER.rstrip("\n"), 'version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in sorted(set(by_intent[intent]))]
    return "\n".join(lines) + "\n"


def write_reviewed(examples: list[LabelledExample], nlu_dir: Path) -> list[Path]:
    """nlu/data/reviewed_<lang>.yml (training) and nlu/tests/test_nlu_reviewed_<lang>.yml
    (held out), one pair per language that has examples; the files written."""
    written = []
    for language in sorted({e.language for e in examples}):
        of_language = [e for e in examples if e.language == language]
        for held_out, path in (
            (False, nlu_dir / "data" / f"reviewed_{language}.yml"),
            (True, nlu_dir / "tests" / f"test_nlu_reviewed_{language}.yml"),
        ):
            chosen = [e for e in of_language if e.held_out == held_out]
            if chosen:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(as_yaml(chosen), encoding="utf-8")
                written.append(path)
    return written
