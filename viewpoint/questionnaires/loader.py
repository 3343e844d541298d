"""Load questionnaire definitions from YAML and check every rule in ``FORMAT.md``.

The checker collects every mistake it can find rather than stopping at the first,
and names the file, the question and the problem for each, so that whoever edits a
definition can fix them all in one go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .definition import (
    BANDS,
    BUILT_IN_OPTIONS,
    CHOICE_TYPES,
    DEFAULT_MAX_LENGTH,
    FACE_PICTURES,
    PLAN_KINDS,
    QUESTION_TYPES,
    AlertRule,
    Catalogue,
    Condition,
    Indicator,
    Option,
    Question,
    Questionnaire,
    Scale,
    ShowIf,
    Text,
)

#: The shipped definitions.
DEFINITIONS_DIR = Path(__file__).parent / "definitions"
INDICATORS_FILE = "indicators.yaml"
THEMES = ("safety", "voice", "relationships", "home", "education", "wellbeing", "worker")

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")

TOP_KEYS = {"id", "title", "staff_title", "plan_kinds", "bands", "intro", "questions"}
QUESTION_KEYS = {"key", "type", "text", "hint", "staff_text", "bands", "rather_not_say",
                 "options", "scale", "max_length", "show_if", "indicator", "positive",
                 "alert", "media"}
OPTION_KEYS = {"key", "text", "picture", "audio"}


@dataclass(frozen=True)
class Problem:
    """One mistake in one file."""

    file: str
    message: str
    question: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        if self.question:
            where += f": question '{self.question}'"
        return f"{where}: {self.message}"


class DefinitionError(Exception):
    """Raised when definitions have mistakes; ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


# --- YAML with line numbers, duplicate-key detection and only true/false as booleans ---

class _Mapping(dict[Any, Any]):
    line: int = 0
    lines: dict[Any, int]


class _Loader(yaml.SafeLoader):
    #: (key, line, the mapping it was repeated in)
    duplicates: list[tuple[Any, int, _Mapping]]


# YAML 1.1 reads yes/no/on/off as booleans, which would turn the answer key `no`
# into False. Only true and false are booleans in our files.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in mapping:
            loader.duplicates.append((key, line, mapping))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = line
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path, problems: list[Problem],
               owner_of: Any = None) -> Any:
    """Parse one file. Problems (unreadable, invalid, empty, duplicate keys) go to ``problems``.

    ``owner_of(data)`` may return a map from ``id(mapping)`` to the question key that
    mapping belongs to, so that a duplicate key names its question.
    """
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, f"cannot be read: {exc}"))
        return None
    loader = None
    try:
        loader = _Loader(source)
        loader.duplicates = []
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(path.name, f"is not valid YAML: {getattr(exc, 'problem', exc)}",
                                line=mark.line + 1 if mark else None))
        return None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        problems.append(Problem(path.name, "is empty"))
        return None
    owners = owner_of(data) if owner_of else {}
    for key, line, mapping in loader.duplicates:
        problems.append(Problem(path.name, f"duplicate key '{key}'", owners.get(id(mapping)),
                                line=line))
    return data


def _question_owners(data: Any) -> dict[int, str]:
    """``id`` of every mapping inside each question -> that question's key."""
    owners: dict[int, str] = {}

    def walk(node: Any, key: str) -> None:
        if isinstance(node, dict):
            owners[id(node)] = key
            for value in node.values():
                walk(value, key)
        elif isinstance(node, list):
            for value in node:
                walk(value, key)

    questions = data.get("questions") if isinstance(data, dict) else None
    for question in questions if isinstance(questions, list) else []:
        if isinstance(question, dict) and isinstance(question.get("key"), str):
            walk(question, question["key"])
    return owners


def _line(mapping: Any, key: str | None = None) -> int | None:
    if isinstance(mapping, _Mapping):
        return mapping.lines.get(key, mapping.line) if key else mapping.line
    return None


# --- checking ---

class _Checker:
    """Checks one questionnaire file and builds it if it has no mistakes."""

    def __init__(self, path: Path, indicators: dict[str, Indicator], static_dir: Path | None):
        self.file = path.name
        self.indicators = indicators
        self.static_dir = static_dir
        self.problems: list[Problem] = []
        self.id = path.stem

    def problem(self, message: str, question: str | None = None, where: Any = None,
                key: str | None = None) -> None:
        self.problems.append(Problem(self.file, message, question, _line(where, key)))

    def unknown_keys(self, mapping: dict[str, Any], allowed: set[str], what: str,
                     question: str | None = None) -> None:
        for key in mapping:
            if key not in allowed:
                self.problem(f"unknown key '{key}' in {what}", question, mapping, key)

    def text(self, value: Any, bands: tuple[str, ...], context: str, what: str,
             question: str | None, where: Any, key: str) -> Text | None:
        """Per-band text: a string, or a mapping of band (or "default") to string."""
        if isinstance(value, str):
            if not value.strip():
                self.problem(f"{what} is empty", question, where, key)
                return None
            return Text(context, {band: value.strip() for band in bands})
        if not isinstance(value, dict):
            self.problem(f"{what} must be text or a mapping of band to text", question, where, key)
            return None
        by_band: dict[str, str] = {}
        ok = True
        for band_key, band_text in value.items():
            if band_key != "default" and band_key not in BANDS:
                self.problem(f"{what} names unknown band '{band_key}'", question, value, band_key)
                ok = False
            elif not isinstance(band_text, str) or not band_text.strip():
                self.problem(f"{what} for '{band_key}' must be non-empty text", question, value,
                             band_key)
                ok = False
        if not ok:
            return None
        for band in bands:
            chosen = value.get(band, value.get("default"))
            if chosen is None:
                self.problem(f"{what} has no text for band '{band}' (add it or a 'default')",
                             question, where, key)
                ok = False
            else:
                by_band[band] = chosen.strip()
        return Text(context, by_band) if ok else None

    def static_path(self, value: Any, what: str, question: str | None, where: Any,
                    key: str) -> str | None:
        if not isinstance(value, str) or not value:
            self.problem(f"{what} must be a path under static/", question, where, key)
            return None
        if value.startswith("/") or ".." in Path(value).parts:
            self.problem(f"{what} '{value}' must be a relative path under static/", question,
                         where, key)
            return None
        if self.static_dir is not None and not (self.static_dir / value).is_file():
            self.problem(f"{what} '{value}' does not exist under static/", question, where, key)
        return value

    def pictures(self, value: Any, what: str, question: str | None,
                 where: Any) -> dict[str, str]:
        """One picture for every language, or a mapping of language (or ``default``) to file."""
        if isinstance(value, str):
            path = self.static_path(value, what, question, where, "picture")
            return {"default": path} if path else {}
        if not isinstance(value, dict) or not value:
            self.problem(f"{what} must be a file or a mapping of language to file", question,
                         where, "picture")
            return {}
        return {str(lang): path for lang, path in value.items()
                if self.static_path(path, f"{what} for '{lang}'", question, value, lang)}

    def audio(self, value: Any, question: str | None, where: Any) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem("audio must map a language code to a file", question, where, "audio")
            return {}
        return {str(lang): path for lang, path in value.items()
                if self.static_path(path, f"audio for '{lang}'", question, value, lang)}

    def condition(self, value: Any, question: Question, what: str, where: Any,
                  key: str | None, owner: str | None = None) -> Condition | None:
        """An answer condition valid for ``question``'s type.

        Problems name ``owner`` (the question whose rule this is) or else ``question``.
        """
        owner = owner or question.key
        if not isinstance(value, dict):
            self.problem(f"{what} must be a mapping (any_of, at_least or at_most)", owner,
                         where, key)
            return None
        if question.type in CHOICE_TYPES:
            extra = set(value) - {"any_of"}
            answers = value.get("any_of")
            if extra or not isinstance(answers, list) or not answers:
                self.problem(f"{what} must be 'any_of: [answers]' for a {question.type} question",
                             owner, where, key)
                return None
            known = question.answer_keys()
            bad = [str(a) for a in answers if not isinstance(a, str) or a not in known]
            if bad:
                self.problem(f"{what} names answer(s) {', '.join(repr(b) for b in bad)} that "
                             f"'{question.key}' cannot give (it offers "
                             f"{', '.join(sorted(known))})", owner, where, key)
                return None
            return Condition(any_of=frozenset(answers))
        if question.type == "scale":
            assert question.scale is not None
            extra = set(value) - {"at_least", "at_most"}
            bounds = {k: value.get(k) for k in ("at_least", "at_most") if k in value}
            if extra or not bounds or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in bounds.values()):
                self.problem(f"{what} must be 'at_least: N' and/or 'at_most: N' for a scale",
                             owner, where, key)
                return None
            for bound in bounds.values():
                if not question.scale.minimum <= bound <= question.scale.maximum:
                    self.problem(f"{what} uses {bound}, outside the scale "
                                 f"{question.scale.minimum}-{question.scale.maximum}",
                                 owner, where, key)
                    return None
            return Condition(at_least=bounds.get("at_least"), at_most=bounds.get("at_most"))
        self.problem(f"{what} cannot be used on a {question.type} question", owner, where,
                     key)
        return None

    def options(self, raw: dict[str, Any], qtype: str, key: str,
                bands: tuple[str, ...]) -> tuple[Option, ...]:
        given = raw.get("options")
        if qtype in ("scale", "free_text"):
            if given is not None:
                self.problem(f"a {qtype} question has no options", key, raw, "options")
            return ()
        if given is not None and (not isinstance(given, list) or not given):
            self.problem("options must be a non-empty list", key, raw, "options")
            return ()
        built_in = BUILT_IN_OPTIONS.get(qtype)
        if built_in is None and given is None:
            self.problem(f"a {qtype} question needs options", key, raw)
            return ()
        rewording: dict[str, dict[str, Any]] = {}
        seen: set[str] = set()
        for item in given or []:
            if not isinstance(item, dict) or "key" not in item:
                self.problem("each option needs a key", key, item if isinstance(item, dict)
                             else raw, "options")
                continue
            self.unknown_keys(item, OPTION_KEYS, f"option '{item['key']}'", key)
            option_key = item["key"]
            if not isinstance(option_key, str) or not _KEY.match(option_key):
                self.problem(f"option key {option_key!r} must be lower-case letters, digits and _",
                             key, item, "key")
                continue
            if option_key in seen:
                self.problem(f"duplicate option key '{option_key}'", key, item, "key")
                continue
            seen.add(option_key)
            if built_in is not None and option_key not in dict(built_in):
                self.problem(f"option '{option_key}' is not one of the built-in {qtype} options "
                             f"({', '.join(k for k, _ in built_in)})", key, item, "key")
                continue
            rewording[option_key] = item
        if built_in is None and len(rewording) < 2:
            self.problem("a choice question needs at least two options", key, raw, "options")
        options: list[Option] = []
        order = [k for k, _ in built_in] if built_in else list(rewording)
        for option_key in order:
            item = rewording.get(option_key, {})
            if "text" in item:
                text = self.text(item["text"], bands, f"{self.id}/{key}/{option_key}",
                                 f"option '{option_key}' text", key, item, "text")
            elif built_in is not None:
                # Built-in wording is shared by every question, so it is translated once.
                text = Text(f"answer/{option_key}",
                            {band: dict(built_in)[option_key] for band in bands})
            else:
                self.problem(f"option '{option_key}' needs text", key, item)
                text = None
            if "picture" in item:
                picture = self.pictures(item["picture"], f"option '{option_key}' picture", key,
                                        item)
            else:
                picture = FACE_PICTURES.get(option_key, {}) if qtype == "faces" else {}
            if text is not None:
                options.append(Option(option_key, text, picture,
                                      self.audio(item.get("audio"), key, item)))
        return tuple(options)

    def question(self, raw: Any, index: int, bands: tuple[str, ...],
                 earlier: dict[str, Question]) -> Question | None:
        if not isinstance(raw, dict):
            self.problem(f"question {index + 1} must be a mapping")
            return None
        key = raw.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            self.problem(f"question {index + 1} needs a key of lower-case letters, digits and _"
                         f" (got {key!r})", where=raw)
            return None
        self.unknown_keys(raw, QUESTION_KEYS, "question", key)
        qtype = raw.get("type")
        if qtype not in QUESTION_TYPES:
            self.problem(f"unknown type {qtype!r}; use one of {', '.join(QUESTION_TYPES)}", key,
                         raw, "type")
            return None
        own_bands = raw.get("bands")
        if own_bands is None:
            q_bands = bands
        elif not isinstance(own_bands, list) or not own_bands:
            self.problem("bands must be a non-empty list", key, raw, "bands")
            return None
        else:
            wrong = [b for b in own_bands if b not in bands]
            if wrong:
                self.problem(f"bands {', '.join(map(str, wrong))} are not offered by this "
                             f"questionnaire ({', '.join(bands)})", key, raw, "bands")
                return None
            q_bands = tuple(b for b in bands if b in own_bands)
        start = len(self.problems)
        text = self.text(raw.get("text"), q_bands, f"{self.id}/{key}", "text", key, raw, "text") \
            if "text" in raw else None
        if "text" not in raw:
            self.problem("needs text", key, raw)
        hint = self.text(raw["hint"], q_bands, f"{self.id}/{key}/hint", "hint", key, raw,
                         "hint") if "hint" in raw else None
        staff_text = raw.get("staff_text")
        if not isinstance(staff_text, str) or not staff_text.strip():
            self.problem("needs staff_text (a short English label for staff)", key, raw)
        rather_not_say = raw.get("rather_not_say", True)
        if not isinstance(rather_not_say, bool):
            self.problem("rather_not_say must be true or false", key, raw, "rather_not_say")
        scale = None
        if qtype == "scale":
            spec = raw.get("scale", {})
            if not isinstance(spec, dict):
                self.problem("scale must be a mapping", key, raw, "scale")
                spec = {}
            minimum, maximum = spec.get("min", 0), spec.get("max", 10)
            if not all(isinstance(n, int) and not isinstance(n, bool) for n in (minimum, maximum)) \
                    or minimum >= maximum:
                self.problem("scale min and max must be whole numbers with min < max", key, spec)
                minimum, maximum = 0, 10
            low = self.text(spec["low"], q_bands, f"{self.id}/{key}/low", "scale low", key,
                            spec, "low") if "low" in spec else None
            high = self.text(spec["high"], q_bands, f"{self.id}/{key}/high", "scale high", key,
                             spec, "high") if "high" in spec else None
            scale = Scale(minimum, maximum, low, high)
        elif "scale" in raw:
            self.problem(f"a {qtype} question has no scale", key, raw, "scale")
        max_length = raw.get("max_length", DEFAULT_MAX_LENGTH)
        if "max_length" in raw and (qtype != "free_text" or not isinstance(max_length, int)
                                    or max_length < 1):
            self.problem("max_length is a positive number, for free_text only", key, raw,
                         "max_length")
        options = self.options(raw, qtype, key, q_bands)
        media = raw.get("media") or {}
        picture: dict[str, str] = {}
        audio: dict[str, str] = {}
        if not isinstance(media, dict):
            self.problem("media must be a mapping (picture, audio)", key, raw, "media")
        else:
            self.unknown_keys(media, {"picture", "audio"}, "media", key)
            if "picture" in media:
                picture = self.pictures(media["picture"], "picture", key, media)
            audio = self.audio(media.get("audio"), key, media)
        if len(self.problems) > start or text is None:
            return None
        question = Question(key=key, type=qtype, text=text, staff_text=staff_text.strip(),
                            bands=q_bands, hint=hint, rather_not_say=rather_not_say,
                            options=options, scale=scale, max_length=max_length, picture=picture,
                            audio=audio)
        show_if = self.show_if(raw, question, earlier)
        positive = indicator = None
        if "indicator" in raw or "positive" in raw:
            indicator = raw.get("indicator")
            if "indicator" not in raw:
                self.problem("'positive' only means something with an 'indicator'", key, raw,
                             "positive")
            elif not isinstance(indicator, str) or indicator not in self.indicators:
                self.problem(f"indicator {indicator!r} is not defined in {INDICATORS_FILE}", key,
                             raw, "indicator")
            if "positive" not in raw:
                self.problem("an indicator needs 'positive' (which answers count as positive)",
                             key, raw, "indicator")
            else:
                raw_positive = raw["positive"]
                if isinstance(raw_positive, list):
                    raw_positive = {"any_of": raw_positive}
                positive = self.condition(raw_positive, question, "positive", raw, "positive")
            if qtype == "free_text":
                self.problem("free text cannot be an indicator", key, raw, "indicator")
        alert = None
        if "alert" in raw:
            alert = self.alert(raw["alert"], question)
        if len(self.problems) > start:
            return None
        return Question(**{**question.__dict__, "show_if": show_if, "indicator": indicator,
                           "positive": positive, "alert": alert})

    def show_if(self, raw: dict[str, Any], question: Question,
                earlier: dict[str, Question]) -> ShowIf | None:
        spec = raw.get("show_if")
        if spec is None:
            return None
        if not isinstance(spec, dict) or "question" not in spec:
            self.problem("show_if needs 'question' and a condition", question.key, raw, "show_if")
            return None
        target_key = spec["question"]
        if not isinstance(target_key, str):
            self.problem("show_if question must be a question key", question.key, spec,
                         "question")
            return None
        if target_key in self.broken_keys:
            return None  # that question's own mistakes are reported; don't add a false one
        target = earlier.get(target_key)
        if target is None:
            later = target_key in self.all_keys
            self.problem(f"show_if refers to {'later' if later else 'missing'} question "
                         f"'{target_key}'" + (" (it must come earlier)" if later else ""),
                         question.key, spec, "question")
            return None
        if target.type == "free_text":
            self.problem(f"show_if cannot depend on free text question '{target_key}'",
                         question.key, spec, "question")
            return None
        missing_bands = set(question.bands) - set(target.bands)
        if missing_bands:
            self.problem(f"show_if refers to '{target_key}', which is not asked in band(s) "
                         f"{', '.join(sorted(missing_bands))}", question.key, spec, "question")
            return None
        condition = self.condition({k: v for k, v in spec.items() if k != "question"}, target,
                                   "show_if", spec, "question", owner=question.key)
        return ShowIf(target_key, condition) if condition else None

    def alert(self, spec: Any, question: Question) -> AlertRule | None:
        if not isinstance(spec, dict):
            self.problem("alert must be a mapping with a condition and a summary", question.key)
            return None
        summary = spec.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            self.problem("alert needs a summary (plain English for the worker)", question.key,
                         spec)
        if question.type == "free_text":
            self.problem("free text cannot raise an alert by itself; the worker reads it",
                         question.key, spec)
            return None
        condition = self.condition({k: v for k, v in spec.items() if k != "summary"}, question,
                                   "alert", spec, None)
        if condition is None or not isinstance(summary, str) or not summary.strip():
            return None
        return AlertRule(condition, summary.strip())

    def questionnaire(self, data: Any) -> Questionnaire | None:
        if not isinstance(data, dict):
            self.problem("must be a mapping with id, title, questions ...")
            return None
        self.unknown_keys(data, TOP_KEYS, "questionnaire")
        for required in ("id", "title", "staff_title", "plan_kinds", "bands", "questions"):
            if required not in data:
                self.problem(f"missing '{required}'", where=data)
        qid = data.get("id")
        if isinstance(qid, str) and _ID.match(qid):
            self.id = qid
            if qid != Path(self.file).stem:
                self.problem(f"id '{qid}' must match the file name ('{Path(self.file).stem}')",
                             where=data, key="id")
        elif "id" in data:
            self.problem(f"id {qid!r} must be lower-case letters, digits and dashes", where=data,
                         key="id")
        plan_kinds = data.get("plan_kinds")
        if plan_kinds is not None:
            if not isinstance(plan_kinds, list) or not plan_kinds:
                self.problem("plan_kinds must be a non-empty list", where=data, key="plan_kinds")
            else:
                for kind in plan_kinds:
                    if kind not in PLAN_KINDS:
                        self.problem(f"unknown plan kind {kind!r}; use {', '.join(PLAN_KINDS)}",
                                     where=data, key="plan_kinds")
        bands_raw = data.get("bands")
        bands: tuple[str, ...] = ()
        if bands_raw is not None:
            if not isinstance(bands_raw, list) or not bands_raw:
                self.problem("bands must be a non-empty list", where=data, key="bands")
            else:
                for band in bands_raw:
                    if not isinstance(band, str) or band not in BANDS:
                        self.problem(f"unknown band {band!r}; use {', '.join(BANDS)}", where=data,
                                     key="bands")
                if len({str(b) for b in bands_raw}) != len(bands_raw):
                    self.problem("bands lists a band twice", where=data, key="bands")
                bands = tuple(b for b in BANDS if b in bands_raw)
        title = self.text(data["title"], bands, f"{self.id}/title", "title", None, data,
                          "title") if "title" in data else None
        intro = self.text(data["intro"], bands, f"{self.id}/intro", "intro", None, data,
                          "intro") if "intro" in data else None
        staff_title = data.get("staff_title")
        if "staff_title" in data and (not isinstance(staff_title, str) or not staff_title.strip()):
            self.problem("staff_title must be non-empty text", where=data, key="staff_title")
        raw_questions = data.get("questions")
        if raw_questions is not None and (not isinstance(raw_questions, list) or not raw_questions):
            self.problem("questions must be a non-empty list", where=data, key="questions")
            raw_questions = []
        raw_questions = raw_questions or []
        self.all_keys = {q.get("key") for q in raw_questions
                         if isinstance(q, dict) and isinstance(q.get("key"), str)}
        questions: list[Question] = []
        earlier: dict[str, Question] = {}
        for index, raw in enumerate(raw_questions):
            key = raw.get("key") if isinstance(raw, dict) else None
            if isinstance(key, str) and key in self._seen_keys:
                self.problem(f"duplicate question key '{key}'", key, raw, "key")
                continue
            if isinstance(key, str):
                self._seen_keys.add(key)
            question = self.question(raw, index, bands, earlier)
            if question is not None:
                questions.append(question)
                earlier[question.key] = question
            elif isinstance(key, str):
                self.broken_keys.add(key)
        for band in bands:
            asked = [raw for raw in raw_questions if isinstance(raw, dict)
                     and band in (raw.get("bands") or bands)]
            if not asked:
                self.problem(f"band '{band}' has no questions", where=data, key="bands")
        if self.problems or title is None:
            return None
        return Questionnaire(id=self.id, title=title, staff_title=staff_title.strip(),
                             plan_kinds=tuple(plan_kinds), bands=bands,
                             questions=tuple(questions), intro=intro, source=self.file)

    _seen_keys: set[str]

    def run(self, data: Any) -> Questionnaire | None:
        self._seen_keys = set()
        self.broken_keys: set[str] = set()
        return self.questionnaire(data)


def _load_indicators(path: Path, problems: list[Problem]) -> dict[str, Indicator]:
    if not path.exists():
        problems.append(Problem(path.name, "is missing: indicators must be defined"))
        return {}
    data = _read_yaml(path, problems)
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), dict):
        problems.append(Problem(path.name, "must have an 'indicators' mapping"))
        return {}
    indicators = {}
    for key, spec in data["indicators"].items():
        line = _line(data["indicators"], key)
        if not isinstance(key, str) or not _KEY.match(key):
            problems.append(Problem(path.name, f"indicator id {key!r} must be lower-case letters, "
                                    "digits and _", line=line))
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("label"), str):
            problems.append(Problem(path.name, f"indicator '{key}' needs a label", line=line))
            continue
        unknown = set(spec) - {"label", "theme"}
        if unknown:
            problems.append(Problem(path.name, f"indicator '{key}' has unknown key(s) "
                                    f"{', '.join(sorted(unknown))}", line=line))
        theme = spec.get("theme")
        if theme not in THEMES:
            problems.append(Problem(path.name, f"indicator '{key}' has unknown theme {theme!r}; "
                                    f"use {', '.join(THEMES)}", line=line))
            continue
        indicators[key] = Indicator(key, spec["label"].strip(), theme)
    return indicators


def check_definitions(directory: Path | None = None,
                      static_dir: Path | None = None) -> tuple[Catalogue, list[Problem]]:
    """Load every definition in ``directory``; return what loaded and every problem found."""
    directory = directory or DEFINITIONS_DIR
    problems: list[Problem] = []
    indicators = _load_indicators(directory / INDICATORS_FILE, problems)
    questionnaires: dict[str, Questionnaire] = {}
    files = sorted(p for p in directory.glob("*.yaml") if p.name != INDICATORS_FILE)
    for stray in sorted(directory.glob("*.yml")):
        problems.append(Problem(stray.name, "is not read: definitions must end in .yaml"))
    if not files:
        problems.append(Problem(directory.name, "holds no questionnaire definitions"))
    for path in files:
        checker = _Checker(path, indicators, static_dir)
        data = _read_yaml(path, checker.problems, _question_owners)
        questionnaire = checker.run(data) if data is not None else None
        problems.extend(checker.problems)
        if questionnaire is not None:
            if questionnaire.id in questionnaires:
                problems.append(Problem(path.name,
                                        f"duplicate questionnaire id '{questionnaire.id}'"))
            questionnaires[questionnaire.id] = questionnaire
    return Catalogue(questionnaires, indicators), problems


def load_definitions(directory: Path | None = None, static_dir: Path | None = None) -> Catalogue:
    """Load and check every definition. Raises :class:`DefinitionError` listing every mistake."""
    catalogue, problems = check_definitions(directory, static_dir)
    if problems:
        raise DefinitionError(problems)
    return catalogue
