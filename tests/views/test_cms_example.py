"""The README's example for connecting a case-management system works, over HTTP, against
a running viewpoint: it pushes children, plans and reviews (twice: nothing changes the second
time), reports what viewpoint refuses, and pulls sent responses as JSON and PDF."""

from __future__ import annotations

import importlib.util
import json
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from tests.api import make_token
from tests.browser.harness import serving
from tests.factories import make_team, make_user
from tests.support import make_config, migrate
from tests.views.test_reading import answered
from viewpoint import create_app
from viewpoint.extensions import db
from viewpoint.models import Child, Plan, Review, Role

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "cms_sync.py"


def _example():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("cms_sync", SCRIPT)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_the_example_pushes_records_and_pulls_responses(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'viewpoint.sqlite3'}"
    migrate(url)
    app = create_app(make_config(url, tmp_path / "instance", WTF_CSRF_ENABLED=True))
    with app.app_context(), db.writing() as session:
        team = make_team(session, "North")
        make_user(session, Role.SOCIAL_WORKER, team)
        token = make_token(session, teams=[team], scopes=[
            "children:read", "children:write", "responses:read"], name="Mosaic")
    export = [{"reference": "CMS/1042", "first_name": "Maya", "last_name": "Oakes",
               "date_of_birth": "2014-05-04", "preferred_language": "pl",
               "plans": [{"reference": "PLAN-77", "kind": "care_plan",
                          "placement_type": "foster", "started_on": "2024-01-15",
                          "reviews": [{"reference": "REV-301", "due_on": (
                              date.today() + timedelta(days=20)).isoformat()}]}]},
              {"reference": "CMS-9", "first_name": "Bad", "last_name": "Date",
               "date_of_birth": "2999-01-01"}]
    children = tmp_path / "export.json"
    children.write_text(json.dumps(export))
    monkeypatch.setenv("VIEWPOINT_TOKEN", token)
    example = _example()
    with serving(app) as base:
        arguments = ["--url", base, "--children", str(children), "--out",
                     str(tmp_path / "received"), "--state", str(tmp_path / "state.json")]
        assert example.main(arguments) == 1  # one child refused
        assert "refused /api/v1/children/CMS-9: #/date_of_birth" in capsys.readouterr().err
        assert example.main(arguments) == 1  # the same again: nothing added twice
        with app.app_context():
            counts = [db.session.scalar(select(func.count()).select_from(model))
                      for model in (Child, Plan, Review)]
            assert counts == [1, 1, 1]
            with db.writing() as session:
                child = session.scalar(select(Child).where(Child.reference == "CMS/1042"))
                answered(session, app, child, {"stay_change": "Mieszkać z siostrą"},
                         language="pl")
        assert example.main(arguments[:2] + arguments[4:]) == 0
        saved = sorted(path.name for path in (tmp_path / "received").iterdir())
        assert len(saved) == 2 and saved[0].endswith(".json") and saved[1].endswith(".pdf")
        record = json.loads((tmp_path / "received" / saved[0]).read_text())
        assert record["child_reference"] == "CMS/1042"
        assert any(answer["answer"] == "Mieszkać z siostrą" for answer in record["answers"])
        assert (tmp_path / "received" / saved[1]).read_bytes().startswith(b"%PDF")
        # The next run starts after the last response saved: nothing is fetched again.
        capsys.readouterr()
        assert example.main(arguments[:2] + arguments[4:]) == 0
        assert "saved" not in capsys.readouterr().out
    app.extensions["viewpoint.engine"].dispose()
