"""Where things are in a test run: the checkout, the NLU model, the PostgreSQL server, CI, free
ports, the Rasa server the session started."""

from __future__ import annotations

import os
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
POSTGRES_URL = os.environ.get("ECSM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ORGANISER_ID = 999
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MODEL = ROOT / "nlu" / "models" / "nlu.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RasaInfo:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
