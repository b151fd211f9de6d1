"""The PostgreSQL schema that tests.auxil.schema keeps from one test for the next is the schema a
fresh migration makes: same shape, same rows, same sequence positions, and no row of the test
before it."""

from __future__ import annotations

import psycopg
import pytest

from tests.auxil import schema
from tests.auxil.schema import keep_postgres_schema, migrated

pytestmark = pytest.mark.postgres


def _state(url: str) -> tuple[object, ...]:
    with psycopg.connect(url, autocommit=True) as conn:
        taken = schema._Migrated(conn)
        return (taken.shape, taken.versions, taken.tables, taken.rows, taken.sequences)


def _empty_public(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop schema public cascade")
        conn.execute("create schema public")


def test_a_kept_schema_is_a_freshly_migrated_one(new_postgres_database: str) -> None:
    url = new_postgres_database
    migrated(url)
    fresh = _state(url)
    with psycopg.connect(url, autocommit=True) as conn:
        # What a test leaves: rows in several tables, sequences moved on.
        conn.execute(
            "insert into users (id, language, first_seen, last_seen) "
            "values (1, 'en', now(), now()), (2, 'bg', now(), now())"
        )
        conn.execute("update send_rate set next_slot = 99.5")
        sequences = conn.execute(
            "select sequencename from pg_sequences where schemaname = 'public'"
        ).fetchall()
        assert sequences
        for (name,) in sequences:
            conn.execute("select nextval(%s)", (f'public."{name}"',))
    keep_postgres_schema(url)
    with psycopg.connect(url, autocommit=True) as conn:
        spare = conn.execute(
            "select 1 from pg_namespace where nspname = %s", (schema.SPARE,)
        ).fetchone()
        public = conn.execute(
            "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public'"
        ).fetchone()
    assert spare == (1,) and public == (0,)
    migrated(url)
    assert _state(url) == fresh


def test_a_schema_not_as_migrated_is_not_kept(new_postgres_database: str) -> None:
    url = new_postgres_database
    migrated(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("alter table users add column extra integer")
    keep_postgres_schema(url)
    _empty_public(url)
    migrated(url)  # a real migration: the changed schema was not kept
    with psycopg.connect(url, autocommit=True) as conn:
        columns = conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'public' and table_name = 'users'"
        ).fetchall()
        spare = conn.execute(
            "select 1 from pg_namespace where nspname = %s", (schema.SPARE,)
        ).fetchone()
    assert ("extra",) not in columns and spare is None
