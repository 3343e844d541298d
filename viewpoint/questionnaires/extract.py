"""Babel extractor: every question and option a child reads goes into ``messages.pot``.

Registered as the ``viewpoint_questionnaires`` extractor in ``pyproject.toml`` and
used by ``babel.cfg``. Each message carries a context naming its questionnaire and
question (``before-care-review/safe_home``) so that translators can tell two
identical English phrases apart, and a comment saying which age bands read it.
"""

from __future__ import annotations

from collections.abc import Iterator
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


def _messages(text: Text | None, line: int, note: str) -> Iterator[Extracted]:
    if text is None:
        return
    for message in text.messages():
        bands = [band for band, value in text.by_band.items() if value == message]
        comment = f"{note} Read by ages {', '.join(bands)}."
        yield line, "pgettext", (text.context, message), [comment]


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
    yield from _messages(questionnaire.title, _line(raw, "title"), "Questionnaire title.")
    yield from _messages(questionnaire.intro, _line(raw, "intro"), "Welcome text.")
    raw_questions = {item["key"]: item for item in raw["questions"]}
    for question in questionnaire.questions:
        yield from _question_messages(question, raw_questions[question.key])


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


def _question_messages(question: Question, item: Any) -> Iterator[Extracted]:
    """The question's words, its hint, its scale labels and its options' words."""
    note = f"Question ({question.type}); staff read it as: {question.staff_text}."
    yield from _messages(question.text, _line(item, "text"), note)
    yield from _messages(question.hint, _line(item, "hint"), "Hint under the question.")
    if question.scale is not None:
        scale_line = _line(item, "scale")
        yield from _messages(question.scale.low, scale_line,
                             f"Label for {question.scale.minimum} on the scale.")
        yield from _messages(question.scale.high, scale_line,
                             f"Label for {question.scale.maximum} on the scale.")
    for option in question.options:
        shared = (question.type in BUILT_IN_OPTIONS
                  and option.text.context.startswith("answer/"))
        note = (f"Answer shared by every {question.type} question." if shared
                else f"Answer to: {question.text.messages()[0]}")
        yield from _messages(option.text, _line(item, "options"), note)
