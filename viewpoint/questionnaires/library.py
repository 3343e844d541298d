"""The questionnaires a council serves: its published versions, over the shipped starting set.

A questionnaire's versions live in the database (``QuestionnaireDefinition``). Children
are served the one published version of each questionnaire; a questionnaire that comes
with viewpoint and has never been stored is served as shipped, so a new database works
before anyone has opened the editor. Once any version of a shipped questionnaire is
stored, the stored versions decide (a council may retire a shipped questionnaire).

Indicators are the shipped ones (``definitions/indicators.yaml``) and those the council
added (``IndicatorDefinition``).

The catalogue is built once per process and rebuilt only when what is published changes:
each request asks the database one small question (which versions are published, and when
an indicator last changed) to know whether its copy is still right. Several app servers
therefore never serve different questionnaires for longer than one request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from copy import deepcopy
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flask import current_app, g
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..i18n import translate_in_context
from ..models import (
    DefinitionStatus,
    IndicatorDefinition,
    QuestionnaireDefinition,
    QuestionnaireText,
)
from .checks import QuestionnaireChecker
from .definition import Catalogue, Indicator, Questionnaire
from .loader import DEFINITIONS_DIR, load_definitions
from .problems import Problem
from .reading import INDICATORS_FILE, question_owners, read_yaml

log = logging.getLogger(__name__)

#: ``origin`` of a version that came with viewpoint.
SHIPPED = "shipped"


def shipped_sources(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """The shipped definitions as plain data (id -> definition), as stored in the database.

    Raises ``DefinitionError`` if a shipped file has a mistake (``make test`` checks them).
    """
    directory = directory or DEFINITIONS_DIR
    sources: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == INDICATORS_FILE:
            continue
        problems: list[Problem] = []
        data = read_yaml(path, problems, question_owners)
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            sources[data["id"]] = plain(data)
    return sources


def plain(data: Any) -> Any:
    """``data`` as plain dicts and lists (what JSON stores), without the line numbers the
    YAML reader keeps."""
    if isinstance(data, Mapping):
        return {str(key): plain(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [plain(value) for value in data]
    return data


def council_indicators(session: Session) -> dict[str, Indicator]:
    rows = session.scalars(select(IndicatorDefinition).order_by(IndicatorDefinition.key))
    return {row.key: Indicator(row.key, row.label, row.theme) for row in rows}


@dataclass(frozen=True)
class Checked:
    """A stored version checked as ``viewpoint questionnaires check`` checks a file."""

    questionnaire: Questionnaire | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.questionnaire is not None and not self.problems


def check_source(source: Any, key: str, name: str, indicators: dict[str, Indicator],
                 static_dir: Path | None) -> Checked:
    """Check one definition held as data (a stored version, an uploaded workbook).

    ``name`` is what problems are reported against ("back-home v2"); ``key`` is the id the
    definition must keep. Raises nothing for a mistake: each is a :class:`Problem`.
    """
    checker = QuestionnaireChecker(Path(name), indicators, static_dir, expected_id=key)
    questionnaire = checker.run(deepcopy(source))
    return Checked(questionnaire, checker.problems)


def _fingerprint(source: Any) -> str:
    canonical = json.dumps(source, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Library:
    """The shipped definitions, and the catalogue the database makes of them and the
    council's versions (one per app; safe to share between threads)."""

    def __init__(self, shipped: Catalogue, shipped_dir: Path | None,
                 static_dir: Path | None) -> None:
        #: The definitions that come with viewpoint, checked when the app started.
        self.shipped = shipped
        self.shipped_dir = shipped_dir
        self.static_dir = static_dir
        self._lock = threading.Lock()
        self._cached: tuple[Any, Catalogue] | None = None
        #: Versions built before, by id and content: a published version never changes, so
        #: it is built once per process (the content is part of the key because an id a
        #: rolled-back transaction used can be given again).
        self._versions: dict[tuple[int, str], Questionnaire] = {}

    def indicators(self, session: Session) -> dict[str, Indicator]:
        """Every indicator a questionnaire may feed: the shipped ones, then the council's."""
        return {**self.shipped.indicators, **council_indicators(session)}

    def catalogue(self, session: Session) -> Catalogue:
        """What children are served now (see the module's docstring)."""
        published = tuple(session.scalars(
            select(QuestionnaireDefinition.id)
            .where(QuestionnaireDefinition.status == DefinitionStatus.PUBLISHED)
            .order_by(QuestionnaireDefinition.id)))
        stored_keys = frozenset(session.scalars(
            select(QuestionnaireDefinition.questionnaire_key).distinct()))
        indicators_changed = session.execute(
            select(func.count(), func.max(IndicatorDefinition.updated_at))).one()
        stamp = (published, stored_keys, tuple(indicators_changed))
        cached = self._cached
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with self._lock:
            catalogue = self._build(session, list(published), stored_keys)
            self._cached = (stamp, catalogue)
        return catalogue

    def _build(self, session: Session, published_ids: list[int],
               stored_keys: frozenset[str]) -> Catalogue:
        indicators = self.indicators(session)
        questionnaires = {key: questionnaire
                          for key, questionnaire in self.shipped.questionnaires.items()
                          if key not in stored_keys}
        if published_ids:
            rows = session.scalars(select(QuestionnaireDefinition)
                                   .where(QuestionnaireDefinition.id.in_(published_ids)))
            for row in rows:
                built = self._built(row, indicators)
                if built is not None:
                    questionnaires[row.questionnaire_key] = built
        ordered = dict(sorted(questionnaires.items()))
        return Catalogue(ordered, indicators, earlier=self.earlier)

    def _built(self, row: QuestionnaireDefinition,
               indicators: dict[str, Indicator]) -> Questionnaire | None:
        cache_key = (row.id, _fingerprint(row.source))
        found = self._versions.get(cache_key)
        if found is not None:
            return found
        checked = check_source(row.source, row.questionnaire_key,
                               f"{row.questionnaire_key} v{row.version}", indicators,
                               self.static_dir)
        if checked.questionnaire is None:
            # Checked when it was published; a later release may check more, or a picture
            # may have been removed. Say so loudly rather than serve it.
            log.error("questionnaire %s v%s does not pass its checks: %s",
                      row.questionnaire_key, row.version,
                      "; ".join(str(problem) for problem in checked.problems))
            return None
        built = replace(checked.questionnaire, definition_id=row.id)
        if row.status is not DefinitionStatus.DRAFT:
            if len(self._versions) > 256:
                self._versions.clear()
            self._versions[cache_key] = built
        return built

    def earlier(self, key: str, definition_id: int | None) -> Questionnaire | None:
        """Version ``definition_id`` of questionnaire ``key`` (None: the shipped one), for a
        child who started it before a newer version was published. Drafts are never served."""
        if definition_id is None:
            return self.shipped.get(key)
        row = db.session.get(QuestionnaireDefinition, definition_id)
        if row is None or row.questionnaire_key != key or row.status is DefinitionStatus.DRAFT:
            return None
        return self._built(row, self.indicators(db.session))


def load_library(shipped_dir: Path | None, static_dir: Path | None) -> Library:
    """The library for an app. Raises ``DefinitionError`` if a shipped file has a mistake."""
    return Library(load_definitions(shipped_dir, static_dir), shipped_dir, static_dir)


def council_texts(session: Session, key: str,
                  language: str) -> dict[tuple[str, str], str]:
    """(context, English) -> the words in ``language`` translators gave for questionnaire
    ``key`` (drafts included: a child reads a draft sooner than words they may not read)."""
    rows = session.execute(select(QuestionnaireText.context, QuestionnaireText.english,
                                  QuestionnaireText.text)
                           .where(QuestionnaireText.questionnaire_key == key,
                                  QuestionnaireText.language == language))
    return {(context, english): text for context, english, text in rows}


def translator(session: Session, key: str) -> Callable[[str, str, str], str | None]:
    """(language, context, English) -> the words in that language: the council's own
    translation if there is one, else the app's catalogs; None where neither has one."""
    cache: dict[str, dict[tuple[str, str], str]] = {}

    def translate(language: str, context: str, english: str) -> str | None:
        if language not in cache:
            cache[language] = council_texts(session, key, language)
        return cache[language].get((context, english)) or catalog_translation(
            language, context, english)

    return translate


def catalog_translation(language: str, context: str, english: str) -> str | None:
    """The app's own catalogs' words for ``english`` in ``language``, or None."""
    if language == "en":
        return None
    with force_locale(language):
        words = translate_in_context(context, english)
    return words if words != english else None


def library() -> Library:
    """The current app's library."""
    found: Library = current_app.extensions["viewpoint.library"]
    return found


def served() -> Catalogue:
    """What children are served now, for the current request (asked once per request)."""
    if "viewpoint_catalogue" not in g:
        g.viewpoint_catalogue = library().catalogue(db.session)
    catalogue: Catalogue = g.viewpoint_catalogue
    return catalogue
