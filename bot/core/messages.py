"""What flows into and out of the core, as plain immutable data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: a callback (validated on the way back), a link, or a Telegram Mini
    App (`web_app`: an https address Telegram opens inside the chat, signed with initData)."""

    label: str
    data: str | None = None
    url: str | None = None
    web_app: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    content: bytes
    mime_type: str
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show. `text` is Telegram HTML (see docs/content.md)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """A user's action in any channel.

    Exactly one of `text`, `command`, `callback` or `image` is set (an image may come with
    its caption as `text`). `platform_language` is what the channel knows of the user's
    language (Telegram's language_code), if anything.
    """

    user_id: int
    text: str | None = None
    command: str | None = None
    args: tuple[str, ...] = ()
    callback: str | None = None
    platform_language: str | None = None
    # Addresses hidden behind the text (Telegram's text links), with the text they were shown as.
    links: tuple[tuple[str, str | None], ...] = ()
    # The text with the sender's formatting as Telegram HTML, when they used any (organisers'
    # announcements keep it).
    html: str | None = None
    # A photo or image document the user sent (its caption, if any, is `text`), downloaded and
    # already checked against the size limit by the channel.
    image: bytes | None = None
    # The message was forwarded from someone else (Telegram's forward_origin): a received
    # message rather than the user's own question.
    forwarded: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """The core's answer to one Incoming, plus facts the adapters may record (metrics, logs)."""

    replies: tuple[Reply, ...]
    language: str
    topic: str | None = None
    events: tuple[str, ...] = field(default=())
    # Writes the replies do not wait for (a row whose id is already on a button): run once the
    # replies are handed over and before the message counts as handled (`finish`), so a crash
    # in between redoes them with the message. Empty once finished (`Dialogue.handle`).
    after: tuple[Callable[[], Awaitable[None]], ...] = field(default=(), compare=False)


async def finish(outcome: Outcome) -> None:
    """Run the outcome's writes that were left for after its replies."""
    for write in outcome.after:
        await write()


@dataclass(frozen=True, slots=True)
class Turn:
    """What a handler needs to know about the current message: who, what, and in which
    language to answer."""

    incoming: Incoming
    language: str
