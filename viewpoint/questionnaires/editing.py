"""Changing a draft's definition one question at a time, as the authors' editor does.

A definition is the same plain structure as a YAML file (``FORMAT.md``). The editor's form
shows a question as a few plain fields, and this module turns them back into the
structure: only what the form shows is changed, so anything it does not show (pictures,
audio, wording of an answer for one age band) is kept as it was. Nothing here checks the
questionnaire as a whole: publishing does that with the same checks as a file, and shows
every problem beside its question.

Answer conditions (when a question is asked, which answers count as positive, which raise
an alert) are written as plain words: answer ids separated by commas (``sad, okay``), or,
for a scale, ``3 or more``, ``2 or less`` or ``2 to 4``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .definition import BUILT_IN_OPTIONS

_AT_LEAST = re.compile(r"(-?\d+)\s*(?:or more|\+|or above)", re.IGNORECASE)
_AT_MOST = re.compile(r"(-?\d+)\s*(?:or less|or fewer|or below)", re.IGNORECASE)
_BETWEEN = re.compile(r"(-?\d+)\s*(?:to|-|–)\s*(-?\d+)", re.IGNORECASE)
_ANSWER_KEY = re.compile(r"[a-z0-9_]+")
_OPTION_LINE = re.compile(r"\s*([A-Za-z0-9_]+)\s*[=:]\s*(.+?)\s*")


class EditError(ValueError):
    """A field the editor cannot turn into a definition; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def describe_condition(rule: Any) -> str:
    """A condition as the editor shows it ("sad, okay"; "3 or more"; "2 to 4")."""
    if rule is None:
        return ""
    if isinstance(rule, list):
        return ", ".join(str(key) for key in rule)
    if not isinstance(rule, Mapping):
        return str(rule)
    if "any_of" in rule:
        return ", ".join(str(key) for key in rule["any_of"] or [])
    low, high = rule.get("at_least"), rule.get("at_most")
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"{low} or more"
    if high is not None:
        return f"{high} or less"
    return ""


def parse_condition(text: str, field: str) -> dict[str, Any] | None:
    """The condition written in ``text`` (None if it is blank). Raises :class:`EditError`."""
    text = " ".join((text or "").split())
    if not text:
        return None
    if match := _BETWEEN.fullmatch(text):
        low, high = int(match[1]), int(match[2])
        if low > high:
            raise EditError(field, f"“{text}”: the first number must be the smaller.")
        return {"at_least": low, "at_most": high}
    if match := _AT_LEAST.fullmatch(text):
        return {"at_least": int(match[1])}
    if match := _AT_MOST.fullmatch(text):
        return {"at_most": int(match[1])}
    keys = [key.strip() for key in re.split(r"[,;]|\bor\b", text) if key.strip()]
    bad = [key for key in keys if not _ANSWER_KEY.fullmatch(key)]
    if bad:
        raise EditError(field, f"“{', '.join(bad)}” is not an answer id: write the answers' "
                               "ids separated by commas (sad, okay), or for a scale "
                               "“3 or more”, “2 or less” or “2 to 4”.")
    return {"any_of": keys}


def _default(value: Any) -> str:
    if isinstance(value, Mapping):
        return str(value.get("default") or next(iter(value.values()), "") or "")
    return str(value or "")


def _by_band(value: Any, band: str) -> str:
    return str(value.get(band) or "") if isinstance(value, Mapping) else ""


def _worded(default: str, bands: Mapping[str, str], earlier: Any) -> Any:
    """Wording in the definition's shape: a plain string, or a mapping with a default and
    each band's own words (other keys of the earlier mapping, if any, are kept)."""
    kept = {k: v for k, v in earlier.items() if k != "default" and k not in bands} \
        if isinstance(earlier, Mapping) else {}
    own = {band: words for band, words in bands.items() if words}
    if not own and not kept and not isinstance(earlier, Mapping):
        return default
    return {"default": default, **kept, **own}


@dataclass
class QuestionFields:
    """A question as the editor's form shows it."""

    key: str = ""
    type: str = "choose_one"
    bands: tuple[str, ...] = ()
    text: str = ""
    band_texts: dict[str, str] | None = None
    hint: str = ""
    staff_text: str = ""
    options: str = ""
    scale_min: int | None = None
    scale_max: int | None = None
    scale_low: str = ""
    scale_high: str = ""
    max_length: int | None = None
    show_if_question: str = ""
    show_if_answers: str = ""
    indicator: str = ""
    positive: str = ""
    alert_answers: str = ""
    alert_summary: str = ""
    talk_request: bool = False
    rather_not_say: bool = True


def fields_of(question: Mapping[str, Any], bands: tuple[str, ...]) -> QuestionFields:
    """What the editor shows for a question of the definition."""
    options = question.get("options") or []
    scale = question.get("scale") or {}
    show_if = question.get("show_if") or {}
    alert = question.get("alert") or {}
    return QuestionFields(
        key=str(question.get("key", "")), type=str(question.get("type", "")),
        bands=tuple(question.get("bands") or ()),
        text=_default(question.get("text")),
        band_texts={band: _by_band(question.get("text"), band) for band in bands},
        hint=_default(question.get("hint")), staff_text=str(question.get("staff_text", "")),
        options="\n".join(f"{option.get('key')} = {_default(option.get('text'))}"
                          for option in options if isinstance(option, Mapping)),
        scale_min=scale.get("min"), scale_max=scale.get("max"),
        scale_low=_default(scale.get("low")), scale_high=_default(scale.get("high")),
        max_length=question.get("max_length"),
        show_if_question=str(show_if.get("question", "")),
        show_if_answers=describe_condition({k: v for k, v in show_if.items()
                                            if k != "question"} or None),
        indicator=str(question.get("indicator") or ""),
        positive=describe_condition(question.get("positive")),
        alert_answers=describe_condition({k: v for k, v in alert.items() if k != "summary"}
                                         or None),
        alert_summary=str(alert.get("summary", "")),
        talk_request=bool(question.get("talk_request", False)),
        rather_not_say=bool(question.get("rather_not_say", True)))


def _options(text: str, earlier: list[Any], question_type: str) -> list[dict[str, Any]] | None:
    """The options written one a line ("key = words"), keeping what the form does not show
    (pictures, one band's words) of options that were there. None: none written."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        if question_type in ("choose_one", "choose_many"):
            raise EditError("options", "Write the answers, one a line: id = words "
                                       "(for example: a_lot = Yes, a lot).")
        return None
    before = {option.get("key"): option for option in earlier if isinstance(option, Mapping)}
    made = []
    for number, line in enumerate(lines, start=1):
        match = _OPTION_LINE.fullmatch(line)
        if not match or not _ANSWER_KEY.fullmatch(match[1]):
            raise EditError("options", f"Line {number} (“{line.strip()}”) must be an id, then "
                                       "= and the words, such as: a_lot = Yes, a lot. Ids "
                                       "use lower-case letters, digits and _.")
        option = copy.deepcopy(dict(before.get(match[1], {})))
        option["key"] = match[1]
        option["text"] = _worded(match[2], {}, option.get("text"))
        made.append(option)
    keys = [option["key"] for option in made]
    if len(set(keys)) != len(keys):
        raise EditError("options", "Two answers have the same id: each needs its own.")
    return made


def apply_question(source: Mapping[str, Any], original_key: str | None,
                   fields: QuestionFields) -> dict[str, Any]:
    """The definition with the question ``original_key`` replaced by ``fields`` (or, with
    ``original_key`` None, added at the end). Raises :class:`EditError` for a field that
    cannot be written into the definition at all."""
    changed = copy.deepcopy(dict(source))
    questions: list[Any] = changed.setdefault("questions", [])
    index = next((i for i, q in enumerate(questions)
                  if isinstance(q, Mapping) and q.get("key") == original_key), None)
    if original_key is not None and index is None:
        raise EditError("key", f"The question {original_key} is no longer in the draft.")
    if not _ANSWER_KEY.fullmatch(fields.key or ""):
        raise EditError("key", "Give the question an id of lower-case letters, digits and _.")
    if any(isinstance(q, Mapping) and q.get("key") == fields.key
           for i, q in enumerate(questions) if i != index):
        raise EditError("key", f"Another question already has the id {fields.key}.")
    if original_key is not None and fields.key != original_key:
        _rename(questions, original_key, fields.key)
    earlier = dict(questions[index]) if index is not None else {}
    question = _question(earlier, fields)
    if index is None:
        questions.append(question)
    else:
        questions[index] = question
    return changed


def _question(earlier: dict[str, Any], fields: QuestionFields) -> dict[str, Any]:
    question = copy.deepcopy(earlier)
    question["key"], question["type"] = fields.key, fields.type
    question["text"] = _worded(fields.text.strip(), fields.band_texts or {},
                               earlier.get("text"))
    question["staff_text"] = fields.staff_text.strip()
    _set(question, "hint", _worded(fields.hint.strip(), {}, earlier.get("hint"))
         if fields.hint.strip() else None)
    _set(question, "bands", list(fields.bands) or None)
    if fields.type in BUILT_IN_OPTIONS or fields.type in ("choose_one", "choose_many"):
        _set(question, "options", _options(fields.options, earlier.get("options") or [],
                                           fields.type))
    else:
        question.pop("options", None)
    if fields.type == "scale":
        scale = dict(earlier.get("scale") or {})
        for name, value in (("min", fields.scale_min), ("max", fields.scale_max)):
            _set(scale, name, value)
        _set(scale, "low", _worded(fields.scale_low.strip(), {}, scale.get("low"))
             if fields.scale_low.strip() else None)
        _set(scale, "high", _worded(fields.scale_high.strip(), {}, scale.get("high"))
             if fields.scale_high.strip() else None)
        question["scale"] = scale
    else:
        question.pop("scale", None)
    _set(question, "max_length", fields.max_length if fields.type == "free_text" else None)
    show_if = parse_condition(fields.show_if_answers, "show_if_answers")
    if fields.show_if_question and show_if is None:
        raise EditError("show_if_answers", "Say which answers to that question mean this "
                                           "question is asked.")
    _set(question, "show_if", {"question": fields.show_if_question, **show_if}
         if fields.show_if_question and show_if else None)
    _set(question, "indicator", fields.indicator or None)
    positive = parse_condition(fields.positive, "positive")
    _set(question, "positive", (positive["any_of"] if positive and "any_of" in positive
                                else positive) if fields.indicator else None)
    alert = parse_condition(fields.alert_answers, "alert_answers")
    if alert is not None and not fields.alert_summary.strip():
        raise EditError("alert_summary", "Say in a few words what the worker is told (for "
                                         "example: Said they feel sad since coming back).")
    _set(question, "alert", {**alert, "summary": fields.alert_summary.strip()}
         if alert is not None else None)
    _set(question, "talk_request", True if fields.talk_request else None)
    _set(question, "rather_not_say", None if fields.rather_not_say else False)
    return question


def _set(mapping: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value


def _rename(questions: list[Any], old: str, new: str) -> None:
    """Rules that name a renamed question follow it."""
    for question in questions:
        if isinstance(question, dict):
            show_if = question.get("show_if")
            if isinstance(show_if, dict) and show_if.get("question") == old:
                show_if["question"] = new


def remove_question(source: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The definition without question ``key`` (a rule that asked about it is then a
    problem the checks name, for the author to put right)."""
    changed = copy.deepcopy(dict(source))
    changed["questions"] = [q for q in changed.get("questions") or []
                            if not (isinstance(q, Mapping) and q.get("key") == key)]
    return changed


def move_question(source: Mapping[str, Any], key: str, step: int) -> dict[str, Any]:
    """The definition with question ``key`` moved ``step`` places (-1 up, 1 down)."""
    changed = copy.deepcopy(dict(source))
    questions = changed.get("questions") or []
    index = next((i for i, q in enumerate(questions)
                  if isinstance(q, Mapping) and q.get("key") == key), None)
    if index is not None and 0 <= index + step < len(questions):
        questions[index], questions[index + step] = questions[index + step], questions[index]
    return changed


@dataclass
class SettingsFields:
    """The questionnaire's own fields as the editor shows them."""

    title: str = ""
    staff_title: str = ""
    intro: str = ""
    plan_kinds: tuple[str, ...] = ()
    bands: tuple[str, ...] = ()


def settings_of(source: Mapping[str, Any]) -> SettingsFields:
    return SettingsFields(title=_default(source.get("title")),
                          staff_title=str(source.get("staff_title", "")),
                          intro=_default(source.get("intro")),
                          plan_kinds=tuple(source.get("plan_kinds") or ()),
                          bands=tuple(source.get("bands") or ()))


def apply_settings(source: Mapping[str, Any], fields: SettingsFields) -> dict[str, Any]:
    changed = copy.deepcopy(dict(source))
    changed["title"] = _worded(fields.title.strip(), {}, source.get("title"))
    changed["staff_title"] = fields.staff_title.strip()
    _set(changed, "intro", _worded(fields.intro.strip(), {}, source.get("intro"))
         if fields.intro.strip() else None)
    changed["plan_kinds"] = list(fields.plan_kinds)
    changed["bands"] = list(fields.bands)
    return changed
