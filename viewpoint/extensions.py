"""Extensions, created unbound: ``create_app`` binds them to an app.

The database is plain SQLAlchemy 2.0 rather than a Flask wrapper so that the SQLite
transaction rules below sit in one visible place.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g, request
from flask.globals import app_ctx
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

#: Requests with these methods change data, so their transaction takes the write lock up front.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Execution option that makes an SQLite transaction start with BEGIN IMMEDIATE.
IMMEDIATE = "viewpoint_begin_immediate"

#: Marks a view that takes the write lock itself, late (see :func:`locks_late`).
LATE_LOCK = "viewpoint_locks_late"


def locks_late(view: Any) -> Any:
    """Let a hot write view do its reads before taking SQLite's single write lock.

    Writers queue for the lock, so every millisecond a request holds it is a millisecond
    nobody else can save. The view must call ``db.take_write_lock()`` before it writes.
    """
    setattr(view, LATE_LOCK, True)
    return view


def create_database_engine(url: str, *, busy_timeout_ms: int = 30000, **kwargs: Any) -> Engine:
    """An engine with the settings viewpoint relies on for the given database.

    SQLite: WAL (readers never wait for the writer), foreign keys enforced,
    ``synchronous=FULL`` (a saved answer survives power loss), a busy timeout,
    and transactions that start with ``BEGIN IMMEDIATE`` when they will write.
    A deferred transaction that reads and then writes can fail at once with
    "database is locked" when another writer committed in between; taking the
    write lock at BEGIN makes it wait its turn (up to the busy timeout) instead, in
    the :class:`WriterQueue` rather than in SQLite's busy handler.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, busy_timeout_ms)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    queue = WriterQueue.for_database(engine.url.database, busy_timeout_ms / 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below; pysqlite's
        # own implicit BEGIN would otherwise always be DEFERRED.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE)
        if not immediate:
            connection.exec_driver_sql("BEGIN")
            return
        if queue is not None:
            queue.take(connection.connection.dbapi_connection)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queue is not None:
                queue.give_back(connection.connection.dbapi_connection)
            raise

    if queue is None:
        return
    # The turn is given back once the transaction has ended, never before: the next writer
    # would otherwise find SQLite's lock still held, and sleep in the busy handler after all.
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(connection: Any) -> None:
        try:
            commit(connection)
        finally:
            queue.give_back(getattr(connection, "dbapi_connection", connection))

    def do_rollback(connection: Any) -> None:
        try:
            rollback(connection)
        finally:
            queue.give_back(getattr(connection, "dbapi_connection", connection))

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        queue.give_back(dbapi_connection)  # never held by a connection nobody is using

    @event.listens_for(engine, "close")
    def _on_close(dbapi_connection: Any, _record: Any) -> None:
        queue.forget(dbapi_connection)

    @event.listens_for(engine, "close_detached")
    def _on_close_detached(dbapi_connection: Any) -> None:
        queue.forget(dbapi_connection)


class WriterQueue:
    """SQLite writers of every process wait their turn in the kernel, not in SQLite.

    SQLite has one write lock. A writer that finds it taken is put to sleep by SQLite's
    busy handler for 1, 2, 5, 10, 15, 20, 25, 25, ... ms between tries, whatever the other
    writer is doing: one that would have waited 3 ms for the lock sleeps 8, and meanwhile
    nobody writes. So before ``BEGIN IMMEDIATE`` a writer takes an exclusive ``flock`` on a
    file beside the database (``<database>.writers``) and blocks in the kernel, which wakes
    it the moment the writer before has committed; SQLite's lock is then free at once. Every
    engine of every process on the database takes it (the web workers, the CLI, the outbox
    worker); a process that dies holding it gives it back (the kernel closes its files).

    A writer waits at most the busy timeout, as SQLite's handler would have, and then fails
    with the same "database is locked".
    """

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        #: Each DBAPI connection's own open lock file (a lock taken through one file is
        #: waited for through another, in this process too), by id of the connection; and
        #: the connections holding the turn.
        self.files: dict[int, int] = {}
        self.held: set[int] = set()
        self.pid = os.getpid()

    @classmethod
    def for_database(cls, database: str | None, timeout: float) -> WriterQueue | None:
        """The queue for an SQLite file (none for an in-memory database: one connection)."""
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return cls(os.path.abspath(database) + ".writers", timeout)

    def take(self, connection: Any) -> None:
        """Wait for ``connection``'s turn to write (it may hold it already)."""
        self._after_fork()
        key = id(connection)
        if key in self.held:
            return
        handle = self.files.get(key)
        if handle is None:
            handle = self.files[key] = os.open(
                self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._wait(handle)
        self.held.add(key)

    def _wait(self, handle: int) -> None:
        # Blocking in flock() cannot time out; a dedicated alarm per wait would cost more
        # than the wait. Tries every 0.25 ms at first, then every 1 ms: a turn is handed on
        # within a millisecond, and a writer that never lets go is noticed after the timeout.
        deadline = time.monotonic() + self.timeout
        pause = 0.00025
        while True:
            time.sleep(pause)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None,
                                           Exception("database is locked")) from None
                pause = min(pause * 2, 0.001)

    def give_back(self, connection: Any) -> None:
        """Let the next writer in (nothing happens if ``connection`` does not hold the turn)."""
        self._after_fork()
        key = id(connection)
        if key in self.held:
            self.held.discard(key)
            fcntl.flock(self.files[key], fcntl.LOCK_UN)

    def _after_fork(self) -> None:
        # A forked process shares its parent's open lock files: unlocking one would unlock
        # the parent's, and a lock taken through one would be the parent's too. The child
        # closes them (without unlocking) and opens its own.
        if self.pid != os.getpid():
            for handle in self.files.values():
                os.close(handle)
            self.files.clear()
            self.held.clear()
            self.pid = os.getpid()

    def forget(self, connection: Any) -> None:
        """``connection`` is closed: its turn is given back and its lock file closed."""
        self.give_back(connection)  # (after a fork, this forgets the parent's files)
        handle = self.files.pop(id(connection), None)
        if handle is not None:
            os.close(handle)


class _AppBoundSession(Session):
    """A session that uses the engine of the app it is working for."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        if self.bind is not None:
            return self.bind
        return current_app.extensions["viewpoint.engine"]


def _app_context_id() -> int:
    return id(app_ctx._get_current_object())


class Database:
    """The app's database: one engine per app, one session per app context.

    The request's session is committed in one place (``after_request``) and
    discarded at teardown, so views and services never commit themselves.
    """

    def __init__(self) -> None:
        self.session = scoped_session(
            sessionmaker(class_=_AppBoundSession, expire_on_commit=False),
            scopefunc=_app_context_id,
        )

    def init_app(self, app: Flask) -> None:
        engine = create_database_engine(
            app.config["SQLALCHEMY_URL"],
            busy_timeout_ms=app.config.get("SQLITE_BUSY_TIMEOUT_MS", 30000),
        )
        app.extensions["viewpoint.engine"] = engine

        @app.before_request
        def _take_write_lock_for_writes() -> None:
            # (A session already in a transaction is one a test shares with its requests.)
            view = app.view_functions.get(request.endpoint or "")
            if (request.method in WRITE_METHODS and not getattr(view, LATE_LOCK, False)
                    and not self.session().in_transaction()):
                self.session.connection(execution_options={IMMEDIATE: True})

        @app.after_request
        def _commit(response: Any) -> Any:
            # One commit per request. Error responses roll back instead, unless the view
            # said what it wrote must stand (a failed sign-in is counted and audited).
            ok = response.status_code < 400 or g.get("viewpoint_keep_on_error")
            if ok and not g.get("viewpoint_rollback"):
                self.session.commit()
            else:
                self.session.rollback()
            return response

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

    def take_write_lock(self) -> None:
        """For a view marked with :func:`locks_late`: end the reads so far and start the write
        transaction now. What was read stays loaded; re-check anything that may have changed.
        """
        session = self.session()
        if self._shared(session):  # a test's single connection: one transaction throughout
            return
        if session.in_transaction():
            session.commit()  # ends the read transaction (nothing was written)
        session.connection(execution_options={IMMEDIATE: True})

    @staticmethod
    def keep_on_error() -> None:
        """Commit this request's writes even though it answers with an error status."""
        g.viewpoint_keep_on_error = True

    @staticmethod
    def _shared(session: Session) -> bool:
        bind = session.bind
        return bind is not None and not isinstance(bind, Engine)

    @property
    def engine(self) -> Engine:
        return current_app.extensions["viewpoint.engine"]

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction outside a request (CLI commands, demo data).

        Commits on success, rolls back and re-raises on any exception.
        """
        session = self.session()
        if not session.in_transaction():
            session.connection(execution_options={IMMEDIATE: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


db = Database()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
