"""Outbox keys and refs are stored: built and read back in one module, spelled as documented."""

from __future__ import annotations

import datetime as dt

from bot.core import outbox_refs as refs


def test_keys_are_spelled_as_the_outbox_stores_them() -> None:
    # These spellings are in databases already (README: tip:<user>:<local date>,
    # ann:<announcement>:<user>); a change needs a migration, so a test notices it.
    assert refs.tip_key(7, dt.date(2026, 10, 7)) == "tip:7:2026-10-07"
    assert refs.reminder_key(3, 2, 7, 60) == "rem:3:2:7:60"
    assert refs.notice_key(3, 2, "cancelled", 7) == "chg:3:2:cancelled:7"
    assert refs.announcement_key(12, 7) == "ann:12:7"
    assert refs.announcement_ref(12) == "ann:12"
    assert refs.event_user_ref(3, 7) == "ev:3:7"
    assert refs.alert_key(4, 7) == "alert:4:7"
    assert refs.alert_ref(4) == "alert:4"


def test_what_is_built_is_read_back() -> None:
    assert refs.parse(refs.tip_key(7, dt.date(2026, 10, 7))) == refs.ParsedName(
        "tip", ("7", "2026-10-07")
    )
    assert refs.parse(refs.reminder_key(3, 2, 7, 60)) == refs.ParsedName(
        "rem", ("3", "2", "7", "60")
    )
    assert refs.parse(refs.event_user_ref(3, 7)) == refs.ParsedName("ev", ("3", "7"))
    assert refs.announcement_of(refs.announcement_ref(12)) == 12
    assert refs.announcement_of(refs.announcement_key(12, 7)) == 12
    assert refs.alert_of(refs.alert_ref(4)) == 4
    assert refs.alert_of(refs.alert_key(4, 7)) == 4


def test_anything_else_is_not_a_name_of_the_outbox() -> None:
    for name in ("", "ann", "ann:", "ann::7", "tip:7", "rem:1:2:3", "xyz:1", "ev:3"):
        assert refs.parse(name) is None, name
    assert refs.announcement_of(refs.event_user_ref(3, 7)) is None
    assert refs.announcement_of("ann:x") is None
    assert refs.alert_of(refs.announcement_ref(4)) is None
    assert refs.alert_of("alert:x") is None
    assert refs.parse("alert:1:2:3") is None
