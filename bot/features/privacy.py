"""The user's control over their data: what is kept and why (/privacy), all of it as a file
(/mydata), and erasing it after a confirmation (/forget)."""

from __future__ import annotations

import json

from bot.content.catalog import Catalog
from bot.core import callbacks
from bot.core.messages import Button, Document, Outcome, Reply, Turn
from bot.core.ports import Clock
from bot.core.registry import Registration, ignoring_reading
from bot.services.privacy import PrivacyService


class PrivacyFeature:
    def __init__(
        self,
        catalog: Catalog,
        service: PrivacyService,
        clock: Clock,
        retention_days: int,
        checked_days: int = 90,
    ) -> None:
        self.retention_days = retention_days
        self.checked_days = checked_days  # CHECKED_RETENTION_DAYS: checked messages kept
        self.catalog = catalog
        self.service = service
        self.clock = clock

    async def explain(self, turn: Turn) -> Outcome:
        lang = turn.language
        buttons = (
            (Button(self.catalog.text(lang, "privacy.mydata_button"), data="pd"),),
            (Button(self.catalog.text(lang, "privacy.forget_button"), data="pf"),),
        )
        return self._out(
            turn,
            Reply(
                self.catalog.html(
                    lang,
                    "privacy.text",
                    retention=self.catalog.plural(lang, "privacy.retention", self.retention_days),
                    checked=self.catalog.plural(lang, "privacy.checked", self.checked_days),
                ),
                buttons=buttons,
            ),
        )

    async def my_data(self, turn: Turn) -> Outcome:
        lang = turn.language
        stored = await self.service.export(turn.incoming.user_id, self.clock.now())
        content = json.dumps(stored, ensure_ascii=False, indent=2, default=str).encode()
        document = Document(
            filename="my-data.json",
            content=content,
            mime_type="application/json",
            caption=self.catalog.text(lang, "privacy.mydata_caption"),
        )
        reply = Reply(self.catalog.text(lang, "privacy.mydata_ready"), document=document)
        return Outcome((reply,), lang, topic="privacy", events=("mydata",))

    async def forget(self, turn: Turn) -> Outcome:
        lang = turn.language
        buttons = (
            (
                Button(self.catalog.text(lang, "privacy.forget_yes"), data="pfy"),
                Button(self.catalog.text(lang, "privacy.forget_no"), data="pfn"),
            ),
        )
        return self._out(
            turn, Reply(self.catalog.text(lang, "privacy.forget_confirm"), buttons=buttons)
        )

    def registration(self) -> Registration:
        return Registration(
            "privacy",
            commands={"privacy": self.explain, "mydata": self.my_data, "forget": self.forget},
            intents={"privacy": ignoring_reading(self.explain)},
            actions=frozenset({"pd", "pf", "pfy", "pfn"}),
            callback=self.callback,
        )

    async def callback(self, turn: Turn, data: callbacks.Callback) -> Outcome | None:
        match data.action, data.args:
            case "pd", ():
                return await self.my_data(turn)
            case "pf", ():
                return await self.forget(turn)
            case "pfy", ():
                await self.service.erase(turn.incoming.user_id)
                reply = Reply(self.catalog.text(turn.language, "privacy.forgotten"))
                return Outcome((reply,), turn.language, topic="privacy", events=("forgotten",))
            case "pfn", ():
                return self._out(turn, Reply(self.catalog.text(turn.language, "privacy.kept")))
        return None

    def _out(self, turn: Turn, reply: Reply) -> Outcome:
        return Outcome((reply,), turn.language, topic="privacy")
