"""`ecsm-bot check-message` run as a person would: one JSON object per line of stdin, and one for
a screenshot read with Tesseract (under CI a missing Tesseract fails, as everywhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.ocr.tesseract import ocr_available
from tests.auxil.cli import bot_env, run_bot
from tests.auxil.environment import ON_CI
from tests.auxil.screenshots import Bubble, render_chat

LINES = [
    "Мамо, смених си номера, пиши ми във Вайбър, спешно е",
    "",
    "Your verification code is 483920. Do not share this code with anyone.",
]


def test_one_json_object_per_message(database_url: str) -> None:
    done = run_bot(["check-message"], bot_env(database_url), stdin="\n".join(LINES) + "\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["verdict"], r["language"]) for r in rows] == [
        ("likely_scam", "bg"),
        ("no_red_flags", "en"),
    ]
    first = rows[0]
    assert set(first) >= {"verdict", "score", "flags", "alert", "language", "text"}
    assert {"id": "new_number", "quote": "смених си номера"} in first["flags"]
    assert first["alert"] is None and first["score"] >= 5 and first["text"] == LINES[0]


def test_a_screenshot(tmp_path: Path) -> None:
    if not ocr_available():
        if ON_CI:
            pytest.fail("Tesseract with bul and eng is missing (README, Requirements)")
        pytest.skip("Tesseract is not installed")
    text = "Congratulations! You have won a prize. Claim your reward now: bit.ly/3xYzAb"
    shot = render_chat("+359 88 000 0000", [Bubble(text)])
    image = tmp_path / "sms.png"
    image.write_bytes(shot.image)
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    done = run_bot(
        # OCR runs niced and waits for the CPU on a busy machine: the verdict is tested here.
        ["check-message", "--image", str(image)],
        bot_env(url, OCR_TIMEOUT="120"),
    )
    assert done.returncode == 0, done.stderr
    (row,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert row["verdict"] == "likely_scam" and "won" in row["text"]
    assert {f["id"] for f in row["flags"]} >= {"prize"}
