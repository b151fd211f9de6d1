"""A SQLite database with the schema already in place, for tests whose subject is not the
migrations: a copy of one database migrated once per session (a fresh migration takes about a
second on a loaded machine, a copy milliseconds). bot.storage.db.migrate then finds nothing to
do on the copy, as on any restart. The migrations' own tests (tests/test_storage.py,
tests/test_bootstrap.py, the database_url fixture) start from empty databases."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.storage.db import migrate

_TEMPLATE: list[Path] = []


def migrated_sqlite(path: Path) -> str:
    """The URL of a migrated SQLite database created at `path` (which must not exist yet)."""
    if not _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="ecsm-schema-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = folder / "template.sqlite3"
        migrate(f"sqlite:///{template}")
        # Closed cleanly, a WAL database leaves everything in its main file.
        assert not template.with_name(template.name + "-wal").exists()
        _TEMPLATE.append(template)
    if path.exists():
        raise FileExistsError(path)
    shutil.copyfile(_TEMPLATE[0], path)
    return f"sqlite:///{path}"


def migrated(database_url: str) -> str:
    """`database_url` (the database_url fixture's) with the schema in place: a new SQLite file is
    a copy of the template; PostgreSQL, or a database already there, is migrated."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        migrated_sqlite(Path(url.database))
    else:
        migrate(database_url)
    return database_url
