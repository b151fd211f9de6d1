"""A PostgreSQL server of a test's own, made with initdb in a temporary folder, so that a test can
really stop and restart it without touching the server the other tests share.

It uses the binaries of the machine's PostgreSQL (`pg_config --bindir`). PostgreSQL refuses to
run as root, so as root the server runs as the `postgres` user."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auxil.environment import ON_CI, free_port


class PrivatePostgres:
    def __init__(self, bindir: Path, folder: Path, port: int, run_as: list[str]) -> None:
        self.bindir = bindir
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.socket_dir = folder
        self.port = port
        self.run_as = run_as

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / program), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: every session is cut and the server shuts down cleanly, as a restart does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")


def _bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
    bindir = Path(found.stdout.strip())
    return bindir if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists() else None


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    bindir = _bindir()
    run_as: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="ecsm-pg-"))
    try:
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                bindir = None
            else:
                os.chown(folder, owner.pw_uid, owner.pw_gid)
                run_as = ["runuser", "-u", "postgres", "--"]
        if bindir is None:
            message = "PostgreSQL's initdb and pg_ctl are needed to restart a server of our own"
            if ON_CI:
                pytest.fail(message)
            pytest.skip(message)
        server = PrivatePostgres(bindir, folder, free_port(), run_as)
        server.init()
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(subprocess.SubprocessError):
                server.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
