"""Babel extractor: every question and option a child reads goes into ``messages.pot``.

Registered as the ``viewpoint_questionnaires`` extractor in ``pyproject.toml`` and
used by ``babel.cfg``. Each message carries a context naming its questionnaire and
question (``before-care-review/safe_home``) so that translators can tell two
identical English phrases apart, and a comment saying which age bands read it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .checks import QuestionnaireChecker
from .definition import BUILT_IN_OPTIONS, Question, Questionnaire, Text
from .problems import DefinitionError, Problem
from .reading import INDICATORS_FILE, load_indicators, read_yaml

#: (line number, function name, (context, message), translator comments)
Extracted = tuple[int, str, tuple[str, str], list[str]]


def _line(mapping: Any, key: str) -> int:
    lines = getattr(mapping, "lines", {})
    return lines.get(key, getattr(mapping, "line", 1))


@dataclass(frozen=True)
class Message:
    """One text a translator translates: its context, its English, which bands read it, and
    a note saying where it appears (for translators, who see neither the page nor the YAML)."""

    context: str
    english: str
    bands: tuple[str, ...]
    note: str
    #: The question it belongs to (None for the title and the welcome).
    question: str | None
    #: What it is in the definition (``title``, ``intro``, ``text``, ``hint``, ``scale``,
    #: ``options``): where the extractor looks for its line.
    field: str

    @property
    def comment(self) -> str:
        return f"{self.note} Read by ages {', '.join(self.bands)}."


def _each(text: Text | None, note: str, question: str | None,
          field_: str) -> Iterator[Message]:
    if text is None:
        return
    for english in text.messages():
        bands = tuple(band for band, value in text.by_band.items() if value == english)
        yield Message(text.context, english, bands, note, question, field_)


def messages_of(questionnaire: Questionnaire) -> Iterator[Message]:
    """Every text of ``questionnaire`` a child reads, in the order they meet them (a text
    shared by two questions, such as a built-in answer, is given each time)."""
    yield from _each(questionnaire.title, "Questionnaire title.", None, "title")
    yield from _each(questionnaire.intro, "Welcome text.", None, "intro")
    for question in questionnaire.questions:
        yield from _question_messages(question)


def extract_questionnaires(fileobj: IO[bytes], keywords: Any, comment_tags: Any,
                           options: dict[str, Any]) -> Iterator[Extracted]:
    """Yield every translatable string in one definition file.

    Raises :class:`DefinitionError` if the file has mistakes: a catalog must never be
    built from a definition the app would refuse to load.
    """
    path = Path(getattr(fileobj, "name", "definition.yaml"))
    if path.name == INDICATORS_FILE:
        yield from _indicator_messages(path)
        return
    raw, questionnaire = _checked(path)
    raw_questions = {item["key"]: item for item in raw["questions"]}
    for message in messages_of(questionnaire):
        where = raw if message.question is None else raw_questions[message.question]
        yield (_line(where, message.field), "pgettext", (message.context, message.english),
               [message.comment])


def _indicator_messages(path: Path) -> Iterator[Extracted]:
    # Mistakes in this file are not raised here: extracting any questionnaire loads
    # the indicators and raises them there.
    data = read_yaml(path, [])
    for key, spec in (data or {}).get("indicators", {}).items():
        yield (_line(data["indicators"], key), "pgettext", (f"indicator/{key}", spec["label"]),
               ["Dashboard indicator: the share of children who said this."])


def _checked(path: Path) -> tuple[Any, Questionnaire]:
    """The file's YAML and the questionnaire built from it.

    Raises :class:`DefinitionError` if the file or the indicators file has mistakes.
    """
    problems: list[Problem] = []
    indicators = load_indicators(path.parent / INDICATORS_FILE, problems)
    checker = QuestionnaireChecker(path, indicators, static_dir=None)
    raw = read_yaml(path, checker.problems)
    questionnaire = checker.run(raw) if raw is not None else None
    problems.extend(checker.problems)
    if problems or questionnaire is None:
        raise DefinitionError(problems)
    return raw, questionnaire


def _question_messages(question: Question) -> Iterator[Message]:
    """The question's words, its hint, its scale labels and its options' words."""
    key = question.key
    note = f"Question ({question.type}); staff read it as: {question.staff_text}."
    yield from _each(question.text, note, key, "text")
    yield from _each(question.hint, "Hint under the question.", key, "hint")
    if question.scale is not None:
        yield from _each(question.scale.low,
                         f"Label for {question.scale.minimum} on the scale.", key, "scale")
        yield from _each(question.scale.high,
                         f"Label for {question.scale.maximum} on the scale.", key, "scale")
    for option in question.options:
        shared = (question.type in BUILT_IN_OPTIONS
                  and option.text.context.startswith("answer/"))
        note = (f"Answer shared by every {question.type} question." if shared
                else f"Answer to: {question.text.messages()[0]}")
        yield from _each(option.text, note, key, "options")
