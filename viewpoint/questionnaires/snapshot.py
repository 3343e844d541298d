"""Snapshots: a questionnaire exactly as served to one band in one language.

A response points at the snapshot it was answered against, so that a worker reading
it years later sees the words the child saw, with the English beside them.

The stored content is a plain dict (JSON in the database); everything reads it through
:class:`Snapshot`, which also holds the one evaluator of its rules: which questions a
child is shown given their answers (``show_if``) and which answers count as positive for
an indicator. The child's pages, the worker's reading and the dashboards' totals all ask
it, so they can never disagree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..i18n import translate_in_context
from ..models import QuestionnaireVersion
from .definition import BANDS, Band, Condition, Question, Questionnaire, Text, for_language
from .library import council_texts

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
                     "audio": for_language(option.audio, language),
                     **({"exclusive": True} if option.exclusive else {})}
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
    if question.talk_request:
        data["talk_request"] = True
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
        content = {
            "questionnaire": questionnaire.id,
            "band": band,
            "language": language,
            "title": _both(questionnaire.title, band, tr),
            "staff_title": questionnaire.staff_title,
            "intro": _both(questionnaire.intro, band, tr),
            "help": list(questionnaire.help.get(band, ())),
            "questions": [_question(q, band, language, tr)
                          for q in questionnaire.questions_for(band)],
        }
        if questionnaire.definition_id is not None:
            # A stored version: the response keeps to it even after a newer is published.
            content["definition"] = questionnaire.definition_id
        return content

    if translate is not None:
        return build(translate)
    with force_locale(language):
        return build(translate_in_context)


def digest(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _translate(session: Session, questionnaire: Questionnaire,
               language: str) -> Translate | None:
    """The council's own translations of this questionnaire first, then the app's catalogs
    (None: the catalogs alone, when the council has none)."""
    own = council_texts(session, questionnaire.id, language)
    if not own:
        return None

    def translate(context: str, english: str) -> str:
        found = own.get((context, english))
        if found:
            return found
        with force_locale(language):
            return translate_in_context(context, english)

    return translate


def snapshot_version(session: Session, questionnaire: Questionnaire, band: str,
                     language: str) -> QuestionnaireVersion:
    """The stored snapshot of this wording, created the first time it is served."""
    content = render(questionnaire, band, language, _translate(session, questionnaire, language))
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


class Snapshot:
    """A stored snapshot, read-only: its questions as served, and its rules evaluated.

    Questions stay the dicts :func:`render` made (templates and the PDF read their keys);
    their conditions are parsed once, here, when the snapshot is first read.
    """

    def __init__(self, content: Mapping[str, Any]) -> None:
        #: The stored content as it is (callers must not change it).
        self.content = content
        self.questions: list[dict[str, Any]] = list(content.get("questions") or ())
        self._by_key = {question["key"]: question for question in self.questions}
        self._show_if: dict[str, tuple[str, Condition]] = {}
        self._positive: dict[str, Condition] = {}
        self._indicators = [q for q in self.questions if q.get("indicator")]
        for question in self.questions:
            if rule := question.get("show_if"):
                self._show_if[question["key"]] = (rule["question"], Condition.from_dict(rule))
            if rule := question.get("positive"):
                self._positive[question["key"]] = Condition.from_dict(rule)

    # --- what was served ---

    @property
    def questionnaire_key(self) -> str:
        return str(self.content.get("questionnaire", ""))

    @property
    def band(self) -> str:
        return str(self.content["band"])

    @property
    def definition_id(self) -> int | None:
        """The stored version of the questionnaire it was made from (None: as shipped)."""
        found = self.content.get("definition")
        return found if isinstance(found, int) else None

    @property
    def band_rules(self) -> Band:
        """How the band's pages are laid out, and which ages it covers."""
        return BANDS[self.band]

    @property
    def language(self) -> str:
        return str(self.content.get("language", "en"))

    @property
    def title(self) -> dict[str, str] | None:
        """``{"text": as served, "en": English}``."""
        return self.content.get("title")

    @property
    def intro(self) -> dict[str, str] | None:
        return self.content.get("intro")

    @property
    def help(self) -> list[str]:
        """The helplines (ids) this band is pointed to; empty in snapshots stored before
        questionnaires chose them (the band's default is used)."""
        return list(self.content.get("help") or ())

    def is_talk_request(self, key: str) -> bool:
        """Whether question ``key`` asks if the child wants someone to talk with them."""
        question = self._by_key.get(key)
        return bool(question and question.get("talk_request"))

    @property
    def staff_title(self) -> str | None:
        return self.content.get("staff_title")

    def question(self, key: str) -> dict[str, Any] | None:
        """The question ``key`` as served, or None if this snapshot does not have it."""
        return self._by_key.get(key)

    # --- its rules ---

    def is_shown(self, key: str, values: Mapping[str, Any]) -> bool:
        """Whether question ``key`` is asked, given the answers so far (key -> value; a
        declined or missing answer is None and never satisfies a ``show_if``)."""
        rule = self._show_if.get(key)
        return rule is None or rule[1].matches(values.get(rule[0]))

    def depends_on(self, key: str) -> str | None:
        """The question whose answer decides whether ``key`` is asked, if any."""
        rule = self._show_if.get(key)
        return rule[0] if rule else None

    def visible_questions(self, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The questions this child is shown, given their answers (key -> value)."""
        return [q for q in self.questions if self.is_shown(q["key"], values)]

    def is_positive(self, key: str, value: Any) -> bool:
        """Whether ``value`` counts as positive for question ``key``'s indicator (False
        for a question without a positive rule, and for a declined or missing answer)."""
        rule = self._positive.get(key)
        return rule is not None and rule.matches(value)

    def indicator_questions(self) -> list[dict[str, Any]]:
        """The questions that feed an indicator, in order (callers must not change it)."""
        return self._indicators


#: Snapshots by digest. A snapshot never changes once stored (new wording is a new
#: snapshot with a new digest), so each process reads each one once.
_SNAPSHOTS: dict[str, Snapshot] = {}


def snapshot_of(session: Session, version_id: int, digest: str | None = None) -> Snapshot:
    """The snapshot stored as ``version_id`` (pass its ``digest`` when it is known: a
    snapshot read before costs no query at all). Raises ``LookupError`` if there is none."""
    if digest is None:
        digest = session.scalar(select(QuestionnaireVersion.digest)
                                .where(QuestionnaireVersion.id == version_id))
        if digest is None:
            raise LookupError(f"no questionnaire version {version_id}")
    found = _SNAPSHOTS.get(digest)
    if found is None:
        content = session.scalar(select(QuestionnaireVersion.content)
                                 .where(QuestionnaireVersion.id == version_id))
        if content is None:
            raise LookupError(f"no questionnaire version {version_id}")
        if len(_SNAPSHOTS) > 512:
            _SNAPSHOTS.clear()
        found = _SNAPSHOTS[digest] = Snapshot(content)
    return found
