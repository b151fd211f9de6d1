from __future__ import annotations

import pytest

from bot.text.markup import check_markup, escape, split_message, to_plain


def test_escape_user_input() -> None:
    assert escape("<b>&") == "&lt;b&gt;&amp;"
    assert check_markup(escape("a < b & <script>")) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a < b", "&lt;"),
        ("fish & chips", "&amp;"),
        ("<b>bold", "never closed"),
        ("<b><i>x</b></i>", "does not close"),
        ("<script>x</script>", "not supported"),
        ('<a href="javascript:x">x</a>', "href"),
    ],
)
def test_check_markup_finds_what_telegram_rejects(text: str, problem: str) -> None:
    found = check_markup(text)
    assert found is not None and problem in found


def test_split_keeps_short_text_whole() -> None:
    assert split_message("<b>hi</b>") == ["<b>hi</b>"]


def test_split_long_text_into_valid_chunks() -> None:
    paragraph = "<b>Title</b>\n" + " ".join(f"<i>word{i}</i> &amp; more" for i in range(800))
    text = "\n\n".join([paragraph] * 3)
    chunks = split_message(text)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= 4096
        assert check_markup(chunk) is None, chunk[:80]
    assert to_plain("".join(chunks)).replace(" ", "").replace("\n", "") == to_plain(text).replace(
        " ", ""
    ).replace("\n", "")


def test_split_a_tag_spanning_the_cut_is_closed_and_reopened() -> None:
    text = "<b>" + "x " * 3000 + "</b>"
    chunks = split_message(text)
    assert len(chunks) == 2
    assert chunks[0].endswith("</b>") and chunks[1].startswith("<b>")
    assert all(check_markup(c) is None for c in chunks)


def test_split_unbroken_word() -> None:
    chunks = split_message("y" * 10000)
    assert [len(c) for c in chunks] == [4096, 4096, 1808]


def test_to_plain_keeps_link_targets() -> None:
    assert (
        to_plain('see <a href="https://x.eu">ENISA</a> &amp; co') == "see ENISA (https://x.eu) & co"
    )
