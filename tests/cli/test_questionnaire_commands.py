"""`viewpoint questionnaires import|export|publish|list`: a council's questionnaire from a
workbook to children, from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook

from tests.support import make_config, migrate
from viewpoint import create_app
from viewpoint.cli import questionnaires_group


@pytest.fixture(scope="module")
def cli_app(databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """An app on its own migrated database: the commands commit, as they do for real."""
    url = databases.new()
    migrate(url)
    app = create_app(make_config(url, tmp_path_factory.mktemp("questionnaire-cli")))
    yield app
    app.extensions["viewpoint.engine"].dispose()


def _run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(questionnaires_group, list(args))


def test_a_questionnaire_goes_out_to_a_workbook_back_in_as_a_draft_and_is_published(
        cli_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    workbook = tmp_path / "cp.xlsx"
    exported = _run(cli_app, "export", "before-cp-review", str(workbook))
    assert exported.exit_code == 0, exported.output
    survey = load_workbook(workbook)["survey"]
    survey.cell(row=2, column=3).value = "How safe do you feel at home these days?"
    survey.parent.save(workbook)

    imported = _run(cli_app, "import", str(workbook))
    assert imported.exit_code == 0, imported.output
    assert "before-cp-review v2: draft saved; ready to publish." in imported.output
    published = _run(cli_app, "publish", "before-cp-review")
    assert published.exit_code == 0 and "v2 published" in published.output
    listed = _run(cli_app, "list").output
    assert "v2 published xlsform" in listed and "v1 retired   shipped" in listed

    again = _run(cli_app, "publish", "before-cp-review")
    assert again.exit_code != 0 and "no draft" in again.output


def test_a_workbook_with_mistakes_changes_nothing_and_says_where_they_are(
        cli_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    workbook = tmp_path / "cin.xlsx"
    assert _run(cli_app, "export", "before-cin-review", str(workbook)).exit_code == 0
    book = load_workbook(workbook)
    book["survey"].cell(row=3, column=1).value = "integer"
    book.save(workbook)
    before = _run(cli_app, "list").output
    result = _run(cli_app, "import", str(workbook))
    assert result.exit_code != 0
    assert "sheet 'survey', row 3, column 'type' (A)" in result.output
    assert _run(cli_app, "list").output == before
