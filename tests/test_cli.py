"""The `ecsm-bot` command as a user runs it: a real process, real Rasa, real SQLite."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.auxil.cli import bot_env, run_bot
from tests.auxil.environment import RasaInfo, free_port

pytestmark = pytest.mark.rasa


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return bot_env(f"sqlite:///{tmp_path / 'bot.sqlite3'}", **extra)


def run(
    args: list[str], stdin: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return run_bot(args, env, stdin=stdin, timeout=timeout)


def test_classify_prints_json_lines(tmp_path: Path, rasa: RasaInfo) -> None:
    result = run(
        ["classify"],
        "what is phishing\nкакво е фишинг\n\nkakvo e fishing\n",
        env_for(tmp_path, RASA_URL=rasa.url, RASA_TOKEN=rasa.token),
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows] == ["what is phishing", "какво е фишинг", "kakvo e fishing"]
    assert [r["topic"] for r in rows] == ["phishing"] * 3
    assert [r["language"] for r in rows] == ["en", "bg", "bg"]
    assert all(0 < r["confidence"] <= 1 for r in rows)


def test_piped_console_prints_three_replies_and_exits(tmp_path: Path, rasa: RasaInfo) -> None:
    result = run(
        ["run"],
        "hello\nwhat is phishing?\nкакво е фишинг\n",
        env_for(tmp_path, RASA_URL=rasa.url, RASA_TOKEN=rasa.token),
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "> hello" in out and "> what is phishing?" in out and "> какво е фишинг" in out
    sections = out.split("> ")
    assert "Hello" in sections[1]
    assert "Phishing" in sections[2]
    assert "Фишинг" in sections[3]
    # Nothing on stderr but where the organisers' dashboard is (stdout is the chat's).
    (line,) = result.stderr.splitlines()
    assert line.startswith("Organisers' dashboard: http://127.0.0.1:")


def test_console_buttons_by_number(tmp_path: Path, rasa: RasaInfo) -> None:
    result = run(["run"], "/menu\n1\n", env_for(tmp_path, RASA_URL=rasa.url, RASA_TOKEN=rasa.token))
    assert result.returncode == 0, result.stderr
    assert "[1]" in result.stdout and "Phishing" in result.stdout


def test_classify_starts_and_stops_its_own_rasa_server(tmp_path: Path) -> None:
    port = free_port()
    result = run(
        ["classify"],
        "what is phishing\n",
        env_for(tmp_path, RASA_URL=f"http://127.0.0.1:{port}"),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["topic"] == "phishing"
    # The server it started is gone again.
    import socket

    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_bad_settings_exit_with_a_clear_message(tmp_path: Path) -> None:
    result = run(
        ["check"],
        "",
        env_for(tmp_path, DEFAULT_TIMEZONE="Nowhere/Land", TELEGRAM_BOT_TOKEN="123:short"),
    )
    assert result.returncode == 2
    assert "DEFAULT_TIMEZONE" in result.stderr and "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "123:short" not in result.stderr
