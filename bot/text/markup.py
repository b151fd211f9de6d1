"""Telegram HTML: escaping, checking, splitting to the message limit, and plain-text rendering."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

MESSAGE_LIMIT = 4096
ALLOWED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "code",
        "pre",
        "a",
        "tg-spoiler",
        "blockquote",
    }
)

_TAG = re.compile(r"<(/?)([a-zA-Z-]+)([^>]*)>")


def escape(text: str) -> str:
    """Escape user or organiser input for Telegram HTML."""
    return html.escape(text, quote=False)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problem = self.problem or f"tag <{tag}> is not supported by Telegram"
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not href.startswith(("https://", "http://", "tg://")):
                self.problem = self.problem or 'a link needs href="https://..."'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problem = self.problem or f"</{tag}> does not close the open tag"
            return
        self.stack.pop()


def check_markup(text: str) -> str | None:
    """Return why `text` is not valid Telegram HTML, or None when it is."""
    # A bare "<" or "&" that is not an entity is what Telegram rejects most often.
    if re.search(r"<(?![a-zA-Z/])", text):
        return "a '<' must be written as &lt;"
    if re.search(r"&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)", text):
        return "a '&' must be written as &amp;"
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.problem:
        return checker.problem
    if checker.stack:
        return f"<{checker.stack[-1]}> is never closed"
    return None


def to_plain(text: str) -> str:
    """Render Telegram HTML as plain text for the console, keeping link targets."""
    text = re.sub(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', r"\2 (\1)", text, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split HTML into chunks of at most `limit` characters, at paragraph, line or word
    boundaries where possible, closing open tags at each cut and reopening them after."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, full opening tag)
    current = ""
    for token in _tokens(text):
        reopen = "".join(tag for _, tag in open_tags)
        closers = "".join(f"</{name}>" for name, _ in reversed(open_tags))
        if len(current) + len(token) + len(closers) > limit and current.strip():
            chunks.append(current + closers)
            current = reopen
            token = token.lstrip("\n") if not current else token
        while len(current) + len(token) + len(closers) > limit:
            # A single token longer than a message: cut it hard (only long unbroken words).
            room = max(1, limit - len(current) - len(closers))
            chunks.append(current + token[:room] + closers)
            current, token = reopen, token[room:]
        current += token
        match = _TAG.fullmatch(token)
        if match:
            closing, name = match.group(1), match.group(2).lower()
            if closing and open_tags and open_tags[-1][0] == name:
                open_tags.pop()
            elif not closing:
                open_tags.append((name, token))
    if current.strip():
        chunks.append(current)
    return chunks


def _tokens(text: str) -> list[str]:
    """Tags, whitespace-led words and entities, so that cuts never fall inside one."""
    return re.findall(r"<[^>]+>|\s*[^\s<]+|\s+", text)
