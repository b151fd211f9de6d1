"""The message check's rules engine (bot/core/scam) on the shipped rules (data/scam) and on rules
written here, without storage or chat: the score, the verdict, the quoted red flags, the marks of
genuine notices, links as signals, the sender that does not match its brand, and the dev
examples the rules were tuned on (tests/scam_dev; the evaluation set of bench/ is never used)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content.catalog import Catalog
from bot.content.domains import split_domain
from bot.content.models import LearnedWeight, ScamRules
from bot.content.typing import load_readers
from bot.core.links import LinkChecker, LinkReport, find_links
from bot.core.scam.received import received_or_question
from bot.core.scam.rules import MAX_QUOTE, Assessment, ScamEngine
from bot.core.unanswered import scrub
from bot.services.scamcheck import ScamCheckService

DEV = Path(__file__).parent / "scam_dev"
DATA = Path(__file__).parent.parent / "data"


def rules(**changes: Any) -> ScamRules:
    raw: dict[str, Any] = {
        "language": "en",
        "suspicious": 3,
        "likely_scam": 5,
        "signals": [
            {"id": "urgency", "name": "Hurry", "weight": 1, "patterns": [r"\burgent\b"],
             "advice": "Take your time."},
            {"id": "code", "name": "Code wanted", "weight": 4,
             "patterns": [r"(?<!not )\bsend (?:the|your) code\b", r"\bcode please\b"],
             "advice": "Never give a code."},
            {"id": "bad_link", "name": "A bad link", "weight": 3, "links": ["danger"],
             "advice": "Don't open it."},
            {"id": "sender", "name": "Sender", "weight": 2, "detector": "sender_brand",
             "advice": "Check the sender."},
        ],
        "genuine": [
            {"id": "no_share", "name": "Do not share", "weight": 4,
             "patterns": [r"\bdo not share\b"]},
            {"id": "official", "name": "Own site", "weight": 3, "links": ["official"]},
        ],
        "followups": [
            {"id": "paid", "button": "I paid", "patterns": [r"\bi (?:already )?paid\b"],
             "steps": "Call your bank now on the number on your card."},
        ],
        "act_now": "Don't click anything in the message.",
        "report": "Report it to the police cybercrime unit.",
        "sources": [{"url": "https://www.govcert.bg/", "title": "CERT", "checked": "2026-12-06"}],
    }  # fmt: skip
    raw.update(changes)
    return ScamRules.model_validate(raw)


def by_the_shipped_rules(catalog: Catalog, language: str, text: str) -> Assessment:
    """What the shipped rules of `language` alone (no learned scorer) make of `text`."""
    return ScamEngine(catalog.scam[language], catalog.links.brands).assess(text, learned=False)


def report(verdict: str, shown: str) -> LinkReport:
    return LinkReport(shown=shown, host=shown, verdict=verdict)  # type: ignore[arg-type]


def test_each_signal_counts_once_and_quotes_the_message() -> None:
    engine = ScamEngine(rules())
    found = engine.assess("URGENT!!! urgent: send the code, code please")
    assert [(f.id, f.quote, f.weight) for f in found.flags] == [
        ("urgency", "URGENT", 1),
        ("code", "send the code", 4),
    ]
    assert (found.score, found.verdict) == (5, "likely_scam")
    assert found.flags[1].advice == "Never give a code."


def test_the_thresholds_make_the_verdict() -> None:
    engine = ScamEngine(rules())
    assert engine.assess("urgent").verdict == "no_red_flags"
    assert engine.assess("code please").verdict == "suspicious"
    assert engine.assess("Hello, see you tomorrow").flags == ()


def test_a_genuine_mark_lowers_the_score_but_never_below_zero() -> None:
    engine = ScamEngine(rules())
    otp = engine.assess("Your code is 1234. Do not share this code. Code please keep it.")
    assert [m.id for m in otp.genuine] == ["no_share"]
    assert otp.score == 0 and otp.verdict == "no_red_flags"
    assert engine.assess("do not send the code").flags == ()  # the lookbehind of the pattern


def test_link_verdicts_raise_signals_and_genuine_marks() -> None:
    engine = ScamEngine(rules())
    bad = engine.assess("see this", [report("danger", "dsk-bank.top/login")])
    assert [(f.id, f.quote) for f in bad.flags] == [("bad_link", "dsk-bank.top/login")]
    own = engine.assess("code please", [report("official", "www.speedy.bg")])
    assert [m.id for m in own.genuine] == ["official"] and own.score == 1


def test_a_link_the_link_checker_calls_dangerous_makes_a_likely_scam() -> None:
    # Whatever the score: the link checker tells the user not to open it.
    engine = ScamEngine(rules(likely_scam=99))
    bad = engine.assess("see this", [report("danger", "dsk-bank.top/login")])
    assert bad.score < 99 and bad.verdict == "likely_scam"


def test_a_long_match_is_shortened_on_one_line() -> None:
    long_one = {
        "id": "long",
        "name": "Long",
        "weight": 1,
        "patterns": [r"start[\s\S]*end"],
        "advice": "Look closer at it.",
    }
    engine = ScamEngine(rules(signals=[long_one]))
    flag = engine.assess("start" + " word\n" * 40 + "end").flags[0]
    assert len(flag.quote) == MAX_QUOTE and flag.quote.endswith("…") and "\n" not in flag.quote


def test_a_sender_address_off_the_brands_domain(catalog: Catalog) -> None:
    engine = ScamEngine(rules(), catalog.links.brands)
    fake = engine.assess("From: DSK Bank <security@dsk-alerts.com> Your account is limited")
    assert [(f.id, f.quote) for f in fake.flags] == [("sender", "security@dsk-alerts.com")]
    real = engine.assess("From: DSK Bank <info@dskbank.bg> Your statement is ready")
    assert real.flags == ()
    # No brand named, no claim to check.
    assert engine.assess("write to ivan@example.com").flags == ()


def test_followups_are_read_from_typed_text() -> None:
    engine = ScamEngine(rules())
    assert engine.followup("Oh no, I already paid them") == "paid"
    assert engine.followup("what now?") is None


def test_received_or_question() -> None:
    engine = ScamEngine(rules())
    likely, suspicious, clean = (
        engine.assess("urgent, send your code"),
        engine.assess("code please"),
        engine.assess("what is phishing?"),
    )
    assert received_or_question(likely, forwarded=False) == "received"
    assert received_or_question(suspicious, forwarded=False) == "unsure"
    assert received_or_question(clean, forwarded=False) == "question"
    assert received_or_question(clean, forwarded=True) == "received"


def test_rules_that_could_not_work_are_refused() -> None:
    with pytest.raises(ValueError, match="suspicious must be lower"):
        rules(suspicious=5)
    with pytest.raises(ValueError, match="pattern"):
        rules(signals=[{"id": "x1", "name": "Bad", "weight": 1, "patterns": ["(unclosed"],
                        "advice": "Look closer at it."}])  # fmt: skip
    with pytest.raises(ValueError, match="no patterns, links or detector"):
        rules(signals=[{"id": "x1", "name": "None", "weight": 1, "advice": "Look closer at it."}])


def test_the_languages_share_ids_weights_and_thresholds(catalog: Catalog) -> None:
    shapes = {lang: r.shape() for lang, r in catalog.scam.items()}
    assert set(shapes) == set(catalog.languages)
    assert len(set(shapes.values())) == 1


def _dev(language: str) -> dict[str, list[str]]:
    loaded: dict[str, list[str]] = yaml.safe_load((DEV / f"{language}.yml").read_text("utf-8"))
    return loaded


@pytest.mark.parametrize("language", ["en", "bg"])
def test_the_dev_examples(catalog: Catalog, language: str) -> None:
    """The examples the rules were tuned on: every scam is likely a scam, no genuine message
    is even suspicious."""
    engine = ScamEngine(catalog.scam[language], catalog.links.brands)
    checker = LinkChecker(catalog.links, split_domain)

    def verdict(text: str) -> str:
        links = [checker.check(link) for link in find_links(text, split_domain)]
        return engine.assess(text, links).verdict

    examples = _dev(language)
    missed = [t for t in examples["scam"] if verdict(t) != "likely_scam"]
    flagged = [t for t in examples["genuine"] if verdict(t) != "no_red_flags"]
    assert (missed, flagged) == ([], [])


def test_the_new_number_message_of_the_issue(catalog: Catalog) -> None:
    engine = ScamEngine(catalog.scam["bg"], catalog.links.brands)
    found = engine.assess("Мамо, смених си номера, пиши ми във Вайбър, спешно е")
    assert found.verdict == "likely_scam"
    assert {f.id: f.quote for f in found.flags} == {
        "urgency": "спешно",
        "new_number": "смених си номера",
        "chat_app": "пиши ми във Вайбър",
    }


def test_scrub_removes_what_identifies_or_opens_an_account() -> None:
    text = (
        "Pay 1.99 EUR to BG80 BNBG 9661 1020 3456 78, call +359 88 123 4567, "
        "mail ivan@abv.bg, your code is 483920, код: AB12C3, card 4111 1111 1111 1111"
    )
    scrubbed = scrub(text)
    for secret in ("BNBG", "4567", "abv.bg", "483920", "AB12C3", "4111"):
        assert secret not in scrubbed
    assert "1.99 EUR" in scrubbed
    assert scrub(scrubbed) == scrubbed


def test_the_learned_scorer_adds_points_but_never_raises_a_verdict_alone() -> None:
    """The learned scorer (trained on the rules' examples) moves the score; without a `flag`
    threshold, a message with no red flag of the rules stays "no red flags found"."""
    training = {
        "language": "en",
        "source": "Examples written for this test, nothing else.",
        "scam": [f"urgent: pay the fee {n} now or lose your parcel" for n in range(8)],
        "genuine": [f"see you at dinner {n}, love" for n in range(8)],
    }
    learned = rules(learned={"weight": 4, "offset": 0.5}, training=training)
    engine = ScamEngine(learned)
    scam_like = engine.assess("urgent: pay the fee 9 now or lose your parcel")
    assert scam_like.learned is not None and scam_like.learned > 0.5
    assert [f.id for f in scam_like.flags] == ["urgency"]
    assert scam_like.score == 1 + round(4 * (scam_like.learned - 0.5))
    quiet = engine.assess("pay the fee now or lose your parcel")  # no red flag of the rules
    assert quiet.flags == () and quiet.verdict == "no_red_flags"
    friendly = engine.assess("urgent! see you at dinner, love")
    assert friendly.learned is not None and friendly.learned < 0.5
    assert friendly.score == 0  # fewer points than none below the offset, never below 0
    assert ScamEngine(rules()).assess("urgent").learned is None


def test_the_shipped_training_examples_are_the_dev_examples_and_retired_sets(
    catalog: Catalog,
) -> None:
    """data/scam/training/ is made from tests/scam_dev/ and, since round 9, the retired
    evaluation sets (`python -m bench.scam_dev --export`): the same texts, so what the bot learns
    from is what the rules were tuned on (tests/test_scam_training_export.py checks the rest)."""
    from bench.scam_quality import RETIRED, SETS, _messages

    for language, scam_rules in catalog.scam.items():
        assert scam_rules.training is not None and scam_rules.learned is not None
        dev: dict[str, set[str]] = {"scam": set(), "genuine": set()}
        for path in DEV.glob(f"*{language}.yml"):
            loaded = yaml.safe_load(path.read_text("utf-8"))
            for label in dev:
                dev[label].update(loaded.get(label) or ())
            for item in loaded.get("messages") or ():
                dev[item["label"]].add(item["text"])
        for name in RETIRED:
            for item in _messages(language, SETS[name]):
                dev[str(item["label"])].add(str(item["text"]))
        assert set(scam_rules.training.scam) == dev["scam"]
        assert set(scam_rules.training.genuine) == dev["genuine"]


def test_a_bulgarian_scam_typed_in_latin_letters(catalog: Catalog) -> None:
    """A Bulgarian scam typed in Latin letters is read into Cyrillic for the rules, and its
    flags quote the reading."""
    readers = load_readers(DATA, catalog.languages)
    service = ScamCheckService(catalog, split_domain, readers=readers)
    text = "Mamo, smenih si nomera, pishi mi vav Viber, speshno e"
    language = service.language_of(text, "en")
    assert language == "bg"
    found = service.assess(text, language)
    assert found.verdict == "likely_scam"
    assert {"new_number", "urgency"} <= {f.id for f in found.flags}


def test_a_question_about_a_scam_is_told_by_the_rules_alone(catalog: Catalog) -> None:
    """The learned scorer finds a scam's words in a user's own question ("my card has been
    blocked, what should I do?"); whether a typed message is one received is the rules' call."""
    service = ScamCheckService(catalog, split_domain)
    found = service.assess("My card has been blocked, what should I do?", "en")
    assert found.rules_verdict in ("no_red_flags", "suspicious")
    assert received_or_question(found, forwarded=False) != "received"


def _learned_rules(flag: float | None) -> ScamRules:
    """Rules whose learned scorer, trained on the examples below, raises its own flag from
    `flag` on."""
    training = {
        "language": "en",
        "source": "Examples written for this test, nothing else.",
        "scam": [f"your parcel {n} is held, pay the customs fee now" for n in range(8)],
        "genuine": [f"see you at dinner {n}, love" for n in range(8)],
    }
    learned_flag = {"id": "wording", "name": "Scam words", "weight": 2, "detector": "learned",
                    "advice": "Check it yourself first."}  # fmt: skip
    base = rules()
    signals = [s.model_dump() for s in base.signals] + [learned_flag]
    return rules(
        signals=signals,
        learned={"weight": 4, "offset": 0.5, "flag": flag},
        training=training,
    )


def test_the_learned_scorer_flags_a_message_the_rules_miss_when_it_is_sure() -> None:
    """A message in which no pattern found anything, but which reads like the scams the
    scorer learned from, gets the learned flag quoting the words that weighed most, in the
    order of the message; the rules' own verdict stays "no red flags"."""
    engine = ScamEngine(_learned_rules(flag=0.8))
    found = engine.assess("Hello, the parcel is held: customs fee to pay now")
    assert found.learned is not None and found.learned >= 0.8
    assert [f.id for f in found.flags] == ["wording"]
    quoted = found.flags[0].quote.split(" … ")
    assert 1 <= len(quoted) <= 3 and ("parcel" in quoted or "customs" in quoted)
    positions = [found.flags[0].quote.find(w) for w in quoted]
    assert positions == sorted(positions)  # in the order of the message
    assert found.score == 2 + round(4 * (found.learned - 0.5))
    assert found.verdict != "no_red_flags" and found.rules_verdict == "no_red_flags"
    # A friendly message is nowhere near sure: nothing to flag.
    assert engine.assess("see you at dinner, love").flags == ()


def test_from_alone_the_learned_flag_makes_a_message_suspicious_below_its_points() -> None:
    """`learned.alone` (round 9): below `flag`, from `alone` on, a message the rules found
    nothing in gets the learned flag, and is "suspicious" even where the scorer's points leave
    the score short of the rules' threshold; below `alone` it stays "no red flags"."""
    base = _learned_rules(flag=0.99)
    learned = {"weight": 1, "offset": 0.5, "flag": 0.99, "alone": 0.6}
    engine = ScamEngine(base.model_copy(update={"learned": LearnedWeight(**learned)}))
    texts = [
        "Hello, the parcel is held: customs fee to pay now",
        "the parcel is held, pay the fee",
        "your parcel, love",
        "see you at dinner, love",
        "dinner is held at the parcel office",
    ]
    raised = 0
    for text in texts:
        found = engine.assess(text)
        assert found.learned is not None
        if found.learned >= 0.6:
            raised += 1
            assert [f.id for f in found.flags] == ["wording"], text
            assert found.score == 2  # the points round to 0: below "suspicious" (3)
            assert found.verdict == "suspicious", text
            assert found.rules_verdict == "no_red_flags"
        else:
            assert found.flags == () and found.verdict == "no_red_flags", text
    assert 0 < raised < len(texts)
    # Without `alone`, the same scorer flags nothing below `flag`.
    quiet = ScamEngine(_learned_rules(flag=0.99))
    for text in texts:
        probability = engine.assess(text).learned
        if probability is not None and probability < 0.99:
            assert quiet.assess(text).flags == (), text


def test_the_learned_flag_only_where_the_rules_found_nothing() -> None:
    engine = ScamEngine(_learned_rules(flag=0.5))
    found = engine.assess("urgent: your parcel is held, pay the customs fee now")
    assert [f.id for f in found.flags] == ["urgency"]  # the rules' flag, not both
    # Without a threshold the learned scorer never flags on its own.
    quiet = ScamEngine(_learned_rules(flag=None)).assess("the parcel is held, pay the fee")
    assert quiet.flags == () and quiet.verdict == "no_red_flags"


def test_telling_words_are_the_message_s_own_words() -> None:
    from bot.core.scam.learned import LearnedScorer

    scorer = LearnedScorer(
        [f"your parcel {n} is held, pay the customs fee now" for n in range(8)],
        [f"see you at dinner {n}, love" for n in range(8)],
    )
    words = scorer.telling_words("Hi! „Parcel“ HELD, customs fee: 1.99", count=2)
    assert len(words) == 2
    assert set(words) <= {"Parcel", "HELD", "customs", "fee"}  # as written, quotes trimmed
    assert scorer.telling_words("see you at dinner, love") == ()  # nothing weighs to a scam


@pytest.mark.parametrize(
    ("language", "text", "signal"),
    [
        ("en", "Sorry, I paid 600 instead of 160 for the chairs, send me back the difference",
         "buyer_payment"),
        ("bg", "Извинявайте, преведох Ви 600 вместо 160 за столовете, върнете ми разликата",
         "buyer_payment"),
        ("en", "We found your name on a list of victims. Our recovery agent can get your money "
         "back", "recovery_offer"),
        ("bg", "Открихме името Ви в списък с жертви на измамна платформа. Ще си върнете парите",
         "recovery_offer"),
        ("en", "Please note we changed our bank, all future payments go to the new IBAN",
         "changed_bank"),
        ("bg", "Моля, имайте предвид, че сменихме банката, всички бъдещи плащания по новия IBAN",
         "changed_bank"),
        ("en", "To proceed we need a copy of your ID card and a selfie", "identity_request"),
        ("bg", "За договора ни трябва копие от личната карта и селфи", "identity_request"),
        ("en", "Your heating will be disconnected for an unpaid bill", "blocked_account"),
        ("bg", "Водоподаването на Вашия адрес ще бъде спряно утре", "blocked_account"),
        ("bg", "Ще ти дойде SMS с код, само ми го прати", "code_request"),
        ("en", "Grandma, a colleague of mine will come to collect the money in an hour",
         "safe_account"),
        ("bg", "Колегата ми ще мине да ги вземе след половин час", "safe_account"),
        ("en", "Our HR manager will explain the job, write to her on WhatsApp +44 7700 900123",
         "chat_app"),
        ("bg", "За подробности пишете ни само във Viber", "chat_app"),
    ],
)  # fmt: skip
def test_new_signals_of_the_shipped_rules(
    catalog: Catalog, language: str, text: str, signal: str
) -> None:
    found = by_the_shipped_rules(catalog, language, text)
    assert signal in {f.id for f in found.flags}


def test_a_reply_about_someone_s_new_number_is_no_new_number_scam(catalog: Catalog) -> None:
    engine = ScamEngine(catalog.scam["en"], catalog.links.brands)
    found = engine.assess("Saved your new number 👍 Are we still doing Friday at ours?")
    assert found.flags == ()
    assert [f.id for f in engine.assess("This is my new number, save it").flags] == ["new_number"]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Heads up: fraudsters pretend to be our bank and ask you to move money to a "
         "\"safe account\". Ignore them and report it to the police."),
        ("bg", "Внимание: измамници се представят за служители на банката и искат да прехвърлите "
         "парите си в „сигурна сметка“. Игнорирайте ги и подайте сигнал в полицията."),
    ],
)  # fmt: skip
def test_a_warning_about_a_scam_is_no_scam(catalog: Catalog, language: str, text: str) -> None:
    """An awareness post names the scam's words ("safe account"), but it describes what
    scammers do and asks for nothing: the mark of a warning outweighs the quoted words."""
    found = by_the_shipped_rules(catalog, language, text)
    assert "safe_account" in {f.id for f in found.flags}
    assert "warns_of_scam" in {m.id for m in found.genuine}
    assert found.verdict != "likely_scam" and found.rules_verdict != "likely_scam"


def test_latin_typed_bulgarian_is_judged_by_the_rules_reading_it(catalog: Catalog) -> None:
    """A Bulgarian message typed in Latin letters is read into Cyrillic for the rules; when
    the rules find something in the reading, that reading is kept, even though the learned
    scorer, sure of the Latin letters, would flag the message as typed."""
    import dataclasses

    training = {
        "language": "bg",
        "source": "Examples written for this test, nothing else.",
        "scam": [f"tova mi e noviq nomer {n}, zapishi go" for n in range(8)],
        "genuine": [f"ще се видим на вечеря {n}, целувки" for n in range(8)],
    }
    bg = catalog.scam["bg"].model_copy(update={"training": ScamRules.model_validate(
        {**catalog.scam["bg"].model_dump(), "training": training}).training})  # fmt: skip
    service = ScamCheckService(
        dataclasses.replace(catalog, scam={**catalog.scam, "bg": bg}),
        split_domain,
        readers=load_readers(DATA, catalog.languages),
    )
    text = "Zdravei, tova mi e noviq nomer. Nishto ne mi trqbva, samo si go zapishi"
    as_typed = service.engine("bg").assess(text)
    assert [f.id for f in as_typed.flags] == ["learned_wording"]  # the rules read no Latin
    found = service.assess(text, "bg")
    assert "new_number" in {f.id for f in found.flags}
    assert not any(f.learned for f in found.flags)
    assert "asks_nothing" in {m.id for m in found.genuine}


@pytest.mark.parametrize(
    ("language", "text", "signal"),
    [
        ("en", "This is Georgiev, the director. I need a transfer of 9,800 EUR before noon",
         "boss_request"),
        ("bg", "Аз съм, управителят. До обяд трябва да се преведат 9800 евро на нов доставчик",
         "boss_request"),
        ("en", "Your firm's entry in the European Business Directory expires: pay the fee of "
         "870 EUR", "registry_fee"),
        ("bg", "Търговски регистър: платете таксата от 870 евро, за да не бъде заличена фирмата",
         "registry_fee"),
        ("en", "Hi, is this Nina? We met at the party on Saturday, you gave me this number",
         "stranger_contact"),
        ("bg", "Здравей, запознахме се на купона в събота, ти ми даде номера си",
         "stranger_contact"),
        ("en", "Please help, every euro counts: revolut.me/helpmaria", "private_transfer"),
        ("bg", "Моля, помогнете, всеки лев е важен: revolut.me/pomoshzamaria", "private_transfer"),
        ("en", "I'm changing banks, pay the rent to my wife's account this month", "changed_bank"),
        ("bg", "Сменям си банката, този месец преведете наема по сметката на жена ми",
         "changed_bank"),
    ],
)  # fmt: skip
def test_signals_of_the_second_round(
    catalog: Catalog, language: str, text: str, signal: str
) -> None:
    """Round 2 of issue 16: CEO fraud, register fees, strangers' openers, payments to a private
    Revolut, a landlord's "new bank"."""
    found = by_the_shipped_rules(catalog, language, text)
    assert signal in {f.id for f in found.flags}


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I paid for the tickets, it's 34 each. send me on revolut whenever, no rush"),
        ("bg", "платих билетите, по 34 на човек. прати ми по Revolut когато можеш, няма бързане"),
        ("en", "Hello, sorry, wrong number! I was trying to reach my dentist. Have a nice day."),
        ("bg", "Извинете, сбърках номера! Търсех зъболекаря си. Приятен ден."),
        ("en", "Boss wants the KPI numbers in 30 min, can you send me last month's sales excel?"),
    ],
)  # fmt: skip
def test_friends_and_colleagues_are_not_called_scammers_by_the_rules(
    catalog: Catalog, language: str, text: str
) -> None:
    """Words the second round's signals look for, in ordinary messages: the rules alone give
    no verdict (a friend paid back on Revolut, an apology for a wrong number, a boss in a hurry)."""
    found = by_the_shipped_rules(catalog, language, text)
    assert found.verdict == "no_red_flags"


def test_a_genuine_mark_keeps_the_learned_scorer_from_raising_the_score() -> None:
    """The scorer is sure of a message that holds a red flag and a genuine notice's mark: its
    points may lower the score, never outweigh the mark (the rules read "do not share"; the
    scorer only learned the scams' words)."""
    engine = ScamEngine(_learned_rules(flag=None))
    held = "urgent: your parcel is held, send your code and pay the customs fee now"
    unmarked = engine.assess(held)
    assert unmarked.learned is not None
    points = round(4 * (unmarked.learned - 0.5))
    assert points >= 2  # enough to make the marked message suspicious if they counted
    assert unmarked.score == 1 + 4 + points
    found = engine.assess(held + ", do not share")
    assert [f.id for f in found.flags] == ["urgency", "code"]
    assert [m.id for m in found.genuine] == ["no_share"]
    assert found.score == 1 + 4 - 4 and found.verdict == "no_red_flags"


def test_a_red_flag_that_alone_is_likely_is_not_talked_down_by_the_scorer() -> None:
    """Round 4: a red flag whose weight alone reaches `likely_scam` keeps the message "likely
    scam" however little the scorer thinks of its words (it has seen few messages of them); a
    weaker flag still loses the scorer's negative points, and a genuine mark still counts."""
    training = {
        "language": "en",
        "source": "Examples written for this test, nothing else.",
        "scam": [f"your parcel {n} is held, pay the customs fee now" for n in range(8)],
        "genuine": [f"see you at dinner {n}, love" for n in range(8)],
    }
    visit = {"id": "visit", "name": "A paid visit", "weight": 5,
             "patterns": [r"\bprepare your cash\b"], "advice": "Do not open the door."}  # fmt: skip
    engine = ScamEngine(
        rules(
            signals=[*(s.model_dump() for s in rules().signals), visit],
            learned={"weight": 4, "offset": 0.5},
            training=training,
        )
    )
    strong = engine.assess("see you at dinner, love, and prepare your cash")
    assert strong.learned is not None and round(4 * (strong.learned - 0.5)) < 0
    assert [f.id for f in strong.flags] == ["visit"]
    assert strong.score == 5 and strong.verdict == "likely_scam"
    weaker = engine.assess("see you at dinner, love, code please")
    assert weaker.learned is not None
    assert weaker.score == max(0, 4 + round(4 * (weaker.learned - 0.5))) < 4
    marked = engine.assess("see you at dinner, love, prepare your cash, do not share")
    assert marked.learned is not None
    assert marked.score == max(0, 5 - 4 + min(0, round(4 * (marked.learned - 0.5))))
    assert marked.verdict == "no_red_flags"


def test_a_warning_about_scams_is_at_most_suspicious() -> None:
    """A mark `at_most_suspicious` (a warning that describes scams by their red flags) keeps
    the verdict at "suspicious", but a dangerous link still makes it "likely scam"."""
    warning = {"id": "warning", "name": "A warning", "weight": 1, "at_most_suspicious": True,
               "patterns": [r"\bscammers pretend\b"]}  # fmt: skip
    engine = ScamEngine(rules(genuine=[*(g.model_dump() for g in rules().genuine), warning]))
    text = "urgent: scammers pretend to be the bank and say send your code"
    found = engine.assess(text)
    assert [m.id for m in found.genuine] == ["warning"]
    assert found.score == 1 + 4 - 1 and found.verdict == "suspicious"
    plain = engine.assess("urgent: they pretend to be the bank and say send your code, code please")
    assert plain.verdict == "likely_scam"
    linked = engine.assess(text, [report("danger", "bank-login.top")])
    assert linked.verdict == "likely_scam"


@pytest.mark.parametrize(
    ("language", "text", "signal"),
    [
        ("en", "Our technician will come on Friday to change the meter, the £40 fee is in cash",
         "home_visit"),
        ("bg", "В петък ще мине наш техник да смени водомера, таксата от 40 лв. е в брой",
         "home_visit"),
        ("en", "is this you in the video?? look", "bait_link"),
        ("bg", "ти ли си на видеото?? виж", "bait_link"),
        ("en", "A payment of £310.00 to ZZ SHOP was attempted from your account", "account_threat"),
        ("bg", "Плащане на 310 EUR към ZZ SHOP беше опитано от сметката Ви", "account_threat"),
        ("en", "Read me the code that will arrive in a moment", "code_request"),
        ("bg", "Ще ти дойде код, можеш ли да ми го пратиш", "code_request"),
        ("en", "Your pension has been suspended, call us", "blocked_account"),
        ("bg", "Пенсията Ви е спряна, обадете се", "blocked_account"),
        ("bg", "За подробности се обадете на 0888 123 456", "callback_number"),
        ("en", "I'll pay by PayPal now, what's your email?", "buyer_payment"),
        ("bg", "Ще платя по PayPal, дайте ми имейла си", "buyer_payment"),
    ],
)  # fmt: skip
def test_signals_of_the_fourth_round(
    catalog: Catalog, language: str, text: str, signal: str
) -> None:
    found = by_the_shipped_rules(catalog, language, text)
    assert signal in {f.id for f in found.flags}


@pytest.mark.parametrize(
    ("language", "text", "mark"),
    [
        ("en", "Your refund of £12.00 has been sent to your original payment method.",
         "refund_notice"),
        ("bg", "Възстановихме ви 12 лв. Сумата ще се появи по картата ви до 5 дни.",
         "refund_notice"),
        ("bg", "Ако не сте Вие, обадете се на телефона на гърба на картата.", "number_on_card"),
        ("bg", "Никога няма да Ви поискаме ПИН или парола.", "never_asks"),
        ("bg", "Кодът ви е 123456. Не го предоставяйте на никого.", "otp_do_not_share"),
    ],
)  # fmt: skip
def test_genuine_marks_of_the_fourth_round(
    catalog: Catalog, language: str, text: str, mark: str
) -> None:
    found = by_the_shipped_rules(catalog, language, text)
    assert mark in {m.id for m in found.genuine}


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Your vouchers expire in 2 years, no rush"),
        ("en", "I matched with you but I don't use the app much, my uncle is a pilot"),
        ("en", "Thames Water will read the meters next week, there is no fee and no need to be in"),
    ],
)  # fmt: skip
def test_fourth_round_fixes_keep_ordinary_words_quiet(
    catalog: Catalog, language: str, text: str
) -> None:
    """Wordings that raised red flags or genuine marks they should not: "expire in 2 years" is
    no urgency, "don't use the app" is no advice to use it, a free meter reading no paid visit."""
    found = by_the_shipped_rules(catalog, language, text)
    assert {f.id for f in found.flags} & {"urgency", "home_visit"} == set()
    assert "own_channel" not in {m.id for m in found.genuine}


def test_a_signal_alone_at_most_suspicious_needs_another_flag_or_a_sure_scorer() -> None:
    """Round 6: a signal marked `alone_at_most_suspicious` (a relative's "new number") which is
    the only red flag stays "suspicious" however many points the scorer adds, unless the scorer
    is sure (from `learned.flag`); with another red flag the points count as before."""
    training = {
        "language": "en",
        "source": "Examples written for this test, nothing else.",
        "scam": [f"this is my new number {n}, save it" for n in range(8)],
        "genuine": [f"see you at dinner {n}, love" for n in range(8)],
    }
    newnum = {"id": "newnum", "name": "A new number", "weight": 4,
              "alone_at_most_suspicious": True, "patterns": [r"\bnew number\b"],
              "advice": "Call the old number."}  # fmt: skip
    signals = [*(s.model_dump() for s in rules().signals), newnum]

    def engine(flag: float) -> ScamEngine:
        learned = {"weight": 4, "offset": 0.5, "flag": flag}
        return ScamEngine(rules(signals=signals, learned=learned, training=training))

    unsure = engine(1.0)
    alone = unsure.assess("this is my new number, save it")
    assert alone.learned is not None and round(4 * (alone.learned - 0.5)) >= 1
    assert [f.id for f in alone.flags] == ["newnum"]
    assert alone.score >= 5 and alone.verdict == "suspicious"
    assert alone.rules_verdict == "suspicious"
    company = unsure.assess("this is my new number, save it, urgent")
    assert [f.id for f in company.flags] == ["urgency", "newnum"]
    assert company.score >= 5 and company.verdict == "likely_scam"
    sure = engine(min(0.99, alone.learned)).assess("this is my new number, save it")
    assert sure.verdict == "likely_scam"


@pytest.mark.parametrize(
    ("language", "text", "signal", "strong"),
    [
        ("en", "Your ISA made 6% returns last year; your account manager can explain",
         "investment_talk", "promised_returns"),
        ("bg", "Доходност от 6% за годината; личен мениджър ще Ви обясни подробностите",
         "investment_talk", "promised_returns"),
        ("en", "Part-time job in our shop, £12 per hour, no experience needed", "job_offer",
         "job_tasks"),
        ("bg", "Почасова работа в склада, 6 евро на час, без опит", "job_offer", "job_tasks"),
    ],
)  # fmt: skip
def test_investment_and_job_wordings_real_firms_share_are_weak_signals(
    catalog: Catalog, language: str, text: str, signal: str, strong: str
) -> None:
    """Round 6 (scamq6): the wordings of promised_returns and job_tasks that real statements and
    job adverts share are signals of their own, weight 3 and alone at most "suspicious"; the
    strong signals (weight 5, "likely" alone) no longer read them."""
    found = by_the_shipped_rules(catalog, language, text)
    ids = {f.id for f in found.flags}
    assert signal in ids and strong not in ids
    assert found.verdict == "suspicious"
    assert (
        catalog.scam[language]
        .signals[[s.id for s in catalog.scam[language].signals].index(signal)]
        .alone_at_most_suspicious
    )


@pytest.mark.parametrize(
    ("language", "text", "signal"),
    [
        ("en", "Guaranteed returns of 5% per week, start with only 250", "promised_returns"),
        ("bg", "Гарантирана печалба 5% на седмица, започнете със само 250", "promised_returns"),
        ("en", "Like hotels on your phone and earn €120 a day", "job_tasks"),
        ("bg", "Харесвайте хотели от телефона и печелете 120 евро на ден", "job_tasks"),
        ("en", "Grandma it's me, I'm at the police station, a lawyer will call you", "new_number"),
        ("en", "I've had a bit of a car accident and need to pay the other driver", "new_number"),
        ("en", "Please don't tell mum about this", "secrecy"),
        ("bg", "Моля те, не казвай на мама", "secrecy"),
        ("en", "Good afternoon, is this the dentist?", "stranger_contact"),
        ("bg", "Добър ден, това зъболекарският кабинет ли е?", "stranger_contact"),
        ("en", "An agent will call you, please have the code we've sent ready", "code_request"),
        ("en", "They are sending the reset code to your phone. Can you send it to me?",
         "code_request"),
        ("bg", "Кодът ще дойде на твоя телефон. Прати ми го, като дойде.", "code_request"),
        ("bg", "Дръжте кода готов, служител ще Ви се обади", "code_request"),
        ("en", "Someone set up a new payee (J SMITH) on your account", "account_threat"),
        ("en", "We attempted to deliver a signed-for item today", "parcel_fee"),
        ("en", "Hi, what's the code? I sent it to you by accident", "code_request"),
        ("en", "Tell me the 6-digit number you just received", "code_request"),
        ("bg", "Какъв е кодът, който ти дойде?", "code_request"),
        ("bg", "Кажете ми 6-цифрения номер, който получихте", "code_request"),
        ("en", "Grandma, I'm in big trouble, please help", "new_number"),
        ("en", "In a board meeting, I need you to pay an invoice for me", "money_request"),
        ("en", "An order for £899 is being processed. If you did not place it, call us",
         "account_threat"),
    ],
)  # fmt: skip
def test_signals_of_round_six(catalog: Catalog, language: str, text: str, signal: str) -> None:
    found = by_the_shipped_rules(catalog, language, text)
    assert signal in {f.id for f in found.flags}


@pytest.mark.parametrize(
    ("language", "text", "mark"),
    [
        ("en", "One of your Bonds has won £25; it will be paid into your nominated bank account.",
         "refund_notice"),
        ("en", "€84.99 will be returned to the card used for the booking.", "refund_notice"),
        ("en", "Your credit of £23 will be taken off your next bill.", "refund_notice"),
        ("bg", "Надплатената сума ще бъде приспадната от следващата Ви фактура.", "refund_notice"),
        ("bg", "Печалбата от 38 евро е изплатена в онлайн профила Ви.", "refund_notice"),
    ],
)  # fmt: skip
def test_genuine_marks_of_round_six(catalog: Catalog, language: str, text: str, mark: str) -> None:
    found = by_the_shipped_rules(catalog, language, text)
    assert mark in {m.id for m in found.genuine}


@pytest.mark.parametrize(
    ("language", "text", "signal"),
    [
        ("en", "Hi Priya, I'm a recruiter at Hays; I saw your profile on LinkedIn", "new_number"),
        ("en", "You have 500 points. Points expire in 2 years if unused.", "prize"),
        ("bg", "Имате 1 250 точки. Точките изтичат след 2 години.", "prize"),
        ("bg", "Получихте 3,47 евро лихва по спестовния си трезор.", "safe_account"),
        ("bg", "Таксата ти е удържана два пъти, затова днес ти върнахме 35 евро по картата.",
         "recovery_offer"),
        ("bg", "Смените започват в понеделник, 5,50 евро на час.", "job_tasks"),
        ("bg", "Смените започват в понеделник, 5,50 евро на час.", "job_offer"),
        ("en", "I'm at your door, what's the code?", "code_request"),
        ("en", "what's the code for the wifi? I got the password wrong", "code_request"),
        ("bg", "Пред вас съм, какъв е кодът за входа?", "code_request"),
    ],
)  # fmt: skip
def test_round_six_fixes_keep_ordinary_words_quiet(
    catalog: Catalog, language: str, text: str, signal: str
) -> None:
    """A recruiter who saw a profile is no relative's "new number", points that expire in years
    are no prize, a savings vault no "safe account", a refund to the card no recovery offer,
    5,50 an hour no "50 an hour", and a friend asking for the door or wifi code no code request."""
    found = by_the_shipped_rules(catalog, language, text)
    assert signal not in {f.id for f in found.flags}


def _scored(neutral: float | None, alone: bool = False, offset: float = 0.6) -> ScamEngine:
    training = {
        "language": "en",
        "source": "Examples written for this test, nothing else.",
        "scam": [f"call us on 0800 123 45{n}, your account" for n in range(8)]
        + [f"pay the fee now {n} transfer" for n in range(8)],
        "genuine": [f"see you at dinner {n}, love" for n in range(8)]
        + [f"call us on 0800 123 45{n}, see you at dinner" for n in range(8)],
    }
    callback = {
        "id": "callback",
        "name": "A number",
        "weight": 2,
        "patterns": [r"\bcall us on \d[\d ]+\d"],
        "advice": "Call the number you know.",
    }
    learned_flag = {
        "id": "words",
        "name": "Scam words",
        "weight": 2,
        "detector": "learned",
        "alone_at_most_suspicious": alone,
        "advice": "Check with the company.",
    }
    signals = [*(s.model_dump() for s in rules().signals), callback, learned_flag]  # fmt: skip
    learned = {"weight": 10, "offset": offset, "flag": 0.5, "neutral": neutral}
    return ScamEngine(rules(signals=signals, learned=learned, training=training))


def test_where_the_scorer_cannot_tell_a_red_flag_one_short_of_suspicious_stands() -> None:
    """Round 6 (scamq6): from `learned.neutral` on, the scorer's points are at least 0 and a red
    flag of the rules one point short of "suspicious" makes the message "suspicious"; below it,
    or without `neutral`, the scorer's negative points talk the flag down as before."""
    text = "call us on 0800 123 459, see you at dinner, your account"
    # An offset near 1: the scorer's points are negative for this text.
    without = _scored(None, offset=0.99).assess(text)
    assert without.learned is not None and 0.05 < without.learned < 0.9
    assert [f.id for f in without.flags] == ["callback"]
    assert without.score < 2 and without.verdict == "no_red_flags"
    within = _scored(without.learned - 0.01, offset=0.99).assess(text)
    assert within.score == 2 and within.verdict == "suspicious"
    above = _scored(without.learned + 0.01, offset=0.99).assess(text)
    assert above.score < 2 and above.verdict == "no_red_flags"
    genuine = _scored(0.0, offset=0.99).assess("see you at dinner 3, love")
    assert genuine.flags == () and genuine.verdict == "no_red_flags"


def test_the_scorer_s_own_flag_marked_alone_at_most_suspicious_is_never_likely() -> None:
    """Round 6 (scamq6): "likely scam" needs a red flag a rule names; the scorer's own flag, when
    its signal is marked `alone_at_most_suspicious`, stays "suspicious" however sure it is."""
    text = "pay the fee now 3 transfer"
    free = _scored(None).assess(text)
    assert [f.id for f in free.flags] == ["words"] and free.verdict == "likely_scam"
    capped = _scored(None, alone=True).assess(text)
    assert [f.id for f in capped.flags] == ["words"]
    assert capped.score == free.score and capped.verdict == "suspicious"


@pytest.mark.parametrize(
    ("language", "text", "signal"),
    [
        ("en", "Hey dad, new phone new number, the old one packed in completely", "new_number"),
        ("en", "Hiya, this is my number for now, my old phone is dead", "new_number"),
        ("bg", "Здрасти тате, смених телефона, старият номер вече не работи.", "new_number"),
        ("bg", "Това е новият ми номер, запиши си го.", "new_number"),
        ("en", "Long time no see! How have you been?", "stranger_contact"),
        ("bg", "Здрасти, отдавна не сме се чували! Как си?", "stranger_contact"),
        ("bg", "Здрасти, в сила ли е пилатесът утре в 10?", "stranger_contact"),
        ("en", "I'll send a cheque for £950, that's £650 more than the price", "buyer_payment"),
        ("en", "Please refund the extra to my mover who will collect it", "buyer_payment"),
        ("en", "To receive the money, please open your BankID and sign the transaction",
         "buyer_payment"),
        ("bg", "Моля, върнете разликата на превозвача, който ще дойде за него.", "buyer_payment"),
        ("bg", "За да получите парите, отворете мобилното си банкиране и потвърдете.",
         "buyer_payment"),
        ("en", "You'll get a text with 6 numbers, could you forward it to me please?",
         "code_request"),
        ("bg", "Ще ти дойде SMS с 6 цифри, можеш ли да ми го препратиш?", "code_request"),
        ("en", "I'm working in Spain so I can't show it; I'll post you the keys", "deposit_first"),
        ("en", "You need to buy the laptop from our approved vendor; it will be reimbursed",
         "job_tasks"),
        ("bg", "Трябва да закупите лаптоп от наш одобрен доставчик.", "job_tasks"),
        ("en", "To cancel it you must take a counter-loan today", "safe_account"),
        ("bg", "За да го спрете, трябва днес да изтеглите насрещен кредит.", "safe_account"),
        ("bg", "Превърни 200 лв. в 2000 лв. за седмица с форекс!", "promised_returns"),
        ("bg", "Чичо ми дава сигнали в нашата група, миналия месец направихме 300%.",
         "promised_returns"),
        ("en", "I'm adding you to our free stock-tips group", "investment_talk"),
        ("bg", "Аз съм асистентът на професор Иванов, добавям Ви в групата за акции.",
         "investment_talk"),
    ],
)  # fmt: skip
def test_signals_of_round_seven(catalog: Catalog, language: str, text: str, signal: str) -> None:
    found = by_the_shipped_rules(catalog, language, text)
    assert signal in {f.id for f in found.flags}


@pytest.mark.parametrize(
    ("language", "text", "mark"),
    [
        ("en", "We've blocked a payment that may be fraud. Please check your app.", "own_channel"),
        ("bg", "Блокирахме плащане. Моля, проверете в мобилното приложение.", "own_channel"),
        ("en", "Your refund will be paid to the account held in myAccount.", "refund_notice"),
        ("en", "Your compensation was transferred to the account you provided.", "refund_notice"),
        ("bg", "Надплащането е възстановено по банковата сметка, посочена в декларацията.",
         "refund_notice"),
        ("en", "You do not need to apply or give your bank details.", "asks_nothing"),
        ("bg", "Не е нужно да кандидатствате или да давате банкови данни.", "asks_nothing"),
        ("en", "It's free, no payment needed.", "never_asks"),
        ("bg", "Безплатно е, не е нужно плащане.", "never_asks"),
        ("en", "I'll call you to confirm the IBAN before you make the transfer.",
         "confirm_by_phone"),
        ("en", "Before your next payment, please call us on the number on your last invoice to "
         "confirm the new details.", "confirm_by_phone"),
        ("bg", "Ще ти звънна да потвърдя IBAN-а, преди да направиш превода.", "confirm_by_phone"),
        ("bg", "Преди следващото плащане, моля, обадете ни се, за да потвърдим новата сметка.",
         "confirm_by_phone"),

        ("en", "Mum, read me the code that just came. I'm calling you from my usual number.",
         "usual_number"),
        ("bg", "Мамо, аз съм, звъня ти и от моя номер. Прочети ми кода, който ти дойде.",
         "usual_number"),
    ],
)  # fmt: skip
def test_genuine_marks_of_round_seven(
    catalog: Catalog, language: str, text: str, mark: str
) -> None:
    found = by_the_shipped_rules(catalog, language, text)
    assert mark in {m.id for m in found.genuine}


@pytest.mark.parametrize(
    ("language", "text", "signal"),
    [
        ("en", "Winter appeal: a gift of £10 could keep a family warm this week.",
         "account_threat"),
        ("en", "Your car insurance expires on 12 January; here is your renewal quote.",
         "account_threat"),
        ("bg", "Застраховката на колата Ви изтича на 12 януари.", "account_threat"),
        ("bg", "Сменихме банката си; обадете ни се, за да потвърдим новата сметка.",
         "safe_account"),
        ("bg", "Здравейте, взех номера Ви от съседката, ремонтирате ли бойлери?",
         "stranger_contact"),
        ("bg", "Остава ли срещата за утре?", "stranger_contact"),
        ("bg", "Можете да купите уреда и от нашия магазин.", "job_tasks"),
        ("en", "Save this one for later, it's a great recipe", "new_number"),
    ],
)  # fmt: skip
def test_round_seven_fixes_keep_ordinary_words_quiet(
    catalog: Catalog, language: str, text: str, signal: str
) -> None:
    """A charity appeal is no appeal against a ban, an insurance renewal no expiring account,
    a supplier's new account no "safe account", a tradesperson given a number by a neighbour
    no stranger, a shop no job that sells equipment, a saved recipe no new number."""
    found = by_the_shipped_rules(catalog, language, text)
    assert signal not in {f.id for f in found.flags}


def test_a_relative_calling_from_the_usual_number_is_at_most_suspicious(catalog: Catalog) -> None:
    """Round 7 (scamq7): the code request still flags, the advice to call back still shows, but
    the verdict is capped by the mark."""
    for language, text in (
        ("en", "Mum, read me the code that just came. I'm calling you from my usual number."),
        ("bg", "Мамо, аз съм, звъня ти и от моя номер. Прочети ми кода, който ти дойде."),
    ):
        found = by_the_shipped_rules(catalog, language, text)
        assert "code_request" in {f.id for f in found.flags}
        assert found.verdict == "suspicious"


@pytest.mark.parametrize(
    ("language", "text", "signal"),
    [
        ("en", "Your refund is approved, I'll just need the long number on your card.",
         "code_request"),
        ("en", "Please read me the 16 digits on the front of your card.", "code_request"),
        ("en", "You'll get a verification code, just forward it to them to finish setup.",
         "code_request"),
        ("en", "Just forward me what comes through in the next few minutes.", "code_request"),
        ("en", "Vote for my niece! They text you a 6-digit number, send it to me.",
         "code_request"),
        ("bg", "За да ви възстановим сумата, ще ми трябва дългият номер на картата ви.",
         "code_request"),
        ("bg", "Ще ти дойде код с SMS, препрати ми го.", "code_request"),
        ("bg", "Препрати ми каквото ти дойде в следващите минути.", "code_request"),
        ("en", "I've sent you a payment request, accept it in your app to receive the £45.",
         "buyer_payment"),
        ("bg", "Изпратих ви заявка за плащане, приемете я, за да получите парите.",
         "buyer_payment"),
        ("en", "£90 each, PayPal friends and family only please.", "private_transfer"),
        ("en", "I need you to handle something discreetly for me today.", "secrecy"),
        ("bg", "Трябва да свършите нещо дискретно за мен днес.", "secrecy"),
    ],
)  # fmt: skip
def test_round_eight_signals(catalog: Catalog, language: str, text: str, signal: str) -> None:
    """Round 8 (scamq8): card numbers asked in other words, codes forwarded on someone's behalf
    or for a vote, a payment request 'to receive', friends-and-family payments, discreet tasks."""
    found = by_the_shipped_rules(catalog, language, text)
    assert signal in {f.id for f in found.flags}


@pytest.mark.parametrize(
    ("language", "text", "signal"),
    [
        ("en", "If you did not make this, call the number on the back of your card.",
         "code_request"),
        ("en", "We'll text you a code; enter it in the app to finish setup.", "code_request"),
        ("en", "Jamie requested £12 from you. Open the app to pay or decline.", "buyer_payment"),
        ("en", "Friends and family discount: 20% off this weekend.", "private_transfer"),
        ("en", "Orders are sent in discreet packaging.", "secrecy"),
        ("bg", "Ако не сте били вие, обадете се на номера от гърба на картата.", "code_request"),
    ],
)  # fmt: skip
def test_round_eight_signals_stay_quiet_on_ordinary_notices(
    catalog: Catalog, language: str, text: str, signal: str
) -> None:
    found = by_the_shipped_rules(catalog, language, text)
    assert signal not in {f.id for f in found.flags}


@pytest.mark.parametrize(
    ("language", "text", "mark"),
    [
        ("en", "Accept it in your app to receive the money.", "own_channel"),
        ("en", "I'll just need the long number on your card.", "number_on_card"),
        ("bg", "Приемете я в приложението, за да получите парите.", "own_channel"),
        ("bg", "Ще ми трябва дългият номер на картата ви.", "number_on_card"),
    ],
)  # fmt: skip
def test_round_eight_a_request_to_receive_is_no_genuine_mark(
    catalog: Catalog, language: str, text: str, mark: str
) -> None:
    """'In your app to receive' is a fake buyer's request, and 'the long number on your card' a
    card number asked for: neither is advice to use one's own app or call the card's number."""
    found = by_the_shipped_rules(catalog, language, text)
    assert mark not in {m.id for m in found.genuine}
