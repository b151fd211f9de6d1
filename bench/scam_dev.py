"""The message check on its development examples (tests/scam_dev/*.yml), never an evaluation set:
what the rules (and the learned scorer) are tuned on. (`--export` adds the retired evaluation
sets to the learned scorer's training since round 9; the figures here never read them.)

Each example falls, by a hash of its text, into the tuning part (70%) or the check part (30%).
Changes are made looking at the tuning part's misses only (`--misses`); the check part's figures
say whether a change generalises to wordings it was not written from. The fresh examples
(`fresh_<lang>.yml`, written by another session without seeing the rules) are a part of their
own, "fresh": never tuned on and never listed by `--misses`, so that they say honestly how the
rules do on messages nobody tuned them for. `round2_<lang>.yml` to `round7_<lang>.yml` (each
later round's examples of the kinds still missed, and of the genuine look-alikes still called
scams) are split by the hash like the others. The shipped learned scorer is trained on them
too (`--export` takes every example, and since round 9 every message of the retired evaluation
sets, bench.scam_quality.RETIRED).
With `--held-out`, the learned scorer is trained on the tuning part only, so that the check
part's and the fresh part's figures are honest for it too (the bot itself trains on every
example of data/scam/training).

Run: `python -m bench.scam_dev [--misses] [--held-out] [--rules-only]`."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bench.scam_quality import RETIRED, SETS, _messages
from bot.content.catalog import load_catalog, safe_yaml
from bot.content.domains import split_domain
from bot.content.models import ScamTraining
from bot.content.typing import load_readers
from bot.services.scamcheck import ScamCheckService

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests" / "scam_dev"
CHECK_SHARE = 3  # of 10


@dataclass(frozen=True)
class Example:
    language: str
    label: str  # "scam" | "genuine"
    text: str
    fresh: bool = False  # from fresh_<lang>.yml: a part of its own, never tuned on

    @property
    def part(self) -> str:
        if self.fresh:
            return "fresh"
        digest = hashlib.sha256(self.text.encode("utf-8")).digest()
        return "check" if digest[0] % 10 < CHECK_SHARE else "tune"


def examples(where: Path = DEV) -> Iterator[Example]:
    """Every dev example: `<lang>.yml` and `wide_<lang>.yml`, either `scam:`/`genuine:` lists of
    texts or `messages:` of {text, label}."""
    for path in sorted(where.glob("*.yml")):
        language = path.stem.rsplit("_", 1)[-1]
        fresh = path.stem.startswith("fresh_")
        loaded = safe_yaml(path.read_text("utf-8")) or {}
        for label in ("scam", "genuine"):
            for item in loaded.get(label) or ():
                text = item["text"] if isinstance(item, dict) else item
                yield Example(language, label, str(text), fresh)
        for item in loaded.get("messages") or ():
            yield Example(language, str(item["label"]), str(item["text"]), fresh)


async def run(show_misses: bool, held_out: bool, rules_only: bool = False) -> None:
    catalog = load_catalog(ROOT / "data", "en")
    readers = load_readers(ROOT / "data", catalog.languages)
    all_examples = list(examples())
    if held_out:
        catalog = dataclasses.replace(catalog, scam={
            lang: rules.model_copy(update={"training": ScamTraining(
                language=lang, source="bench.scam_dev --held-out: the tuning part",
                scam=tuple(e.text for e in all_examples
                           if e.language == lang and e.part == "tune" and e.label == "scam"),
                genuine=tuple(e.text for e in all_examples
                              if e.language == lang and e.part == "tune" and e.label == "genuine"),
            )})
            for lang, rules in catalog.scam.items()
        })  # fmt: skip
    if rules_only:
        catalog = dataclasses.replace(
            catalog,
            scam={
                lang: r.model_copy(update={"training": None}) for lang, r in catalog.scam.items()
            },
        )
    service = ScamCheckService(catalog, split_domain, readers=readers)
    counts: dict[tuple[str, str], dict[str, int]] = {}
    misses: list[str] = []
    for example in all_examples:
        verdict = await service.check(
            example.text, service.language_of(example.text, example.language)
        )
        row = counts.setdefault(
            (example.language, example.part),
            {"scams": 0, "likely": 0, "flagged": 0, "genuine": 0, "g_likely": 0, "g_flagged": 0},
        )
        likely = verdict.verdict == "likely_scam"
        flagged = verdict.verdict != "no_red_flags"
        if example.label == "scam":
            row["scams"] += 1
            row["likely"] += likely
            row["flagged"] += flagged
            if not likely and example.part == "tune":
                ids = ",".join(f.id for f in verdict.flags)
                misses.append(f"MISS {example.language} {verdict.score} [{ids}] {example.text}")
        else:
            row["genuine"] += 1
            row["g_likely"] += likely
            row["g_flagged"] += flagged
            if flagged and example.part == "tune":
                ids = ",".join(f"{f.id}:{f.quote}" for f in verdict.flags)
                misses.append(
                    f"FALSE {example.language} {verdict.verdict} {verdict.score} [{ids}] "
                    f"{example.text}"
                )
    if show_misses:
        print("\n".join(misses))
    print("lang part   scams  recall(likely) recall(flagged)  genuine  likely%  flagged%")
    for (language, part), row in sorted(counts.items()):
        scams, genuine = max(row["scams"], 1), max(row["genuine"], 1)
        print(
            f"{language:4} {part:6} {row['scams']:5}  {row['likely'] / scams:14.3f} "
            f"{row['flagged'] / scams:15.3f}  {row['genuine']:7}  "
            f"{100 * row['g_likely'] / genuine:6.1f}%  {100 * row['g_flagged'] / genuine:7.1f}%"
        )


TRAINING = ROOT / "data" / "scam" / "training"


def source(retired: Sequence[str] = RETIRED) -> str:
    sets = ", ".join(f"bench/data/{name}" for name in retired)
    return (
        "The development examples of tests/scam_dev/ (<lang>.yml, written with the first rules, "
        "wide_<lang>.yml, written by another session for tuning, fresh_<lang>.yml, written by "
        "another session without seeing the rules, and round2_<lang>.yml to round7_<lang>.yml, "
        "written for the kinds the rules still missed or called scams), every one of them; and, "
        f"since round 9, the retired evaluation sets {sets} (each written without seeing the "
        "rules, judged one round, then read: spent as honest measures). Not the evaluation sets "
        "after them. Made by `python -m bench.scam_dev --export`."
    )


def retired_examples(names: Sequence[str] = RETIRED) -> Iterator[Example]:
    """The messages of retired evaluation sets (bench.scam_quality.SETS, by name), as examples."""
    for name in names:
        where = SETS[name]
        for path in sorted(where.glob("*.yml")):
            for message in _messages(path.stem, where):
                yield Example(path.stem, str(message["label"]), str(message["text"]))


def training_sets(
    where: Path = DEV, retired: Sequence[str] = RETIRED
) -> dict[str, dict[str, object]]:
    """What data/scam/training/<lang>.yml holds: every dev example of the language, then every
    message of the retired evaluation sets, by label, in that order, each text once."""
    sets: dict[str, dict[str, object]] = {}
    for example in (*examples(where), *retired_examples(retired)):
        entry = sets.setdefault(
            example.language,
            {"language": example.language, "source": source(retired), "scam": [], "genuine": []},
        )
        texts = entry[example.label]
        assert isinstance(texts, list)
        if example.text not in texts:
            texts.append(example.text)
    return sets


HEADER = (
    "# The learned scorer's training examples (bot/core/scam/learned.py), made from the dev "
    "examples\n# of tests/scam_dev/ and, since round 9, the retired evaluation sets "
    "{sets}\n# by `python -m bench.scam_dev --export`; do not edit by hand.\n"
)


def export() -> None:
    TRAINING.mkdir(exist_ok=True)
    for language, entry in training_sets().items():
        header = HEADER.format(sets=", ".join(f"bench/data/{name}" for name in RETIRED))
        body = yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=1000)
        (TRAINING / f"{language}.yml").write_text(header + body, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="the tuning part's errors")
    parser.add_argument("--held-out", action="store_true", help="train on the tuning part only")
    parser.add_argument("--export", action="store_true", help="write data/scam/training/")
    parser.add_argument("--rules-only", action="store_true", help="without the learned scorer")
    args = parser.parse_args()
    if args.export:
        export()
        return
    asyncio.run(run(args.misses, args.held_out, args.rules_only))


if __name__ == "__main__":
    main()
