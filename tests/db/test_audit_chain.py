"""The audit trail cannot be quietly changed: each row carries the hash of the one before,
and ``verify_chain`` names the first broken link, whatever the tamperer did (changed a row,
removed one from the middle or the end, put one in around the service, or rewrote the whole
log from some row on)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import delete, func, select, text, update

from tests.factories import make_team, make_user
from tests.support import make_config, migrate
from viewpoint import audit, create_app
from viewpoint.audit import verify_chain
from viewpoint.extensions import db
from viewpoint.models import AuditChain, AuditEvent, Role
from viewpoint.models.audit import link_hash


def _write_events(session, count: int, start: int = 0) -> list[int]:  # type: ignore[no-untyped-def]
    """``count`` audit rows, each in a transaction of its own (as requests write them)."""
    ids = []
    for number in range(start, start + count):
        row = audit.record("child.viewed", child_id=number, detail={"n": number},
                           session=session)
        session.commit()
        ids.append(row.id)
    return ids


def _table():  # type: ignore[no-untyped-def]
    return AuditEvent.__table__


def test_rows_written_in_many_transactions_form_one_whole_chain(app, session) -> None:  # type: ignore[no-untyped-def]
    before = verify_chain(session)
    assert before.broken is None
    ids = _write_events(session, 5)
    # Several rows in one transaction take consecutive places.
    user = make_user(session, Role.TEAM_MANAGER, make_team(session))
    for _ in range(3):
        audit.record("audit.viewed", actor=user, session=session)
    session.commit()
    found = verify_chain(session)
    assert found.broken is None
    assert found.checked == before.checked + 8
    places = session.scalars(select(AuditEvent.chain_seq).where(AuditEvent.id.in_(ids))
                             .order_by(AuditEvent.id)).all()
    assert places == list(range(places[0], places[0] + 5))
    assert session.get(AuditChain, 1).seq == found.end_seq


def test_a_changed_row_is_named(app, session) -> None:  # type: ignore[no-untyped-def]
    ids = _write_events(session, 4)
    # Someone with the database's password removes their address from one row.
    session.execute(update(_table()).where(_table().c.id == ids[2]).values(remote_addr="10.9.9.9"))
    found = verify_chain(session)
    assert found.broken_event_id == ids[2]
    assert "was changed after it was written" in found.broken


def test_a_changed_detail_is_found_too(app, session) -> None:  # type: ignore[no-untyped-def]
    ids = _write_events(session, 3)
    session.execute(update(_table()).where(_table().c.id == ids[1]).values(detail={"n": 99}))
    assert verify_chain(session).broken_event_id == ids[1]


def test_a_row_removed_from_the_middle_is_found(app, session) -> None:  # type: ignore[no-untyped-def]
    ids = _write_events(session, 4)
    session.execute(delete(_table()).where(_table().c.id == ids[1]))
    found = verify_chain(session)
    assert found.broken_event_id == ids[2]
    assert "is missing" in found.broken


def test_rows_removed_from_the_end_are_found(app, session) -> None:  # type: ignore[no-untyped-def]
    ids = _write_events(session, 3)
    session.execute(delete(_table()).where(_table().c.id == ids[-1]))
    found = verify_chain(session)
    assert "rows were removed from the end" in found.broken


def test_a_row_put_in_around_the_service_is_found(app, session) -> None:  # type: ignore[no-untyped-def]
    _write_events(session, 2)
    session.execute(text("INSERT INTO audit_event (occurred_at, action, child_id) "
                         "VALUES (CURRENT_TIMESTAMP, 'child.viewed', 7)"))
    found = verify_chain(session)
    assert "is not in the chain" in found.broken


def test_a_log_rewritten_from_a_row_on_is_found_by_an_anchor_kept_elsewhere(app, session) -> None:  # type: ignore[no-untyped-def]
    ids = _write_events(session, 4)
    anchor = verify_chain(session)
    written_down = (anchor.end_seq, anchor.end_hash)
    # The tamperer changes a row and then recomputes every hash after it, and the chain's end.
    session.execute(update(_table()).where(_table().c.id == ids[1]).values(action="child.edited"))
    session.expire_all()
    first = session.get(AuditEvent, ids[1])
    previous = first.prev_hash
    for row in session.scalars(select(AuditEvent).where(AuditEvent.chain_seq >= first.chain_seq)
                               .order_by(AuditEvent.chain_seq)):
        digest = link_hash(previous, row, row.chain_seq)
        session.execute(update(_table()).where(_table().c.id == row.id)
                        .values(prev_hash=previous, row_hash=digest))
        previous = digest
    session.execute(update(AuditChain).where(AuditChain.id == 1).values(head_hash=previous))
    session.expire_all()
    # The chain is whole again on its own terms...
    assert verify_chain(session).broken is None
    # ...but not with the place and hash written down before.
    found = verify_chain(session, anchor=written_down)
    assert "the log was rewritten" in found.broken


def test_a_rolled_back_row_leaves_no_gap(app, session) -> None:  # type: ignore[no-untyped-def]
    _write_events(session, 2)
    audit.record("child.viewed", child_id=1, session=session)
    session.rollback()
    _write_events(session, 2, start=10)
    assert verify_chain(session).broken is None


def test_writers_at_the_same_moment_never_fork_the_chain(fresh_database: str,
                                                          tmp_path: Path) -> None:
    """Eight threads, each committing audit rows as fast as it can on its own connection: the
    chain stays one line with no place taken twice (on PostgreSQL the chain's end is locked
    while each commits; on SQLite the writer's lock does it)."""
    migrate(fresh_database)
    app = create_app(make_config(fresh_database, tmp_path))
    problems: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            with app.app_context():
                for turn in range(15):
                    with db.writing() as session:
                        audit.record("child.viewed", child_id=number, detail={"turn": turn},
                                     session=session)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 (reported below)
            problems.append(error)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    with app.app_context():
        session = db.session()
        found = verify_chain(session)
        assert found.broken is None
        assert found.checked == session.scalar(select(func.count()).select_from(AuditEvent))
        assert found.checked == 8 * 15
        db.session.remove()
    app.extensions["viewpoint.engine"].dispose()
