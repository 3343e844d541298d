"""Snapshots: a questionnaire exactly as served to one band in one language.

A response points at the snapshot it was answered against, so that a worker reading
it years later sees the words the child saw, with the English beside them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..i18n import translate_in_context
from ..models import QuestionnaireVersion
from .definition import Question, Questionnaire, Text, for_language

Translate = Callable[[str, str], str]


def _both(text: Text | None, band: str, translate: Translate) -> dict[str, str] | None:
    if text is None:
        return None
    english = text.for_band(band)
    return {"text": translate(text.context, english), "en": english}


def _question(question: Question, band: str, language: str,
              translate: Translate) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": question.key,
        "type": question.type,
        "text": _both(question.text, band, translate),
        "hint": _both(question.hint, band, translate),
        "staff_text": question.staff_text,
        "rather_not_say": question.rather_not_say,
        "options": [{"key": option.key, "text": _both(option.text, band, translate),
                     "picture": for_language(option.picture, language),
                     "audio": for_language(option.audio, language)}
                    for option in question.options],
        "picture": for_language(question.picture, language),
        "audio": for_language(question.audio, language),
        "indicator": question.indicator,
        "positive": question.positive.as_dict() if question.positive else None,
        "alert": ({**question.alert.condition.as_dict(), "summary": question.alert.summary}
                  if question.alert else None),
        "show_if": ({"question": question.show_if.question,
                     **question.show_if.condition.as_dict()} if question.show_if else None),
    }
    if question.scale is not None:
        data["scale"] = {"min": question.scale.minimum, "max": question.scale.maximum,
                         "low": _both(question.scale.low, band, translate),
                         "high": _both(question.scale.high, band, translate)}
    if question.type == "free_text":
        data["max_length"] = question.max_length
    return data


def render(questionnaire: Questionnaire, band: str, language: str,
           translate: Translate | None = None) -> dict[str, Any]:
    """Everything the child will read in ``band`` and ``language``, with the English beside it.

    ``translate`` defaults to the app's catalogs in ``language``.
    """
    if band not in questionnaire.bands:
        raise ValueError(f"{questionnaire.id} does not offer band {band}")

    def build(tr: Translate) -> dict[str, Any]:
        return {
            "questionnaire": questionnaire.id,
            "band": band,
            "language": language,
            "title": _both(questionnaire.title, band, tr),
            "staff_title": questionnaire.staff_title,
            "intro": _both(questionnaire.intro, band, tr),
            "questions": [_question(q, band, language, tr)
                          for q in questionnaire.questions_for(band)],
        }

    if translate is not None:
        return build(translate)
    with force_locale(language):
        return build(translate_in_context)


def digest(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def snapshot_version(session: Session, questionnaire: Questionnaire, band: str,
                     language: str) -> QuestionnaireVersion:
    """The stored snapshot of this wording, created the first time it is served."""
    content = render(questionnaire, band, language)
    key = digest(content)
    by_digest = select(QuestionnaireVersion).where(QuestionnaireVersion.digest == key)
    existing = session.scalar(by_digest)
    if existing is not None:
        return existing
    version = QuestionnaireVersion(questionnaire_key=questionnaire.id, band=band,
                                   language=language, digest=key, content=content)
    try:
        # A savepoint, so that losing a race to another request does not undo the caller's work.
        with session.begin_nested():
            session.add(version)
    except IntegrityError:
        version = session.scalars(by_digest).one()
    return version
