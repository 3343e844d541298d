"""What a questionnaire definition is, once loaded and checked.

These are plain frozen objects: the loader builds them from YAML and checks them
(see ``loader.py``); everything else only reads them. ``FORMAT.md`` beside this
file documents the YAML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Band:
    """An age band: which ages it covers and how its pages are laid out."""

    key: str
    youngest: int
    oldest: int
    #: "one-per-screen" (big pictures, one question a screen) or "pages" (short pages).
    layout: str
    #: The child answers by picture and sound alone: every answer has a picture (a scale is
    #: drawn as faces) and no question needs writing.
    by_picture: bool = False

    def covers(self, age: int) -> bool:
        return self.youngest <= age <= self.oldest


#: Every band a questionnaire may offer, youngest first.
BANDS: dict[str, Band] = {
    band.key: band
    for band in (
        Band("4-7", 4, 7, "one-per-screen", by_picture=True),
        Band("8-11", 8, 11, "one-per-screen"),
        Band("12-17", 12, 17, "pages"),
        Band("16-25", 16, 25, "pages"),
    )
}

QUESTION_TYPES = ("faces", "yes_no", "scale", "choose_one", "choose_many", "free_text")

#: Types whose answer is one or more option keys.
CHOICE_TYPES = frozenset({"faces", "yes_no", "choose_one", "choose_many"})

#: Options every ``faces`` / ``yes_no`` question has, in the order shown.
BUILT_IN_OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "faces": (("happy", "Happy"), ("okay", "In the middle"), ("sad", "Sad")),
    "yes_no": (("yes", "Yes"), ("not_sure", "Not sure"), ("no", "No")),
}

#: Pictures for the built-in options, under ``static/``. A face shows how the child feels;
#: the yes / not sure / no pictures are a head nodding, a question mark and a head shaking,
#: all alike in colour and expression, so that none of them says which answer is good.
BUILT_IN_PICTURES: dict[str, dict[str, dict[str, str]]] = {
    "faces": {key: {"default": f"img/faces/{key}.svg"} for key in ("happy", "okay", "sad")},
    "yes_no": {"yes": {"default": "img/answers/nod.svg"},
               "not_sure": {"default": "img/answers/not-sure.svg"},
               "no": {"default": "img/answers/shake.svg"}},
}

#: What a shipped picture says about an answer. A child who goes by the pictures must
#: never be steered: an answer that raises an alert never shows an approving picture, and
#: yes / not sure / no answers show only neutral ones (see checks.py). A picture an author
#: adds must be listed here before a definition can use it on such an answer.
PICTURE_TONES: dict[str, str] = {
    "img/faces/happy.svg": "approving",
    "img/faces/okay.svg": "neutral",
    "img/faces/sad.svg": "disapproving",
    "img/answers/nod.svg": "neutral",
    "img/answers/not-sure.svg": "neutral",
    "img/answers/shake.svg": "neutral",
}


def picture_tone(path: str | None) -> str | None:
    """"approving", "disapproving" or "neutral" for a known picture; None for no picture,
    "unknown" for a picture not listed in :data:`PICTURE_TONES`."""
    if not path:
        return None
    return PICTURE_TONES.get(path, "unknown")


def for_language(media: dict[str, str], language: str) -> str | None:
    """The file for ``language``, else the ``default`` one, else None."""
    return media.get(language) or media.get("default")

PLAN_KINDS = ("child_in_need", "child_protection", "care_plan", "pathway_plan")

DEFAULT_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Text:
    """Words a child reads: English per band, and the gettext context that identifies them."""

    context: str
    by_band: dict[str, str]

    def for_band(self, band: str) -> str:
        return self.by_band[band]

    def messages(self) -> list[str]:
        """Each distinct English string once, in band order."""
        seen: list[str] = []
        for text in self.by_band.values():
            if text not in seen:
                seen.append(text)
        return seen


@dataclass(frozen=True)
class Option:
    key: str
    text: Text
    #: Picture per language code (``default`` for every other language), under ``static/``.
    picture: dict[str, str] = field(default_factory=dict)
    #: Recorded audio per language code, paths under ``static/``.
    audio: dict[str, str] = field(default_factory=dict)
    #: "None of these" and the like: cannot be chosen together with another option.
    exclusive: bool = False


@dataclass(frozen=True)
class Scale:
    minimum: int
    maximum: int
    low: Text | None
    high: Text | None


@dataclass(frozen=True)
class Condition:
    """A test on one answer: one of some option keys, or a number at least/at most N."""

    any_of: frozenset[str] | None = None
    at_least: int | None = None
    at_most: int | None = None

    def matches(self, value: Any) -> bool:
        """Whether an answer value (option key, list of keys or number) meets the condition.

        A declined or missing answer (``None``) never matches.
        """
        if value is None:
            return False
        if self.any_of is not None:
            if isinstance(value, list):
                return bool(self.any_of.intersection(value))
            return value in self.any_of
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        if self.at_least is not None and value < self.at_least:
            return False
        return not (self.at_most is not None and value > self.at_most)

    @classmethod
    def from_dict(cls, rule: Mapping[str, Any]) -> Condition:
        """The condition a snapshot stored with :meth:`as_dict`."""
        any_of = rule.get("any_of")
        return cls(any_of=frozenset(any_of) if any_of is not None else None,
                   at_least=rule.get("at_least"), at_most=rule.get("at_most"))

    def as_dict(self) -> dict[str, Any]:
        if self.any_of is not None:
            return {"any_of": sorted(self.any_of)}
        result: dict[str, Any] = {}
        if self.at_least is not None:
            result["at_least"] = self.at_least
        if self.at_most is not None:
            result["at_most"] = self.at_most
        return result


@dataclass(frozen=True)
class ShowIf:
    question: str
    condition: Condition


@dataclass(frozen=True)
class AlertRule:
    condition: Condition
    #: Plain English for the worker.
    summary: str


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    text: Text
    staff_text: str
    bands: tuple[str, ...]
    hint: Text | None = None
    rather_not_say: bool = True
    options: tuple[Option, ...] = ()
    scale: Scale | None = None
    max_length: int = DEFAULT_MAX_LENGTH
    show_if: ShowIf | None = None
    indicator: str | None = None
    positive: Condition | None = None
    alert: AlertRule | None = None
    #: Picture per language code (``default`` for every other language), under ``static/``.
    picture: dict[str, str] = field(default_factory=dict)
    #: Recorded audio per language code, paths under ``static/``.
    audio: dict[str, str] = field(default_factory=dict)
    #: The child is asked whether they want someone to talk with them: "yes" must raise an
    #: alert, as pressing "I want to talk to someone" does, and the thank-you page says so.
    talk_request: bool = False

    def raises_alert(self, value: Any) -> bool:
        """Whether an answer (a cleaned value; None when declined) meets the alert rule."""
        return self.alert is not None and self.alert.condition.matches(value)

    def option(self, key: str) -> Option | None:
        return next((option for option in self.options if option.key == key), None)

    def answer_keys(self) -> frozenset[str]:
        return frozenset(option.key for option in self.options)

    def clean_answer(self, value: Any) -> Any:
        """The answer in its stored form, or ``ValueError`` saying why it cannot be accepted."""
        if self.type in ("faces", "yes_no", "choose_one"):
            if not isinstance(value, str) or value not in self.answer_keys():
                raise ValueError("not one of this question's answers")
            return value
        if self.type == "choose_many":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("expected a list of answers")
            unknown = set(value) - self.answer_keys()
            if unknown:
                raise ValueError("not one of this question's answers")
            exclusive = {option.key for option in self.options if option.exclusive}
            if len(set(value)) > 1 and exclusive.intersection(value):
                raise ValueError("this answer cannot be chosen with another")
            # Keep the definition's order and drop repeats.
            return [option.key for option in self.options if option.key in value]
        if self.type == "scale":
            assert self.scale is not None
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("expected a whole number")
            if not self.scale.minimum <= value <= self.scale.maximum:
                raise ValueError(
                    f"expected a number from {self.scale.minimum} to {self.scale.maximum}")
            return value
        if not isinstance(value, str):
            raise ValueError("expected text")
        value = value.strip()
        if len(value) > self.max_length:
            raise ValueError(f"longer than {self.max_length} characters")
        return value


@dataclass(frozen=True)
class Questionnaire:
    id: str
    title: Text
    staff_title: str
    plan_kinds: tuple[str, ...]
    bands: tuple[str, ...]
    questions: tuple[Question, ...]
    intro: Text | None = None
    #: The file it came from, for messages.
    source: str = ""
    #: Which helplines (ids in ``helplines.py``) each band is pointed to, in order.
    help: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: The stored version it was built from (``QuestionnaireDefinition.id``); None for a
    #: shipped definition served straight from its file.
    definition_id: int | None = None

    def questions_for(self, band: str) -> list[Question]:
        """The questions asked in ``band``, in order."""
        return [question for question in self.questions if band in question.bands]

    def question(self, key: str) -> Question | None:
        return next((question for question in self.questions if question.key == key), None)

    def band_for_age(self, age: int) -> str | None:
        """The band this questionnaire offers for a child of ``age``, or None."""
        for key in self.bands:
            if BANDS[key].covers(age):
                return key
        return None


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    theme: str


@dataclass(frozen=True)
class Catalogue:
    """Every questionnaire and indicator the app serves."""

    questionnaires: dict[str, Questionnaire]
    indicators: dict[str, Indicator]
    #: Finds an earlier version of a questionnaire by its stored id, or the shipped one for
    #: None (a child may still be answering it after a newer one was published).
    earlier: Callable[[str, int | None], Questionnaire | None] | None = field(
        default=None, compare=False)

    def get(self, questionnaire_id: str) -> Questionnaire | None:
        return self.questionnaires.get(questionnaire_id)

    def version(self, questionnaire_id: str, definition_id: int | None) -> Questionnaire | None:
        """The questionnaire as stored in version ``definition_id`` (None: as shipped), which
        a response started on keeps to the end, whatever has been published since."""
        current = self.questionnaires.get(questionnaire_id)
        if (current is not None and current.definition_id == definition_id) or not self.earlier:
            return current
        return self.earlier(questionnaire_id, definition_id) or current

    def for_plan_kind(self, plan_kind: str) -> list[Questionnaire]:
        return [q for q in self.questionnaires.values() if plan_kind in q.plan_kinds]
