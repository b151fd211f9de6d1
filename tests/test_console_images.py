"""`/image PATH [caption]` in the console: the file's bytes reach the dialogue as a screenshot,
as Telegram's photos do; a missing or too large file gets a reply, not an error."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from bot.channels.console import Console
from bot.content.catalog import Catalog
from bot.core.messages import Incoming, Outcome, Reply
from tests.auxil.screenshots import Bubble, render_chat


@dataclass
class Recorder:
    received: list[Incoming] = field(default_factory=list)

    async def handle(self, incoming: Incoming) -> Outcome:
        self.received.append(incoming)
        return Outcome((Reply("ok"),), "en")


async def test_an_image_file_reaches_the_dialogue_with_its_caption(
    catalog: Catalog, tmp_path: Path
) -> None:
    shot = render_chat("DHL", [Bubble("Pay 1.99 EUR at dhl-bg.com")])
    path = tmp_path / "shot.png"
    path.write_bytes(shot.image)
    recorder, out = Recorder(), io.StringIO()
    console = Console(recorder, catalog, io.StringIO(f"/image {path} is this real?\n"), out, "en")
    await console.run()
    [incoming] = recorder.received
    assert incoming.image == shot.image and incoming.text == "is this real?"
    assert "ok" in out.getvalue()


async def test_a_missing_or_too_large_file_is_answered(catalog: Catalog, tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(b"x" * 2000)
    recorder, out = Recorder(), io.StringIO()
    typed = f"/image {tmp_path / 'nothing.png'}\n/image {big}\n"
    await Console(recorder, catalog, io.StringIO(typed), out, "en", max_image_bytes=1000).run()
    assert recorder.received == []
    expected = catalog.text("en", "ocr.no_file", path=str(big))
    assert expected in out.getvalue()
