"""Every topic of the taxonomy has training data in every language, and every answerable topic
has an answer in each; the Rasa domain lists exactly the taxonomy."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from bot.content.catalog import Catalog

ROOT = Path(__file__).resolve().parent.parent
NLU = ROOT / "nlu"
MIN_EXAMPLES = 25


def examples(folder: Path, pattern: str) -> dict[str, Counter[str]]:
    """intent -> language variant -> number of examples."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for path in folder.glob(pattern):
        variant = "bg_latn" if path.stem.endswith("bg_latn") else path.stem.rsplit("_", 1)[-1]
        for block in yaml.safe_load(path.read_text())["nlu"]:
            if "intent" in block:
                lines = [x for x in block["examples"].splitlines() if x.strip().startswith("- ")]
                counts[block["intent"]][variant] += len(lines)
    return counts


@pytest.fixture(scope="module")
def training() -> dict[str, Counter[str]]:
    return examples(NLU / "data", "*.yml")


def test_every_topic_has_training_data_in_every_language(
    catalog: Catalog, training: dict[str, Counter[str]]
) -> None:
    for topic in catalog.taxonomy.topics:
        for language in catalog.languages:
            assert training[topic][language] >= MIN_EXAMPLES, (topic, language)
    assert set(training) == catalog.taxonomy.topics


def test_latin_bulgarian_for_the_most_asked_topics(training: dict[str, Counter[str]]) -> None:
    assert sum(1 for counts in training.values() if counts["bg_latn"] >= 12) >= 15


def test_held_out_sets_cover_every_topic_and_are_not_copies(
    catalog: Catalog, training: dict[str, Counter[str]]
) -> None:
    held_out = examples(NLU / "tests", "test_nlu_*.yml")
    for topic in catalog.taxonomy.topics:
        for language in catalog.languages:
            assert held_out[topic][language] >= 10, (topic, language)

    def texts(folder: Path, pattern: str) -> set[str]:
        found = set()
        for path in folder.glob(pattern):
            for block in yaml.safe_load(path.read_text())["nlu"]:
                if "intent" in block:
                    found |= {
                        x.strip()[2:].strip().lower()
                        for x in block["examples"].splitlines()
                        if x.strip().startswith("- ")
                    }
        return found

    overlap = texts(NLU / "tests", "*.yml") & texts(NLU / "data", "*.yml")
    assert not overlap, sorted(overlap)


def test_every_answerable_topic_has_an_answer_in_every_language(catalog: Catalog) -> None:
    for topic in catalog.taxonomy.answered:
        for language in catalog.languages:
            answer = catalog.answer(language, topic)
            assert answer is not None, (topic, language)
            if catalog.taxonomy.group_of(topic) != "service":
                keys = [s.key for s in answer.sections]
                assert keys == ["recognise", "act_now", "prevent", "report"], (topic, keys)


def test_domain_lists_the_taxonomy(catalog: Catalog) -> None:
    domain = yaml.safe_load((NLU / "domain.yml").read_text())
    assert set(domain["intents"]) == catalog.taxonomy.topics
    assert set(domain["entities"]) == {"url", "time", "language"}


def test_the_served_config_is_the_chosen_candidate() -> None:
    served = (NLU / "config.yml").read_text().splitlines()[1:]
    assert served == (NLU / "configs" / "logreg.yml").read_text().splitlines()[1:]
