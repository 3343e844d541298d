"""A response always shows the wording the child saw, in the language they saw it in."""

from __future__ import annotations

from sqlalchemy import func, select

from viewpoint.models import QuestionnaireVersion
from viewpoint.questionnaires.snapshot import digest, render, snapshot_version


def test_the_same_wording_is_stored_once(app, session) -> None:  # type: ignore[no-untyped-def]
    definition = app.extensions["viewpoint.questionnaires"].get("before-cin-review")
    first = snapshot_version(session, definition, "8-11", "en")
    again = snapshot_version(session, definition, "8-11", "en")
    assert first.id == again.id
    assert session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 1


def test_a_snapshot_holds_every_question_as_served_with_english_for_staff(app, session) -> None:  # type: ignore[no-untyped-def]
    definition = app.extensions["viewpoint.questionnaires"].get("before-care-review")
    version = snapshot_version(session, definition, "4-7", "en")
    session.expire_all()
    stored = session.get(QuestionnaireVersion, version.id).content
    asked = definition.questions_for("4-7")
    assert [q["key"] for q in stored["questions"]] == [q.key for q in asked]
    first = stored["questions"][0]
    assert first["text"] == {"text": asked[0].text.for_band("4-7"),
                             "en": asked[0].text.for_band("4-7")}
    assert stored["band"] == "4-7" and stored["language"] == "en"


def test_other_bands_and_languages_are_other_snapshots(app, session) -> None:  # type: ignore[no-untyped-def]
    definition = app.extensions["viewpoint.questionnaires"].get("before-cp-review")
    ids = {snapshot_version(session, definition, band, language).id
           for band in ("4-7", "12-17") for language in ("en", "cy")}
    assert len(ids) == 4


def test_changed_wording_makes_a_new_snapshot_and_keeps_the_old(app, session) -> None:  # type: ignore[no-untyped-def]
    definition = app.extensions["viewpoint.questionnaires"].get("before-cp-review")
    old = snapshot_version(session, definition, "8-11", "en")
    reworded = render(definition, "8-11", "en",
                      translate=lambda context, message: message.replace("you", "YOU"))
    assert digest(reworded) != old.digest  # so snapshot_version would store it anew
    assert digest(render(definition, "8-11", "en")) == old.digest
    assert session.get(QuestionnaireVersion, old.id).content["questions"][0]["text"]["en"] \
        == definition.questions_for("8-11")[0].text.for_band("8-11")
