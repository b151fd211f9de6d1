"""Checked messages kept with consent, on SQLite and PostgreSQL: stored as given (scrubbed by the
use case), shown by /mydata's export and erased by /forget; the use case (ScamCheckService.keep)
keeps one in a unit of work of its own."""

from __future__ import annotations

import datetime as dt
import functools

from bot.content.catalog import Catalog
from bot.content.domains import split_domain
from bot.core.ports import CheckedMessage
from bot.services.privacy import PrivacyService
from bot.services.scamcheck import ScamCheckService
from bot.storage.access import database_for
from bot.storage.checked import SqlCheckedMessages
from bot.storage.db import make_engine, make_sessions
from bot.storage.personal import SqlPersonalData
from bot.storage.unit_of_work import SqlUnitOfWork
from bot.storage.users import SqlUsers
from tests.auxil.schema import migrated

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
ME, SOMEONE = 77, 78


async def test_kept_exported_and_erased(database_url: str) -> None:
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        users = SqlUsers(sessions)
        for user in (ME, SOMEONE):
            await users.touch(user, "bg", T0)
        kept = SqlCheckedMessages(sessions)
        message = CheckedMessage("Пратката ви е задържана, платете <number>", "bg", "likely_scam",
                                 7, ("parcel_fee", "urgency"))  # fmt: skip
        await kept.keep(ME, message, T0)
        await kept.keep(SOMEONE, message, T0)
        personal = SqlPersonalData(sessions)
        rows = (await personal.export(ME))["checked_messages"]
        assert isinstance(rows, list) and len(rows) == 1
        (row,) = rows
        assert row["text"] == message.text and row["flags"] == ["parcel_fee", "urgency"]
        assert (row["verdict"], row["score"], row["user_id"]) == ("likely_scam", 7, ME)
        await personal.erase(ME)
        assert (await personal.export(ME))["checked_messages"] == []
        assert len((await personal.export(SOMEONE))["checked_messages"]) == 1  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def test_kept_messages_go_after_the_retention(database_url: str) -> None:
    """The tick's purge drops what was kept longer than CHECKED_RETENTION_DAYS, nothing newer."""
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        await SqlUsers(sessions).touch(ME, "en", T0)
        kept = SqlCheckedMessages(sessions, dt.timedelta(days=30))
        message = CheckedMessage("Your parcel is on hold, pay <number>", "en", "likely_scam", 6,
                                 ("parcel_fee",))  # fmt: skip
        await kept.keep(ME, message, T0)
        await kept.keep(ME, message, T0 + dt.timedelta(days=20))
        personal = SqlPersonalData(sessions)
        assert await kept.purge(T0 + dt.timedelta(days=30)) == 0
        assert await kept.purge(T0 + dt.timedelta(days=31)) == 1
        rows = (await personal.export(ME))["checked_messages"]
        assert isinstance(rows, list) and len(rows) == 1
        assert await kept.purge(T0 + dt.timedelta(days=51)) == 1
        assert (await personal.export(ME))["checked_messages"] == []
    finally:
        await engine.dispose()


async def test_the_use_case_keeps_a_checked_message_in_its_unit_of_work(
    database_url: str, catalog: Catalog
) -> None:
    """What /check keeps after the tap: scrubbed, in one transaction; /mydata (PrivacyService's
    export) shows it and /forget erases it, through the same units of work."""
    migrated(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        await SqlUsers(sessions).touch(ME, "bg", T0)
        units = functools.partial(SqlUnitOfWork, database_for(sessions))
        service = ScamCheckService(catalog, split_domain, units=units)
        assert service.keeps
        received = (
            "Пратката ви е задържана. Платете 1,99 лв. на https://econt-bg.top с карта "
            "4111 1111 1111 1111, пишете на pomosht@econt-bg.top или се обадете на "
            "+359 88 123 4567, IBAN BG80BNBG96611020345678, код 482913"
        )
        verdict = await service.check(received, "bg")
        await service.keep(ME, service.to_keep(verdict), T0)
        privacy = PrivacyService(units)
        (row,) = (await privacy.export(ME, T0))["checked_messages"]
        assert row["user_id"] == ME and row["verdict"] == verdict.verdict
        for private in ("1111", "pomosht@", "4567", "BG80BNBG96611020345678", "482913"):
            assert private not in row["text"]
        assert row["text"].startswith("Пратката ви е задържана")
        assert row["flags"] == [flag.id for flag in verdict.flags] and row["flags"]
        assert await privacy.erase(ME) >= 1
        assert (await privacy.export(ME, T0))["checked_messages"] == []
    finally:
        await engine.dispose()
