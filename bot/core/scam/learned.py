"""A learned second opinion beside the rules: logistic regression on character n-grams
(scikit-learn), trained as the bot starts from the examples of data/scam/training/<lang>.yml.

Character n-grams (within words, 2 to 5 letters) catch what word lists miss: Bulgarian endings
("пратката", "пратка"), typos, the tone of a message ("Уважаеми клиенте, ... незабавно") and the
look of an address. It adds points to the rules' score (data/scam/<lang>.yml `learned`); when it
is sure of a message in which the rules found nothing, it raises a red flag of its own, quoting
the words of the message that weigh most towards a scam (`telling_words`), so that even this
warning names what raised it.

Digits are read as one digit ("0"): amounts, codes and numbers change from one copy of a wave to
the next, their shape does not."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

_DIGITS = re.compile(r"\d")
# What is trimmed from a word before it is quoted: "„пратката," is quoted as "пратката".
_TRIM = "\"'„“”«»‘’.,;:!?()[]{}<>*-–—…"
# Chosen on the dev examples (trained on their tuning part, measured on their check part, as
# `python -m bench.scam_dev --held-out` does): weak regularisation (C 1, 4, 20, 50, 200, 1000
# tried) catches more scams at the same share of genuine messages flagged.
_C = 200.0
_NGRAMS = (2, 5)


class _Vectorizer(Protocol):
    vocabulary_: Mapping[str, int]

    def transform(self, texts: Sequence[str]) -> Any: ...

    def build_analyzer(self) -> Callable[[str], list[str]]: ...


class _Classifier(Protocol):
    coef_: Any

    def predict_proba(self, features: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class _Fitted:
    vectorizer: _Vectorizer
    classifier: _Classifier
    analyse: Callable[[str], list[str]]


def normalised(text: str) -> str:
    return _DIGITS.sub("0", text.lower())


class LearnedScorer:
    """The probability that a message is a scam, as the examples teach it."""

    def __init__(self, scams: Sequence[str], genuine: Sequence[str]) -> None:
        self._fitted = _trained(tuple(scams), tuple(genuine))

    def probability(self, text: str) -> float:
        fitted = self._fitted
        features = fitted.vectorizer.transform([normalised(text)])
        return float(fitted.classifier.predict_proba(features)[0][1])

    def telling_words(self, text: str, count: int = 3) -> tuple[str, ...]:
        """The words of `text` that weigh most towards a scam (at most `count`, each with a
        positive weight), in the order they appear: what the learned scorer's flag quotes."""
        fitted = self._fitted
        lowered = normalised(text)
        words, keys = text.split(), lowered.split()
        if len(words) != len(keys):  # a letter whose lower case is not one letter: no quote
            return ()
        row = fitted.vectorizer.transform([lowered]).tocsr()
        value = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        coef = fitted.classifier.coef_[0]
        vocabulary = fitted.vectorizer.vocabulary_
        weighed: list[tuple[float, int]] = []
        for position, key in enumerate(keys):
            if len(key.strip(_TRIM)) < 3:
                continue
            grams = {vocabulary[g] for g in fitted.analyse(key) if g in vocabulary}
            weight = sum(value.get(i, 0.0) * float(coef[i]) for i in grams)
            if weight > 0:
                weighed.append((weight, position))
        best = sorted(position for _, position in sorted(weighed, reverse=True)[:count])
        return tuple(words[p].strip(_TRIM) for p in best)


@functools.lru_cache(maxsize=8)
def _trained(scams: tuple[str, ...], genuine: tuple[str, ...]) -> _Fitted:
    """Trained once per set of examples in a process (every bootstrap of the tests shares it).
    scikit-learn is imported here, not with the module: it takes a second to load."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=_NGRAMS, sublinear_tf=True, min_df=1
    )
    classifier = LogisticRegression(C=_C, class_weight="balanced", max_iter=2000)
    texts = [normalised(t) for t in (*scams, *genuine)]
    labels = [1] * len(scams) + [0] * len(genuine)
    classifier.fit(vectorizer.fit_transform(texts), labels)
    return _Fitted(vectorizer, classifier, vectorizer.build_analyzer())
