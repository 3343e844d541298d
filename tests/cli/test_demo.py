"""`viewpoint demo` builds the same fictional council every time, on either database."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.demo import DEMO_DOMAIN
from viewpoint.extensions import db
from viewpoint.models import (
    Alert,
    Answer,
    Child,
    Plan,
    PlanKind,
    QuestionnaireVersion,
    Response,
    Review,
    Role,
    User,
)

#: Each test builds a whole demo council.
pytestmark = pytest.mark.slow


def _run_demo(url: str, instance: Path, *args: str):  # type: ignore[no-untyped-def]
    app = create_app(make_config(url, instance))
    result = app.test_cli_runner().invoke(args=["demo", "--today", "2026-11-21", *args],
                                          catch_exceptions=False)
    return app, result


def _fingerprint(app) -> str:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256()
    with app.app_context():
        for table in ("child", "plan", "review", "invitation", "response", "answer", "alert"):
            rows = db.session.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()  # noqa: S608
            digest.update(repr([tuple(str(value) for value in row) for row in rows]).encode())
    return digest.hexdigest()


def test_demo_builds_a_council_and_prints_every_sign_in(databases, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = databases.new()
    migrate(url)
    app, result = _run_demo(url, tmp_path, "--responses", "300")
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = db.session
        roles = set(session.scalars(select(User.role)))
        assert roles == set(Role)
        emails = session.scalars(select(User.email)).all()
        for email in emails:
            assert email.endswith(DEMO_DOMAIN) and email in result.output
        assert all(session.scalars(select(User.password_hash)))
        children = session.scalar(select(func.count()).select_from(Child))
        assert 190 <= children <= 260
        assert all(ref.startswith("DEMO-") for ref in session.scalars(select(Child.reference)))
        kinds = set(session.scalars(select(Plan.kind)))
        assert kinds == set(PlanKind)
        responses = session.scalar(select(func.count()).select_from(Response))
        assert 250 <= responses <= 300
        assert session.scalar(select(func.count()).select_from(Review)) > children
        assert session.scalar(select(func.count()).select_from(Answer)) > responses * 8
        assert session.scalar(select(func.count()).select_from(Alert)) > 0
        # Two years of responses, none in the future.
        first, last = session.execute(
            select(func.min(Response.submitted_at), func.max(Response.submitted_at))).one()
        assert (last - first).days > 600
        # Every response points at a stored snapshot of the wording it was answered in.
        orphans = session.scalar(
            select(func.count()).select_from(Response).outerjoin(QuestionnaireVersion)
            .where(QuestionnaireVersion.id.is_(None)))
        assert orphans == 0
    app.extensions["viewpoint.engine"].dispose()


def test_same_seed_same_council(databases, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    prints = []
    for run in range(2):
        url = databases.new()
        migrate(url)
        app, result = _run_demo(url, tmp_path / str(run), "--responses", "120")
        assert result.exit_code == 0, result.output
        prints.append(_fingerprint(app))
        app.extensions["viewpoint.engine"].dispose()
    assert prints[0] == prints[1]


def test_demo_refuses_a_database_with_data_but_if_empty_leaves_it_alone(databases,  # type: ignore[no-untyped-def]
                                                                        tmp_path: Path) -> None:
    url = databases.new()
    migrate(url)
    app, first = _run_demo(url, tmp_path, "--responses", "50")
    assert first.exit_code == 0
    app.extensions["viewpoint.engine"].dispose()
    app, again = _run_demo(url, tmp_path, "--responses", "50")
    assert again.exit_code != 0 and "already has data" in again.output
    app.extensions["viewpoint.engine"].dispose()
    app, polite = _run_demo(url, tmp_path, "--responses", "50", "--if-empty")
    assert polite.exit_code == 0 and "leaving it as it is" in polite.output
    assert f"admin@{DEMO_DOMAIN}" in polite.output
    app.extensions["viewpoint.engine"].dispose()


def test_answers_differ_between_groups_as_in_real_surveys(databases, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Children in residential care say they feel safe at home less often than in foster care."""
    url = databases.new()
    migrate(url)
    app, result = _run_demo(url, tmp_path, "--responses", "2500")
    assert result.exit_code == 0
    with app.app_context():
        rows = db.session.execute(
            select(Plan.placement_type, Answer.value)
            .join(Response, Response.plan_id == Plan.id)
            .join(Answer, Answer.response_id == Response.id)
            .where(Answer.question_key == "safe_home", Answer.declined.is_(False),
                   Plan.placement_type.in_(["foster", "residential"]))).all()
    app.extensions["viewpoint.engine"].dispose()
    share: dict[str, list[int]] = {}
    for placement, value in rows:
        share.setdefault(placement.value, []).append(value["v"] in ("happy", "yes"))
    foster = sum(share["foster"]) / len(share["foster"])
    residential = sum(share["residential"]) / len(share["residential"])
    assert foster - residential > 0.05
