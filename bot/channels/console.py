"""A terminal chat with the same core: for local use without a Telegram token, interactive or
with piped input (it exits at the end of input)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol, TextIO

from bot.content.catalog import Catalog
from bot.core.messages import Button, Incoming, Outcome, Reply
from bot.text.markup import to_plain

CONSOLE_USER_ID = 0


class Handles(Protocol):
    """What the console needs of the dialogue."""

    async def handle(self, incoming: Incoming) -> Outcome: ...


class Console:
    def __init__(
        self,
        dialogue: Handles,
        catalog: Catalog,
        stdin: TextIO,
        stdout: TextIO,
        language: str,
        documents: Path | None = None,
        max_image_bytes: int = 20 * 1024 * 1024,
    ) -> None:
        self.documents = documents
        self.max_image_bytes = max_image_bytes
        self.dialogue = dialogue
        self.catalog = catalog
        self.stdin = stdin
        self.stdout = stdout
        self.language = language
        self.buttons: list[Button] = []

    async def run(self) -> None:
        interactive = self.stdin.isatty()
        if interactive:
            self._print(self.catalog.text(self.language, "console.intro"))
        while True:
            if interactive:
                self.stdout.write("> ")
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            if not interactive:
                self._print(f"> {line}")
            self._render_turn(await self.handle_line(line))

    async def handle_line(self, line: str) -> tuple[Reply, ...]:
        command, _, rest = line.partition(" ")
        if command == "/image" and rest.strip():
            # A screenshot from a file, as Telegram would hand it over: `/image PATH [caption]`.
            path, _, caption = rest.strip().partition(" ")
            image = await asyncio.to_thread(self._read_image, path)
            if image is None:
                return (Reply(self.catalog.text(self.language, "ocr.no_file", path=path)),)
            incoming = Incoming(
                CONSOLE_USER_ID,
                text=caption.strip() or None,
                image=image,
                platform_language=self.language,
            )
        else:
            incoming = self._incoming(line)
        outcome = await self.dialogue.handle(incoming)
        self.language = outcome.language
        return outcome.replies

    def _incoming(self, line: str) -> Incoming:
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            button = self.buttons[int(line) - 1]
            if button.data:
                return Incoming(
                    CONSOLE_USER_ID, callback=button.data, platform_language=self.language
                )
        if line.startswith("/") and len(line) > 1:
            name, *args = line[1:].split()
            return Incoming(
                CONSOLE_USER_ID, command=name, args=tuple(args), platform_language=self.language
            )
        return Incoming(CONSOLE_USER_ID, text=line, platform_language=self.language)

    def _read_image(self, name: str) -> bytes | None:
        """The file's bytes, or None when it cannot be read or is over the size limit."""
        path = Path(name).expanduser()
        try:
            if path.stat().st_size > self.max_image_bytes:
                return None
            return path.read_bytes()
        except OSError:
            return None

    def _render_turn(self, replies: tuple[Reply, ...]) -> None:
        # A turn's buttons are numbered across all its messages, so that a number typed next
        # means one button only; a turn without buttons leaves the last ones usable.
        if any(reply.buttons for reply in replies):
            self.buttons = []
        for reply in replies:
            self._render(reply)

    def _render(self, reply: Reply) -> None:
        self._print(to_plain(reply.text))
        for button in (button for row in reply.buttons for button in row):
            self.buttons.append(button)
            target = f" ({button.url or button.web_app})" if button.url or button.web_app else ""
            self._print(f"  [{len(self.buttons)}] {button.label}{target}")
        if reply.document is not None:
            # A terminal cannot show a PDF: the file is saved and its path printed.
            where = reply.document.filename
            if self.documents is not None:
                self.documents.mkdir(parents=True, exist_ok=True)
                path = self.documents / Path(reply.document.filename).name
                path.write_bytes(reply.document.content)
                where = str(path)
            self._print(f"  [{where}]")
        self._print("")

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()
