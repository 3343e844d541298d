"""What the authors' pages share: who is signed in, the library, the languages, and a
version looked up by its number (404 where there is none)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..i18n import available_languages
from ..models import QuestionnaireDefinition, User
from ..operations import authoring
from ..questionnaires import Questionnaire
from ..questionnaires.library import Library, library


def user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def the_library() -> Library:
    return library()


def languages() -> list[str]:
    return list(available_languages())


def version(key: str, number: int) -> QuestionnaireDefinition:
    found = db.session.scalar(select(QuestionnaireDefinition).where(
        QuestionnaireDefinition.questionnaire_key == key,
        QuestionnaireDefinition.version == number))
    if found is None:
        abort(404)
    return found


def built_version(key: str, number: int) -> tuple[QuestionnaireDefinition | None, Questionnaire]:
    """Version ``number`` as a questionnaire (404 if there is none, or it cannot be built).
    Version 0 is a shipped questionnaire as shipped, on a database that has never stored it
    (``viewpoint db upgrade`` stores them)."""
    definition = None
    if number == 0 and not authoring.versions_of(db.session, key):
        built = the_library().shipped.get(key)
    else:
        definition = version(key, number)
        built = authoring.built(db.session, the_library(), definition)
    if built is None:
        abort(404)
    return definition, built
