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

from .definition import BUILT_IN_OPTIONS, Text
from .loader import INDICATORS_FILE, DefinitionError, _Checker, _load_indicators, _read_yaml

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
    problems: list = []
    if path.name == INDICATORS_FILE:
        data = _read_yaml(path, problems)
        for key, spec in (data or {}).get("indicators", {}).items():
            yield (_line(data["indicators"], key), "pgettext", (f"indicator/{key}", spec["label"]),
                   ["Dashboard indicator: the share of children who said this."])
        return
    indicators = _load_indicators(path.parent / INDICATORS_FILE, problems)
    checker = _Checker(path, indicators, static_dir=None)
    raw = _read_yaml(path, checker.problems)
    questionnaire = checker.run(raw) if raw is not None else None
    problems.extend(checker.problems)
    if problems or questionnaire is None:
        raise DefinitionError(problems)
    yield from _messages(questionnaire.title, _line(raw, "title"), "Questionnaire title.")
    yield from _messages(questionnaire.intro, _line(raw, "intro"), "Welcome text.")
    raw_questions = {item["key"]: item for item in raw["questions"]}
    for question in questionnaire.questions:
        item = raw_questions[question.key]
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
