"""SQLite, the embedded default: durable, and writers wait their turn instead of failing."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from viewpoint.extensions import IMMEDIATE, create_database_engine

WRITERS = 6
TRANSACTIONS = 25


def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_database_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", busy_timeout_ms=20000)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE tally (id INTEGER PRIMARY KEY, seen INTEGER)"))
    return engine


def test_connections_use_wal_full_sync_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", busy_timeout_ms=1234)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234


def _read_then_write(engine, immediate: bool, errors: list[Exception]) -> None:  # type: ignore[no-untyped-def]
    for _ in range(TRANSACTIONS):
        try:
            with engine.connect() as connection:
                connection = connection.execution_options(**{IMMEDIATE: immediate})
                with connection.begin():
                    seen = connection.execute(text("SELECT count(*) FROM tally")).scalar()
                    time.sleep(0.002)  # another writer commits here
                    connection.execute(text("INSERT INTO tally (seen) VALUES (:s)"), {"s": seen})
        except OperationalError as exc:
            errors.append(exc)


def _run_writers(engine, immediate: bool) -> list[Exception]:  # type: ignore[no-untyped-def]
    errors: list[Exception] = []
    threads = [threading.Thread(target=_read_then_write, args=(engine, immediate, errors))
               for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_writers_never_see_database_is_locked(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    errors = _run_writers(engine, immediate=True)
    assert errors == []
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT seen FROM tally ORDER BY id")).scalars().all()
    # Every transaction committed, and each saw every earlier one: writes were serialised.
    assert rows == list(range(WRITERS * TRANSACTIONS))


def test_without_begin_immediate_the_same_writers_do_fail(tmp_path: Path) -> None:
    """The control for the test above: it would catch a regression to deferred BEGIN."""
    engine = _engine(tmp_path)
    errors = _run_writers(engine, immediate=False)
    assert errors, "deferred transactions unexpectedly never conflicted"
    assert any("locked" in str(error) for error in errors)


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        connection.execute(text("CREATE TABLE child (id INTEGER PRIMARY KEY, "
                                "parent_id INTEGER REFERENCES parent(id))"))
    with pytest.raises(Exception, match="FOREIGN KEY"), engine.begin() as connection:
        connection.execute(text("INSERT INTO child (parent_id) VALUES (42)"))


# --- writers wait their turn in the kernel (WriterQueue) ---

_HOLD = """
import sys, time
from sqlalchemy import text
from viewpoint.extensions import IMMEDIATE, create_database_engine
engine = create_database_engine(sys.argv[1])
with engine.connect() as connection:
    connection = connection.execution_options(**{IMMEDIATE: True})
    with connection.begin():
        connection.execute(text("INSERT INTO tally (seen) VALUES (-1)"))
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
"""


@contextlib.contextmanager
def _holder(tmp_path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process in the middle of a write transaction (it has printed "holding");
    killed at the end of the block if it is still there."""
    with subprocess.Popen([sys.executable, "-c", _HOLD, f"sqlite:///{tmp_path / 'x.sqlite3'}",
                           str(seconds)], stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
            yield holder
        finally:
            holder.kill()
            holder.wait(timeout=20)


def _write_once(engine) -> float:  # type: ignore[no-untyped-def]
    """Seconds one write transaction took to get in and commit."""
    began = time.monotonic()
    with engine.connect() as connection:
        connection = connection.execution_options(**{IMMEDIATE: True})
        with connection.begin():
            connection.execute(text("INSERT INTO tally (seen) VALUES (1)"))
    return time.monotonic() - began


def test_a_writer_in_another_process_is_waited_for_not_failed(
        tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with _holder(tmp_path, 0.6) as holder:
        waited = _write_once(engine)
        assert holder.wait(timeout=20) == 0
    # It waited for the other process to commit, then wrote.
    assert 0.4 <= waited < 2.0
    with engine.connect() as connection:
        assert connection.execute(text("SELECT seen FROM tally ORDER BY id")).scalars().all() \
            == [-1, 1]


def test_a_writer_killed_while_writing_does_not_shut_the_others_out(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with _holder(tmp_path, 600) as holder:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=20)
        assert _write_once(engine) < 5.0
    with engine.connect() as connection:
        # The killed writer's insert was never committed.
        assert connection.execute(text("SELECT seen FROM tally")).scalars().all() == [1]


def test_a_writer_that_never_lets_go_is_given_up_on_after_the_busy_timeout(
        tmp_path: Path) -> None:
    _engine(tmp_path).dispose()
    engine = create_database_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", busy_timeout_ms=700)
    with _holder(tmp_path, 30):
        began = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            _write_once(engine)
        assert 0.6 <= time.monotonic() - began < 5.0
    # Once the other process is gone, writing works again: the failed writer kept no turn.
    assert _write_once(engine) < 5.0
