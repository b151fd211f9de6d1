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
from typing import Any

import psycopg
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
    a copy of the template; an empty PostgreSQL schema is swapped for the migrated one an earlier
    test left (keep_postgres_schema), else migrated; a database already there is migrated."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        migrated_sqlite(Path(url.database))
    elif url.get_backend_name() == "postgresql":
        _postgres_migrated(database_url)
    else:
        migrate(database_url)
    return database_url


# --- PostgreSQL: a migrated schema kept from one test for the next -----------------------------
#
# The database_url fixture gives each PostgreSQL test an empty `public` schema; migrating it runs
# the 18 revisions (4.5 s on a loaded 2-core machine). Instead, when a test ends with its schema
# exactly as the migrations leave it (same tables, columns, indexes, constraints, sequences, types,
# functions, triggers and views; same alembic_version), its rows are truncated, the rows and
# sequence values the migrations themselves wrote are put back, and the schema is kept aside under
# another name; the next `migrated()` renames it back to `public` instead of migrating. What the
# migrations wrote is read once per session right after a real migration of an empty schema.

SPARE = "ecsm_spare"

_SHAPE = """
select 'column', table_name::text, column_name::text || ' ' || data_type || ' ' || is_nullable
       || ' ' || coalesce(column_default, '') || ' ' || ordinal_position
  from information_schema.columns where table_schema = 'public'
union all
select 'index', tablename::text, indexdef from pg_indexes where schemaname = 'public'
union all
select 'constraint', c.conrelid::regclass::text, c.conname || ' ' || pg_get_constraintdef(c.oid)
  from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname = 'public'
union all
select 'sequence', sequence_name::text, data_type::text || ' ' || start_value || ' ' || increment
  from information_schema.sequences where sequence_schema = 'public'
union all
select 'type', t.typname::text, t.typtype::text || ' ' || coalesce(
         (select string_agg(e.enumlabel, ',' order by e.enumsortorder)
            from pg_enum e where e.enumtypid = t.oid), '')
  from pg_type t join pg_namespace n on n.oid = t.typnamespace
 where n.nspname = 'public' and t.typtype in ('e', 'd', 'r', 'm')
union all
select 'function', p.proname::text, pg_get_functiondef(p.oid)
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'
union all
select 'trigger', t.tgrelid::regclass::text, pg_get_triggerdef(t.oid)
  from pg_trigger t join pg_class c on c.oid = t.tgrelid
  join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and not t.tgisinternal
union all
select 'view', viewname::text, definition from pg_views where schemaname = 'public'
union all
select 'relation', relname::text, relkind::text
  from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'
order by 1, 2, 3
"""


class _Migrated:
    """What a fresh migration leaves: the schema's shape, alembic_version, every other table's
    rows (COPY's text form) and every sequence's position."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.shape = conn.execute(_SHAPE).fetchall()
        self.versions = sorted(conn.execute("select version_num from alembic_version").fetchall())
        self.tables = [
            name
            for (name,) in conn.execute(
                "select tablename from pg_tables where schemaname = 'public' "
                "and tablename <> 'alembic_version' order by tablename"
            ).fetchall()
        ]
        self.rows: dict[str, bytes] = {}
        for table in self.tables:
            with conn.cursor().copy(f'copy public."{table}" to stdout') as copy:
                data = b"".join(bytes(block) for block in copy)
            if data:
                self.rows[table] = data
        self.sequences: list[tuple[str, object, object]] = []
        for (name,) in conn.execute(
            "select sequencename from pg_sequences where schemaname = 'public' "
            "order by sequencename"
        ).fetchall():
            position = conn.execute(f'select last_value, is_called from public."{name}"').fetchone()
            assert position is not None
            self.sequences.append((name, *position))

    def same(self, conn: psycopg.Connection[Any]) -> bool:
        if conn.execute("select to_regclass('public.alembic_version')").fetchone() == (None,):
            return False
        versions = sorted(conn.execute("select version_num from alembic_version").fetchall())
        return versions == self.versions and conn.execute(_SHAPE).fetchall() == self.shape

    def reset(self, conn: psycopg.Connection[Any]) -> None:
        """Every table back to the rows the migrations wrote (inside the caller's transaction)."""
        tables = ", ".join(f'public."{table}"' for table in self.tables)
        conn.execute(f"truncate {tables} restart identity cascade")
        for table, data in self.rows.items():
            with conn.cursor().copy(f'copy public."{table}" from stdin') as copy:
                copy.write(data)
        for name, last_value, is_called in self.sequences:
            conn.execute("select setval(%s, %s, %s)", (f'public."{name}"', last_value, is_called))


_MIGRATED: dict[str, _Migrated] = {}


def _has_spare(conn: psycopg.Connection[Any]) -> bool:
    found = conn.execute("select 1 from pg_namespace where nspname = %s", (SPARE,)).fetchone()
    return found is not None


def _postgres_migrated(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        empty = conn.execute(
            "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public'"
        ).fetchone() == (0,)
        if empty and database_url in _MIGRATED and _has_spare(conn):
            with conn.transaction():
                conn.execute("drop schema public")
                conn.execute(f"alter schema {SPARE} rename to public")
            return
    migrate(database_url)
    if empty and database_url not in _MIGRATED:
        with psycopg.connect(database_url, autocommit=True) as conn:
            _MIGRATED[database_url] = _Migrated(conn)


def keep_postgres_schema(database_url: str) -> None:
    """At the end of a test on the database_url fixture's PostgreSQL database: when its `public`
    schema is as the migrations leave it, it is emptied and kept aside for the next migrated()."""
    snapshot = _MIGRATED.get(database_url)
    if snapshot is None:
        return
    with psycopg.connect(database_url, autocommit=True) as conn:
        if _has_spare(conn) or not snapshot.same(conn):
            return
        # A connection a test left open and busy must not hold the next test up: then no spare.
        conn.execute("set lock_timeout = '5s'")
        try:
            with conn.transaction():
                snapshot.reset(conn)
                conn.execute(f"alter schema public rename to {SPARE}")
                conn.execute("create schema public")
        except psycopg.errors.LockNotAvailable:
            return
