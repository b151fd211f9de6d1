"""Bulgarian typed in Latin letters, read back into Cyrillic before the NLU: the reader on its own
with a small hand-made lexicon, then with the real table and word lists, then the training data
prepared the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.catalog import Catalog
from bot.content.typing import TypingError, load_readers
from bot.core.latin_typing import ReadingNLU
from bot.nlu.prepare import prepare_training_data
from bot.text.latin import LatinReader, Lexicon, TypingTable
from tests.fakes.core import FakeNLU

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

TABLE = TypingTable(
    "bg",
    {
        "sh": ("ш", "сх"),
        "6": ("ш",),
        "q": ("я",),
        "ya": ("я",),
        "a": ("а", "ъ"),
        "i": ("и", "й"),
        "s": ("с",),
        "m": ("м",),
        "n": ("н",),
        "k": ("к",),
        "o": ("о",),
        "e": ("е",),
        "h": ("х",),
        "l": ("л",),
        "d": ("д",),
        "f": ("ф",),
        "p": ("п",),
        "r": ("р",),
        "t": ("т",),
        "v": ("в",),
    },
)


def reader(known: set[str], frequent: dict[str, int] | None = None) -> LatinReader:
    return LatinReader(TABLE, Lexicon(known.__contains__, frequent or {}, {"hello"}))


def test_a_spelling_that_is_a_word_wins_over_the_usual_reading() -> None:
    # "sam": the usual reading is "сам", but only "съм" is a word here.
    assert reader({"съм"}).read("sam") == "съм"
    assert reader({"сам"}).read("sam") == "сам"


def test_words_of_the_bots_texts_outweigh_mere_words() -> None:
    # Both are words; the one people write about our topics wins.
    assert reader({"някои", "някой"}, {"някой": 40}).word("nqkoi") == "някой"
    assert reader({"някои", "някой"}, {"някои": 40}).word("nqkoi") == "някои"


def test_every_convention_gives_the_same_word() -> None:
    read = reader({"шеф"})
    assert read.read("shef") == read.read("6ef") == "шеф"


def test_foreign_words_stay_as_typed_and_unknown_words_take_the_usual_reading() -> None:
    read = reader(set())
    assert read.read("hello") == "hello"
    assert read.read("dasha") == "даша"


def test_addresses_numbers_and_cyrillic_are_kept() -> None:
    read = reader({"шеф"})
    text = "shef dsk-bank.com/login https://x.io/a ivan@abv.bg 112 вече 6ef"
    assert read.read(text) == "шеф dsk-bank.com/login https://x.io/a ivan@abv.bg 112 вече шеф"


def test_a_character_without_a_reading_keeps_the_word() -> None:
    assert reader(set()).read("shz") == "shz"


async def test_only_a_message_in_the_language_is_read(catalog: Catalog) -> None:
    nlu = FakeNLU()
    reading = ReadingNLU(nlu, {"bg": reader({"шеф"})}, catalog.languages)
    await reading.parse("kakvo da pravq shef")
    await reading.parse("what is phishing")
    assert nlu.seen[0].endswith("шеф")
    assert nlu.seen[1] == "what is phishing"


@pytest.fixture(scope="module")
def real_reader(catalog: Catalog) -> LatinReader:
    return load_readers(DATA, catalog.languages)["bg"]


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("6efa mi pi6e v messenger za spe6en prevod", "шефа ми пише в messenger за спешен превод"),
        ("nqkoi mi vleze v gmaila", "някой ми влезе в гмаила"),
        ("sam li v opasnost", "съм ли в опасност"),
        ("polu4ih sms 4e imam neplatena pratka", "получих смс че имам неплатена пратка"),
        ("kakvo da pravya ako mi haknaha profila", "какво да правя ако ми хакнаха профила"),
        ("obadiha mi se ot bankata", "обадиха ми се от банката"),
        ("kak da si napravq silna parola", "как да си направя силна парола"),
        # ю after л and н typed as u; ia as иа; brands Bulgarian has no word for kept.
        ("zaklu4ih menuto", "заключих менюто"),
        ("smenih klaviaturata", "смених клавиатурата"),
        ("pisaha mi v linkedin i youtube", "писаха ми в linkedin и youtube"),
        # ck as к; colloquial and loan words the dictionary lacks keep their ъ and й.
        ("hacknaha mi instagrama", "хакнаха ми инстаграма"),
        ("zvunnaha mi ot nomer", "звъннаха ми от номер"),
        ("cuknah na linka ot aifona", "цъкнах на линка от айфона"),
        ("nqmam bekup", "нямам бекъп"),
        ("pazq bekupite v oblaka", "пазя бекъпите в облака"),
        ("hakeri instaliraha virus", "хакери инсталираха вирус"),
        # Whole words spelled one way: no reading of c gives мерси ("мерки" is a word).
        ("merci mnogo", "мерси много"),
        ("kakvo e quishing i phishing", "какво е куишинг и фишинг"),
        ("ot yettel li e tozi sms", "от йетел ли е този смс"),
        ("paroli v mysql s php", "пароли в mysql с php"),
        # y as ъ before o, and j as ж before a ъ typed u or a: the longest sequence's readings
        # hold its parts' ("syobshtih" was "сйобщих", "menidjura" "менидюра", "julta" "юлта").
        ("syobshtih na bankata", "съобщих на банката"),
        ("menidjura na parolite", "мениджъра на паролите"),
        ("julta kola", "жълта кола"),
    ],
)
def test_the_real_table_reads_what_people_type(
    real_reader: LatinReader, typed: str, read: str
) -> None:
    assert real_reader.read(typed) == read


def test_a_table_for_a_language_the_catalog_lacks_fails_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "typing").mkdir()
    (tmp_path / "typing" / "xx.yml").write_text(
        "language: xx\nlexicon: bg\nsequences:\n  a: [а]\n", encoding="utf-8"
    )
    with pytest.raises(TypingError, match=r"xx\.yml"):
        load_readers(tmp_path, {"bg", "en"})


def test_a_malformed_table_fails_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "typing").mkdir()
    (tmp_path / "typing" / "bg.yml").write_text(
        "language: bg\nlexicon: bg\nsequences:\n  a: []\n", encoding="utf-8"
    )
    with pytest.raises(TypingError, match=r"bg\.yml"):
        load_readers(tmp_path, {"bg"})


def test_training_data_gets_the_readings_and_keeps_annotations(tmp_path: Path) -> None:
    source = tmp_path / "data"
    source.mkdir()
    latin = (
        'version: "3.1"\nnlu:\n- intent: subscribe_tips\n  examples: |\n'
        "    - iskam saveti [v 8](time) vseki den\n    - sms\n"
    )
    (source / "service_bg_latn.yml").write_text(latin, encoding="utf-8")
    (source / "service_en.yml").write_text("version: x\n", encoding="utf-8")
    target = tmp_path / "build"
    (target / "stale.yml").parent.mkdir(parents=True)
    (target / "stale.yml").write_text("old", encoding="utf-8")
    prepare_training_data(source, target, DATA)
    prepared = (target / "service_bg_latn.yml").read_text(encoding="utf-8").splitlines()
    assert "    - iskam saveti [v 8](time) vseki den" in prepared
    assert "    - искам съвети [v 8](time) всеки ден" in prepared
    # Only the original of an example that reads the same ("sms" is kept as typed).
    assert prepared.count("    - sms") == 1
    assert (target / "service_en.yml").read_text(encoding="utf-8") == "version: x\n"
    assert not (target / "stale.yml").exists()


def test_a_spelled_word_wins_over_the_table_and_as_itself_counts_as_foreign() -> None:
    table = TypingTable("bg", TABLE.sequences, spelled={"merci": "мерси", "shef": "shef"})
    read = LatinReader(table, Lexicon({"шеф", "мерси"}.__contains__, {}, set()))
    assert read.read("merci shef") == "мерси shef"
    # "shef" is a word spelled as itself: only "merci" reads as the language.
    assert read.share("merci shef") == 0.5


def test_english_check_stays_english(real_reader: LatinReader) -> None:
    # With ck read as к, "check" would spell the Bulgarian word "чек"; it is English.
    assert real_reader.read("check tozi link") == "check този линк"
    assert real_reader.share("check") == 0.0


def test_the_work_per_word_is_bounded() -> None:
    read = reader(set())
    # Many ambiguous letters: the walk stops at its caps, cheapest spellings first.
    spellings = read.spellings("aiaiaiaiaiaiaiaiaiai")
    assert 0 < len(spellings) <= 96
    assert spellings[0] == (0, "аиаиаиаиаиаиаиаиаиаи")
    assert read.word("a" * 40) == "a" * 40


async def test_a_message_without_marker_words_is_read_when_its_words_are_the_languages(
    catalog: Catalog, real_reader: LatinReader
) -> None:
    nlu = FakeNLU()
    reading = ReadingNLU(nlu, {"bg": real_reader}, catalog.languages)
    await reading.parse("spri savetite")
    await reading.parse("password reset expired")
    # Words the dictionary lacks but the word list holds count as Bulgarian too.
    await reading.parse("otpishete me ot tova")
    assert nlu.seen == ["спри съветите", "password reset expired", "отпишете ме от това"]


def test_abbreviations_and_kept_words_stay_as_typed(real_reader: LatinReader) -> None:
    assert real_reader.read("kakvo e ECSM") == "какво е ECSM"
    assert real_reader.read("moje li qr kod da e opasen") == "може ли qr код да е опасен"
