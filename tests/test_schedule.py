"""Calendar arithmetic, with the end of summer time in the middle of the campaign."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.core.schedule import (
    Window,
    end_of_local_day,
    local_instant,
    next_send,
    parse_time_of_day,
    still_today,
    tip_day,
)

SOFIA = ZoneInfo("Europe/Sofia")
LISBON = ZoneInfo("Europe/Lisbon")
UTC = dt.UTC


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_next_send_is_local_time_in_each_zone() -> None:
    now = utc(2026, 10, 5, 4, 0)
    assert next_send(now, 8 * 60, SOFIA) == utc(2026, 10, 5, 5, 0)  # UTC+3 in summer
    assert next_send(now, 8 * 60, LISBON) == utc(2026, 10, 5, 7, 0)  # UTC+1 in summer
    assert next_send(now, 8 * 60, ZoneInfo("Asia/Tokyo")) == utc(2026, 10, 5, 23, 0)


def test_next_send_across_the_end_of_summer_time() -> None:
    # Summer time ends on Sunday 25 October 2026 at 04:00 Sofia time (01:00 UTC).
    saturday_after_send = utc(2026, 10, 24, 6, 0)
    sunday = next_send(saturday_after_send, 8 * 60, SOFIA)
    assert sunday == utc(2026, 10, 25, 6, 0)  # 08:00 at UTC+2 now
    assert sunday.astimezone(SOFIA).hour == 8
    monday = next_send(sunday, 8 * 60, SOFIA)
    assert monday - sunday == dt.timedelta(hours=24)


def test_repeated_hour_is_sent_once_at_its_first_occurrence() -> None:
    # 03:30 happens twice in Sofia on 25 October 2026; the tip goes at the first.
    first = local_instant(dt.date(2026, 10, 25), 3 * 60 + 30, SOFIA)
    assert first == utc(2026, 10, 25, 0, 30)
    assert next_send(first, 3 * 60 + 30, SOFIA) == utc(2026, 10, 26, 1, 30)


def test_skipped_hour_moves_forward() -> None:
    # 03:30 does not exist in Sofia on 29 March 2026: it becomes 04:30 summer time.
    instant = local_instant(dt.date(2026, 3, 29), 3 * 60 + 30, SOFIA)
    assert instant.astimezone(SOFIA).strftime("%H:%M") == "04:30"


def test_day_ends_are_local() -> None:
    assert end_of_local_day(dt.date(2026, 10, 25), SOFIA) == utc(2026, 10, 25, 22, 0)
    assert end_of_local_day(dt.date(2026, 10, 24), SOFIA) == utc(2026, 10, 24, 21, 0)


def test_catch_up_policy() -> None:
    due = utc(2026, 10, 5, 5, 0)  # 08:00 Sofia
    assert still_today(due, utc(2026, 10, 5, 20, 59), SOFIA)
    assert not still_today(due, utc(2026, 10, 5, 21, 0), SOFIA)  # midnight in Sofia
    assert not still_today(due, utc(2026, 10, 5, 4, 59), SOFIA)  # not yet due


def test_tip_day_in_and_out_of_the_window() -> None:
    window = Window(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert tip_day(dt.date(2026, 10, 1), window, 31) == 1
    assert tip_day(dt.date(2026, 10, 31), window, 31) == 31
    assert tip_day(dt.date(2026, 11, 26), window, 31) == 26
    short = Window(dt.date(2026, 9, 20), dt.date(2026, 11, 5))  # longer than the tips
    assert tip_day(dt.date(2026, 10, 21), short, 31) == 1


@pytest.mark.parametrize(
    ("text", "minute"),
    [
        ("8", 480),
        ("08:30", 510),
        ("8.30", 510),
        ("7 pm", 1140),
        ("7pm", 1140),
        ("12 am", 0),
        ("12 pm", 720),
        ("19:00", 1140),
        ("8 ч.", 480),
        ("20 часа", 1200),
        ("23:59", 1439),
        ("0:00", 0),
    ],
)
def test_parse_time_of_day(text: str, minute: int) -> None:
    assert parse_time_of_day(text) == minute


@pytest.mark.parametrize("text", ["24:00", "8:60", "13 pm", "noon", "", "8:5", "-1", "99"])
def test_parse_time_of_day_refuses(text: str) -> None:
    assert parse_time_of_day(text) is None
