"""The learned scorer kept on disk (bot/storage/scorer_cache.py): a process that finds it loads
the same scorer as the one trained, a changed example is another key, and an unreadable file is
trained again and written over."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from bot.core.scam.learned import FittedNumbers, LearnedScorer, Settings, scorer_key
from bot.storage.scorer_cache import FileScorerStore

ROOT = Path(__file__).resolve().parent.parent


def _examples(path: Path) -> tuple[list[str], list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(data["scam"]), list(data["genuine"])


def _messages() -> list[str]:
    messages: list[str] = []
    for name in ("en.yml", "bg.yml"):
        scams, genuine = _examples(ROOT / "tests" / "scam_dev" / name)
        messages += [*scams, *genuine]
    for name in ("fresh_en.yml", "fresh_bg.yml"):
        data = yaml.safe_load((ROOT / "tests" / "scam_dev" / name).read_text(encoding="utf-8"))
        messages += [message["text"] for message in data["messages"]]
    return messages


class Recording:
    """A store that notes what was asked of the one it wraps."""

    def __init__(self, inner: FileScorerStore) -> None:
        self.inner = inner
        self.got: list[bool] = []  # whether each get found numbers
        self.puts: list[str] = []

    def get(self, key: str) -> FittedNumbers | None:
        found = self.inner.get(key)
        self.got.append(found is not None)
        return found

    def put(self, key: str, fitted: FittedNumbers) -> None:
        self.puts.append(key)
        self.inner.put(key, fitted)


@pytest.fixture(scope="module")
def small() -> tuple[list[str], list[str]]:
    scams, genuine = _examples(ROOT / "data" / "scam" / "training" / "en.yml")
    return scams[:60], genuine[:60]


@pytest.mark.parametrize("language", ["en", "bg"])
def test_a_loaded_scorer_scores_as_the_trained_one(tmp_path: Path, language: str) -> None:
    scams, genuine = _examples(ROOT / "data" / "scam" / "training" / f"{language}.yml")
    first = Recording(FileScorerStore(tmp_path))
    trained = LearnedScorer(scams, genuine, first)
    assert first.got == [False]
    assert first.puts == [scorer_key(scams, genuine)]
    assert (tmp_path / f"{first.puts[0]}.npz").is_file()

    # Another store on the same directory: what a second process sees.
    second = Recording(FileScorerStore(tmp_path))
    loaded = LearnedScorer(scams, genuine, second)
    assert second.got == [True]
    assert second.puts == []
    messages = _messages()
    assert len(messages) > 100
    for text in messages:
        assert loaded.probability(text) == trained.probability(text), text
        assert loaded.telling_words(text) == trained.telling_words(text), text
    assert any(trained.telling_words(text) for text in messages)


def test_a_changed_example_changes_the_key(small: tuple[list[str], list[str]]) -> None:
    scams, genuine = small
    key = scorer_key(scams, genuine)
    assert scorer_key(list(scams), list(genuine)) == key
    assert scorer_key([*scams[:-1], scams[-1] + "!"], genuine) != key
    assert scorer_key(scams, genuine[1:]) != key
    # An example moved from one side to the other is another scorer too.
    assert scorer_key(scams[:-1], [scams[-1], *genuine]) != key


@pytest.mark.parametrize("garbage", [b"", b"not a zip file at all", b"PK\x03\x04broken"])
def test_an_unreadable_file_is_trained_again_and_written_over(
    tmp_path: Path,
    small: tuple[list[str], list[str]],
    garbage: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scams, genuine = small
    reference = LearnedScorer(scams, genuine, FileScorerStore(tmp_path / "reference"))
    key = scorer_key(scams, genuine)
    path = tmp_path / f"{key}.npz"
    path.write_bytes(garbage)

    store = Recording(FileScorerStore(tmp_path))
    with caplog.at_level(logging.WARNING, logger="bot.storage.scorer_cache"):
        scorer = LearnedScorer(scams, genuine, store)
        assert store.inner.get(key) is not None  # written over: readable now
    assert store.got == [False]
    assert store.puts == [key]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert key in warnings[0].getMessage()
    assert "not a zip" not in warnings[0].getMessage()
    text = "Your parcel is on hold, pay the 1.99 fee now"
    assert scorer.probability(text) == reference.probability(text)


def test_numbers_that_do_not_fit_together_are_not_loaded(
    tmp_path: Path, small: tuple[list[str], list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    scams, genuine = small
    store = FileScorerStore(tmp_path)
    LearnedScorer(scams, genuine, store)
    key = scorer_key(scams, genuine)
    good = store.get(key)
    assert good is not None
    store.put(
        key, FittedNumbers(good.terms, good.idf[:-1], good.coef, good.intercept, good.classes)
    )
    with caplog.at_level(logging.WARNING, logger="bot.storage.scorer_cache"):
        assert FileScorerStore(tmp_path).get(key) is None
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_only_the_most_recently_used_scorers_are_kept(
    tmp_path: Path, small: tuple[list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every edit of the examples is a new key: the directory keeps the KEEP scorers used last
    (a load counts as a use) and drops temporary files that a dead writer left."""
    import os

    from bot.storage import scorer_cache

    scams, genuine = small
    store = FileScorerStore(tmp_path)
    LearnedScorer(scams, genuine, store)
    fitted = store.get(scorer_key(scams, genuine))
    assert fitted is not None
    old = 1_000_000_000.0
    keep = scorer_cache.KEEP
    keys = [f"k{number:02d}" for number in range(keep + 3)]
    monkeypatch.setattr(scorer_cache, "KEEP", 1000)  # nothing pruned while the files are laid out
    for age, key in enumerate(keys):
        store.put(key, fitted)
        os.utime(tmp_path / f"{key}.npz", (old + age, old + age))
    # The oldest one is loaded again: it is in use and must survive the next write.
    assert store.get(keys[0]) is not None
    stale = tmp_path / ".dead.writer.tmp"
    stale.write_bytes(b"half")
    os.utime(stale, (old, old))
    fresh = tmp_path / ".live.writer.tmp"
    fresh.write_bytes(b"half")
    (tmp_path / f"{scorer_key(scams, genuine)}.npz").unlink()
    monkeypatch.setattr(scorer_cache, "KEEP", keep)

    store.put("newest", fitted)

    kept = {path.stem for path in tmp_path.glob("*.npz")}
    assert len(kept) == keep
    assert {"newest", keys[0], *keys[-(keep - 2) :]} == kept
    assert not stale.exists()
    assert fresh.exists()


@pytest.mark.parametrize(
    "settings",
    [Settings(c=200.0, chars=(2, 5), words=None), Settings(c=50.0, chars=(2, 5), words=(1, 2))],
)
def test_each_setting_is_its_own_key_and_loads_as_trained(
    tmp_path: Path, small: tuple[list[str], list[str]], settings: Settings
) -> None:
    """Round 9: the settings (C, character and word n-grams) are part of the key, and a scorer
    with word n-grams beside the character ones is stored and loaded like any other."""
    scams, genuine = small
    key = scorer_key(scams, genuine, settings)
    other = Settings(c=settings.c * 2, chars=settings.chars, words=settings.words)
    assert key != scorer_key(scams, genuine, other)
    trained = LearnedScorer(scams, genuine, FileScorerStore(tmp_path), settings)
    stored = FileScorerStore(tmp_path).get(key)
    assert stored is not None
    terms = stored.terms.tolist()
    # A word n-gram's term is "w " and the words; a character n-gram within a word has a space
    # at its ends only ("w " itself is the word "w"'s), so the two never meet.
    words = {t for t in terms if len(t) > 2 and t.startswith("w ") and t[2] != " "}
    assert bool(words) == (settings.words is not None)
    assert all(" " not in t.strip() for t in set(terms) - words)
    loaded = LearnedScorer(scams, genuine, Recording(FileScorerStore(tmp_path)), settings)
    for text in _messages()[:80]:
        assert loaded.probability(text) == trained.probability(text), text
        assert loaded.telling_words(text) == trained.telling_words(text), text
