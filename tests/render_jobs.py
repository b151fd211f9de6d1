"""Jobs for the render pool's tests, in a module of their own: a worker process imports the
module of the job it runs, and this one costs it nothing to import."""

from __future__ import annotations

import os
import socket

# Long enough for any loaded machine: reached only when the loop never ran (the failure).
GIVE_UP = 120.0


def hold(address: str) -> int:
    """Tell the test's loop (a Unix socket server) that the job has started, and hold the
    worker until the loop answers; the worker's process id."""
    with socket.socket(socket.AF_UNIX) as connection:
        connection.settimeout(GIVE_UP)
        connection.connect(address)
        connection.sendall(b"started\n")
        if connection.recv(3) != b"go\n":
            raise RuntimeError("the loop did not answer")
    return os.getpid()
