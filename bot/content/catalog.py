"""Loads `data/` once at start-up into an immutable catalog.

A bad file stops the start-up with the file and the place named."""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import yaml
from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal
from babel.plural import PluralRule
from pydantic import BaseModel, ValidationError

from bot.content.models import (
    Answer,
    Campaign,
    Checklist,
    LanguageMeta,
    LinkRules,
    QuizFile,
    QuizQuestion,
    Regions,
    ScamRules,
    ScamTraining,
    TimeZones,
    Tip,
    TipFile,
    UiFile,
)
from bot.text.markup import escape

ModelT = TypeVar("ModelT", bound=BaseModel)

# Groups whose topics are answered from data/answers; service topics are actions of the bot,
# except these, which are answered like topics.
ANSWERED_GROUPS = ("threat", "prevention", "sme")
ANSWERED_SERVICE_TOPICS = ("report_incident", "ecsm_info")
FALLBACK_TOPIC = "out_of_scope"


class ContentError(Exception):
    """A file in data/ is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Taxonomy:
    groups: Mapping[str, tuple[str, ...]]

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(topic for topics in self.groups.values() for topic in topics)

    def group_of(self, topic: str) -> str | None:
        for group, topics in self.groups.items():
            if topic in topics:
                return group
        return None

    @property
    def answered(self) -> tuple[str, ...]:
        topics = [t for g in ANSWERED_GROUPS for t in self.groups.get(g, ())]
        return (*topics, *ANSWERED_SERVICE_TOPICS)


@functools.cache
def _locale(name: str) -> Locale:
    """babel parses a locale given by name again on every call; a page of figures writes
    hundreds of numbers (the dashboard's overview)."""
    return Locale.parse(name)


@dataclass(frozen=True)
class Catalog:
    taxonomy: Taxonomy
    languages: Mapping[str, LanguageMeta]
    strings: Mapping[str, Mapping[str, str]]
    answers: Mapping[str, Mapping[str, Answer]]
    # Texts that show a count: language -> key -> CLDR plural category -> text.
    plurals: Mapping[str, Mapping[str, Mapping[str, str]]]
    plural_rules: Mapping[str, PluralRule]  # language -> its CLDR plural rule
    campaign: Campaign
    tips: Mapping[str, Mapping[str, tuple[Tip, ...]]]  # language -> audience -> tips by day
    timezones: tuple[str, ...]
    default_language: str
    checklists: Mapping[str, Mapping[str, Checklist]]  # language -> id -> checklist
    quiz: Mapping[str, tuple[QuizQuestion, ...]]  # language -> questions, same order everywhere
    links: LinkRules
    regions: Mapping[str, Mapping[str, str]]  # key -> language -> name, in display order
    scam: Mapping[str, ScamRules]  # language -> the message check's signals and advice

    def region_name(self, language: str, key: str) -> str:
        names = self.regions.get(key)
        if names is None:
            return key
        return names.get(language) or names[self.default_language]

    def region_names(self, language: str) -> list[tuple[str, str]]:
        return [(key, self.region_name(language, key)) for key in self.regions]

    def text(self, language: str, key: str, /, **values: object) -> str:
        """A UI string in `language`; values are HTML-escaped, as they may come from users."""
        template = self._plain(language, key)
        return template.format_map({k: escape(str(v)) for k, v in values.items()})

    def html(self, language: str, key: str, /, **values: str) -> str:
        """Like text(), for values that are already trusted HTML from the catalog itself."""
        return self._plain(language, key).format_map(values)

    def plural(self, language: str, key: str, count: int, /, **values: object) -> str:
        """A text that shows `count`, in the form the language's CLDR rules give that number;
        {count} is the number written the local way, values are escaped as in text()."""
        lang = self._lang(language)
        forms = self.plurals[lang].get(key)
        if forms is None:
            raise KeyError(f"{key!r} is not a plural text; use text()")
        template = forms[self.plural_rules[lang](count)]
        filled = {k: escape(str(v)) for k, v in values.items()}
        return template.format_map({**filled, "count": self.number(lang, count)})

    def number(self, language: str, value: int) -> str:
        """A number as the language writes it: 12,345 in English, 12 345 in Bulgarian."""
        meta = self.languages[self._lang(language)]
        grouped = abs(value) >= 10 ** (2 + meta.minimum_grouping_digits)
        return format_decimal(value, locale=_locale(meta.babel_locale), group_separator=grouped)

    def _plain(self, language: str, key: str) -> str:
        lang = self._lang(language)
        if key in self.plurals[lang]:
            raise KeyError(f"{key!r} shows a count; use plural()")
        return self.strings[lang][key]

    def answer(self, language: str, topic: str) -> Answer | None:
        return self.answers[self._lang(language)].get(topic)

    def _lang(self, language: str) -> str:
        return language if language in self.languages else self.default_language

    def language_for_platform_code(self, code: str | None) -> str | None:
        """Map Telegram's language_code (e.g. 'bg', 'en-GB') to a supported language."""
        if not code:
            return None
        base = code.lower().split("-")[0]
        for language, meta in self.languages.items():
            if base in meta.telegram_codes:
                return language
        return None


def load_catalog(data_dir: Path, default_language: str) -> Catalog:
    """Read and check every content file. Raises ContentError naming the file and place."""
    taxonomy = _load_taxonomy(data_dir / "taxonomy.yml")
    ui_files = {
        path.stem: _load_model(path, UiFile) for path in sorted((data_dir / "ui").glob("*.yml"))
    }
    if not ui_files:
        raise ContentError(f"{data_dir / 'ui'}: no language files")
    if default_language not in ui_files:
        raise ContentError(
            f"DEFAULT_LANGUAGE={default_language!r} has no file {data_dir / 'ui'}/<lang>.yml"
        )
    _check_string_parity(data_dir / "ui", {lang: f.strings for lang, f in ui_files.items()})
    plural_rules = {
        lang: _plural_rule(data_dir / "ui" / f"{lang}.yml", f) for lang, f in ui_files.items()
    }

    answers: dict[str, dict[str, Answer]] = {}
    for language in ui_files:
        answers[language] = {}
        for path in sorted((data_dir / "answers" / language).glob("*.yml")):
            answer = _load_model(path, Answer)
            if answer.topic != path.stem:
                raise ContentError(f"{path}: topic {answer.topic!r} differs from the file name")
            if answer.topic not in taxonomy.topics:
                raise ContentError(f"{path}: {answer.topic!r} is not a topic of the taxonomy")
            answers[language][answer.topic] = answer
    _check_answer_parity(data_dir / "answers", answers)

    campaign = _load_model(data_dir / "campaign.yml", Campaign)
    for year, texts in campaign.themes.items():
        missing = sorted(set(ui_files) - texts.keys())
        if missing:
            raise ContentError(f"{data_dir / 'campaign.yml'}: themes.{year}: no text for {missing}")

    return Catalog(
        taxonomy=taxonomy,
        languages={lang: f.meta for lang, f in ui_files.items()},
        strings={
            lang: {k: v for k, v in f.strings.items() if isinstance(v, str)}
            for lang, f in ui_files.items()
        },
        answers=answers,
        plurals={
            lang: {k: v for k, v in f.strings.items() if isinstance(v, dict)}
            for lang, f in ui_files.items()
        },
        plural_rules=plural_rules,
        campaign=campaign,
        tips=_load_tips(data_dir / "tips", list(ui_files), answers),
        timezones=_load_model(data_dir / "timezones.yml", TimeZones).zones,
        default_language=default_language,
        checklists=_load_checklists(data_dir / "checklists", list(ui_files), taxonomy),
        quiz=_load_quiz(data_dir / "quiz", list(ui_files), taxonomy),
        links=_load_links(data_dir / "links.yml", ui_files, default_language),
        regions=_load_regions(data_dir / "regions.yml", list(ui_files)),
        scam=_load_scam(data_dir / "scam", list(ui_files)),
    )


def _load_scam(where: Path, languages: list[str]) -> dict[str, ScamRules]:
    """The message check's rules, one file per language, with the same ids, weights and
    thresholds in every language (only the words differ)."""
    rules: dict[str, ScamRules] = {}
    for language in languages:
        path = where / f"{language}.yml"
        rules[language] = _load_model(path, ScamRules)
        if rules[language].language != language:
            raise ContentError(f"{path}: language differs from the file name")
        trained = where / "training" / f"{language}.yml"
        if trained.exists():
            # The learned scorer's examples: a file of their own, made from the dev examples.
            training = _load_model(trained, ScamTraining)
            if training.language != language:
                raise ContentError(f"{trained}: language differs from the file name")
            rules[language] = rules[language].model_copy(update={"training": training})
    reference = languages[0]
    for language in languages[1:]:
        if rules[language].shape() != rules[reference].shape():
            raise ContentError(
                f"{where / language}.yml: ids, weights, links or thresholds differ from {reference}"
            )
    return rules


def _load_links(path: Path, ui_files: Mapping[str, UiFile], default_language: str) -> LinkRules:
    links = _load_model(path, LinkRules)
    for index, brand in enumerate(links.brands):
        if isinstance(brand.name, str):
            continue
        if default_language not in brand.name:
            raise ContentError(f"{path}: brands.{index}.name: no name in {default_language!r}")
        unknown = sorted(brand.name.keys() - ui_files.keys())
        if unknown:
            raise ContentError(f"{path}: brands.{index}.name: {unknown} are not languages of ui/")
    strings = ui_files[default_language].strings
    for kind in links.user_content:
        # The kind is the reason the verdict gives; without its text the reply would fail.
        if f"link.signal.{kind}" not in strings:
            raise ContentError(
                f"{path}: user_content.{kind}: no text link.signal.{kind} in "
                f"ui/{default_language}.yml"
            )
    return links


def _load_regions(path: Path, languages: list[str]) -> dict[str, dict[str, str]]:
    regions = _load_model(path, Regions).regions
    table: dict[str, dict[str, str]] = {}
    for region in regions:
        names = region.names()
        missing = sorted(set(languages) - names.keys())
        if missing:
            raise ContentError(f"{path}: region {region.key!r} has no name in {missing}")
        table[region.key] = names
    return table


def _load_checklists(
    where: Path, languages: list[str], taxonomy: Taxonomy
) -> dict[str, dict[str, Checklist]]:
    checklists: dict[str, dict[str, Checklist]] = {}
    for language in languages:
        checklists[language] = {}
        for path in sorted((where / language).glob("*.yml")):
            checklist = _load_model(path, Checklist)
            if (checklist.id, checklist.language) != (path.stem, language):
                raise ContentError(f"{path}: id/language differ from the file's place")
            for item in checklist.items:
                if item.topic is not None and item.topic not in taxonomy.topics:
                    raise ContentError(f"{path}: item {item.key}: unknown topic {item.topic!r}")
            checklists[language][checklist.id] = checklist
    reference = languages[0]
    if not checklists[reference]:
        raise ContentError(f"{where / reference}: no checklists")
    for language in languages[1:]:
        if checklists[language].keys() != checklists[reference].keys():
            raise ContentError(f"{where / language}: checklists differ from {reference}")
        for key, checklist in checklists[language].items():
            if checklist.shape() != checklists[reference][key].shape():
                raise ContentError(
                    f"{where / language / key}.yml: items, weights, scope or bands differ from "
                    f"{reference}"
                )
    return checklists


def _load_quiz(
    where: Path, languages: list[str], taxonomy: Taxonomy
) -> dict[str, tuple[QuizQuestion, ...]]:
    quiz: dict[str, tuple[QuizQuestion, ...]] = {}
    for language in languages:
        path = where / f"{language}.yml"
        quiz_file = _load_model(path, QuizFile)
        if quiz_file.language != language:
            raise ContentError(f"{path}: language differs from the file name")
        for question in quiz_file.questions:
            if question.topic not in taxonomy.topics:
                raise ContentError(f"{path}: {question.id}: unknown topic {question.topic!r}")
        quiz[language] = quiz_file.questions
    reference = languages[0]
    shape = [(q.id, q.kind, q.topic, len(q.options), q.answer) for q in quiz[reference]]
    for language in languages[1:]:
        if [(q.id, q.kind, q.topic, len(q.options), q.answer) for q in quiz[language]] != shape:
            raise ContentError(
                f"{where / language}.yml: ids, kinds, topics, options or answers differ from "
                f"{reference}"
            )
    return quiz


# Whom tips are written for, and whom one subscribes as (events have their own audiences).
TIP_AUDIENCES = ("citizen", "business")


def _load_tips(
    where: Path, languages: list[str], answers: Mapping[str, Mapping[str, Answer]]
) -> dict[str, dict[str, tuple[Tip, ...]]]:
    tips: dict[str, dict[str, tuple[Tip, ...]]] = {}
    for language in languages:
        tips[language] = {}
        for audience in TIP_AUDIENCES:
            path = where / language / f"{audience}.yml"
            tip_file = _load_model(path, TipFile)
            if (tip_file.audience, tip_file.language) != (audience, language):
                raise ContentError(f"{path}: audience/language differ from the file's place")
            for tip in tip_file.tips:
                if tip.topic not in answers[language]:
                    raise ContentError(f"{path}: day {tip.day}: no answer for topic {tip.topic!r}")
            tips[language][audience] = tip_file.tips
    reference = languages[0]
    for language in languages[1:]:
        for audience in TIP_AUDIENCES:
            ours = [(t.day, t.topic, t.theme) for t in tips[language][audience]]
            theirs = [(t.day, t.topic, t.theme) for t in tips[reference][audience]]
            if ours != theirs:
                raise ContentError(
                    f"{where / language / audience}.yml: days, topics or themes differ from "
                    f"{reference}"
                )
    return tips


# libyaml's safe loader where PyYAML was built with it: the same data as yaml.safe_load, parsed
# about six times faster (data/ is read at every start, and by many tests).
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_yaml(stream: str | IO[str]) -> Any:
    """What yaml.safe_load(stream) gives, read by SAFE_LOADER."""
    return yaml.load(stream, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return safe_yaml(handle)
    except FileNotFoundError as exc:
        raise ContentError(f"{path}: file is missing") from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML: {exc}") from exc


def _load_model(path: Path, model: type[ModelT]) -> ModelT:
    raw = _read_yaml(path)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        places = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ContentError(f"{path}: {places}") from exc


def _load_taxonomy(path: Path) -> Taxonomy:
    raw = _read_yaml(path)
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ContentError(f"{path}: expected groups of topic: description")
    groups = {str(group): tuple(str(t) for t in topics) for group, topics in raw.items()}
    return Taxonomy(groups=groups)


def _plural_rule(path: Path, ui_file: UiFile) -> PluralRule:
    """The language's CLDR plural rule, once every counted text of `path` has exactly the forms
    it needs: a missing form would fail the first time that number is shown."""
    locale_name = ui_file.meta.babel_locale
    try:
        rule = Locale.parse(locale_name).plural_form
    except (UnknownLocaleError, ValueError) as exc:
        raise ContentError(f"{path}: meta.babel_locale {locale_name!r}: {exc}") from exc
    needed = {*rule.tags, "other"}
    for key, text in ui_file.strings.items():
        if not isinstance(text, dict):
            continue
        missing, extra = sorted(needed - text.keys()), sorted(text.keys() - needed)
        if missing or extra:
            wrong = [f"missing {missing}"] if missing else []
            wrong += [f"{extra} not used in {locale_name}"] if extra else []
            raise ContentError(
                f"{path}: {key}: {locale_name} needs the plural forms {sorted(needed)}: "
                + ", ".join(wrong)
            )
    return rule


def _placeholders(template: str | Mapping[str, str]) -> frozenset[str]:
    forms = template.values() if isinstance(template, Mapping) else (template,)
    return frozenset(
        name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name
    )


def _check_string_parity(
    where: Path, strings: Mapping[str, Mapping[str, str | Mapping[str, str]]]
) -> None:
    all_keys = set().union(*(s.keys() for s in strings.values()))
    for language, table in strings.items():
        missing = sorted(all_keys - table.keys())
        if missing:
            raise ContentError(f"{where}/{language}.yml: missing strings {missing}")
    reference_language, reference = next(iter(strings.items()))
    for language, table in strings.items():
        for key, template in table.items():
            place = f"{where}/{language}.yml: {key}"
            try:
                names = _placeholders(template)
            except ValueError as exc:
                raise ContentError(f"{place}: {exc}") from exc
            counted = isinstance(template, Mapping)
            if counted != isinstance(reference[key], Mapping):
                raise ContentError(
                    f"{place}: {'has' if counted else 'lacks'} plural forms, unlike "
                    f"{reference_language}.yml"
                )
            if not isinstance(template, Mapping):
                # A count shown in a plain text could not agree with its number.
                if "count" in names:
                    raise ContentError(f"{place}: {{count}} needs plural forms (one:, other:...)")
            elif "count" not in _placeholders(template.get("other", "")):
                raise ContentError(f"{place}: the form 'other' does not show {{count}}")
            if names != _placeholders(reference[key]):
                raise ContentError(
                    f"{place}: placeholders {sorted(names)} differ from {reference_language}.yml"
                )


def _check_answer_parity(where: Path, answers: Mapping[str, Mapping[str, Answer]]) -> None:
    all_topics = set().union(*(a.keys() for a in answers.values()))
    for language, table in answers.items():
        missing = sorted(all_topics - table.keys())
        if missing:
            raise ContentError(f"{where}/{language}: no answer for {missing}")
    for topic in all_topics:
        shapes = {lang: [s.key for s in table[topic].sections] for lang, table in answers.items()}
        if len({tuple(shape) for shape in shapes.values()}) > 1:
            raise ContentError(f"{where}: sections of {topic!r} differ between languages: {shapes}")
