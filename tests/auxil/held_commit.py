"""A COMMIT held by PostgreSQL itself, for tests of what happens while a commit is under way:
a deferred constraint trigger, run at COMMIT, waits for an advisory lock the test holds (and
refuses a row the test names). Ordering instead of timing: the commit cannot finish before the
test lets it, however fast or slow the machine is."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg

HOLD = 4242  # the advisory lock a held table's COMMIT waits for


def hold_commits_of(url: str, table: str, refuse: str | None = None) -> None:
    """Make every COMMIT that inserted into `table` wait while `HOLD` is held; with `refuse`
    (an SQL condition on NEW), a row matching it makes its COMMIT fail."""
    refusal = f"IF {refuse} THEN RAISE EXCEPTION 'commit refused'; END IF;" if refuse else ""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"""
            CREATE FUNCTION held_commit_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock_shared({HOLD});
                {refusal}
                RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER held AFTER INSERT ON {table}
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
                EXECUTE FUNCTION held_commit_{table}();
            """
        )


@contextlib.contextmanager
def commits_held(url: str) -> Iterator[psycopg.Connection]:
    """Commits of held tables wait until the block ends (or the yielded connection runs
    `release(connection)`)."""
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (HOLD,))
        try:
            yield holder
        finally:
            release(holder)


def release(holder: psycopg.Connection) -> None:
    holder.execute("SELECT pg_advisory_unlock_all()")
