"""The questionnaire preview (for any signed-in member of staff), and the headers every
answer carries."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_user
from tests.staff import sign_in
from viewpoint.models import Role
from viewpoint.security import CONTENT_SECURITY_POLICY


@pytest.fixture()
def staff(client, session):  # type: ignore[no-untyped-def]
    """A client signed in as a panel member (who may read the questionnaires, nothing else)."""
    return sign_in(client, make_user(session, Role.PANEL_MEMBER), session)


@pytest.mark.parametrize("path", ["/healthz", "/questionnaires/",
                                  "/questionnaires/before-care-review/4-7"])
def test_every_answer_carries_strict_security_headers(staff, path: str) -> None:  # type: ignore[no-untyped-def]
    response = staff.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_home_is_the_childs_start_page(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="code"' in page and 'name="csrf_token"' in page
    assert response.headers["Cache-Control"] == "no-store"


def test_preview_lists_every_questionnaire_with_question_counts(staff, app) -> None:  # type: ignore[no-untyped-def]
    page = staff.get("/questionnaires/").get_data(as_text=True)
    catalogue = app.extensions["viewpoint.questionnaires"]
    for questionnaire in catalogue.questionnaires.values():
        assert questionnaire.staff_title.replace("'", "&#39;") in page
        for band in questionnaire.bands:
            count = len(questionnaire.questions_for(band))
            assert f"/questionnaires/{questionnaire.id}/{band}\">{count} questions" in page


def test_preview_shows_a_band_exactly_as_defined(staff, app) -> None:  # type: ignore[no-untyped-def]
    definition = app.extensions["viewpoint.questionnaires"].get("before-care-review")
    page = staff.get("/questionnaires/before-care-review/4-7").get_data(as_text=True)
    questions = definition.questions_for("4-7")
    assert page.count('<li id="q-') == len(questions)
    for question in questions:
        assert f'id="q-{question.key}"' in page
    alerts = [q for q in questions if q.alert]
    assert alerts and page.count("Safeguarding alert") == len(alerts)


@pytest.mark.parametrize("path", ["/questionnaires/nope/4-7",
                                  "/questionnaires/before-pathway-review/4-7"])
def test_unknown_questionnaire_or_band_is_not_found(staff, path: str) -> None:  # type: ignore[no-untyped-def]
    assert staff.get(path).status_code == 404


def test_pages_load_nothing_from_outside_the_service(staff) -> None:  # type: ignore[no-untyped-def]
    page = staff.get("/questionnaires/before-care-review/12-17").get_data(as_text=True)
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert '<html lang="en" dir="ltr">' in page


def test_the_preview_needs_a_signed_in_member_of_staff(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/questionnaires/before-care-review/4-7")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/signin")


def test_a_missing_page_is_explained_plainly(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/questions/nothing-here/at-all")
    assert response.status_code == 404
    assert "find that page" in response.get_data(as_text=True).replace("&#39;", "'")
    staff = client.get("/questionnaires/nope/also-nope/x")
    assert staff.status_code == 404 and "Page not found" in staff.get_data(as_text=True)
