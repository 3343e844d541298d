"""Checking one questionnaire file against every rule in ``FORMAT.md``, and building it.

The checker collects every mistake it can find rather than stopping at the first,
and names the file, the question and the problem for each, so that whoever edits a
definition can fix them all in one go.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .definition import (
    BANDS,
    BUILT_IN_OPTIONS,
    BUILT_IN_PICTURES,
    CHOICE_TYPES,
    DEFAULT_MAX_LENGTH,
    PLAN_KINDS,
    QUESTION_TYPES,
    AlertRule,
    Condition,
    Indicator,
    Option,
    Question,
    Questionnaire,
    Scale,
    ShowIf,
    Text,
    picture_tone,
)
from .helplines import HELPLINES
from .problems import Problem
from .reading import INDICATORS_FILE, KEY, line_of

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

TOP_KEYS = {"id", "title", "staff_title", "plan_kinds", "bands", "intro", "questions", "help"}
REQUIRED_TOP_KEYS = ("id", "title", "staff_title", "plan_kinds", "bands", "questions")
QUESTION_KEYS = {"key", "type", "text", "hint", "staff_text", "bands", "rather_not_say",
                 "options", "scale", "max_length", "show_if", "indicator", "positive",
                 "alert", "media", "talk_request", "answer_pictures"}
OPTION_KEYS = {"key", "text", "picture", "audio", "exclusive"}

#: Words that ask whether the child wants someone to talk with them ("Would you like
#: someone to talk with you about this?"). Such a question must say whether it is a talk
#: request, so that a "yes" can never be left without an alert by forgetting.
_ASKS_TO_TALK = re.compile(
    r"\b(would you like|do you want|want)\b.*\b(talk|speak|get in touch|contact you)\b",
    re.IGNORECASE)
MEDIA_KEYS = {"picture", "audio"}

#: Built-in options: (key, English text) in the order shown.
_BuiltIn = tuple[tuple[str, str], ...]


class QuestionnaireChecker:
    """Checks one questionnaire file and builds it if it has no mistakes.

    Read the file with :func:`~.reading.read_yaml` into :attr:`problems`, then call
    :meth:`run`: a questionnaire is built only if no problem at all was found.
    """

    def __init__(self, path: Path, indicators: dict[str, Indicator], static_dir: Path | None,
                 expected_id: str | None = None):
        #: What problems name: the file, or for a stored version "key v3".
        self.file = path.name
        self.indicators = indicators
        #: None skips the check that pictures and audio exist.
        self.static_dir = static_dir
        self.problems: list[Problem] = []
        #: The id a stored version must keep (a file's id must match its name instead).
        self.expected_id = expected_id
        #: The questionnaire id, for gettext contexts; the file name until a valid id is read.
        self.id = expected_id or path.stem

    def run(self, data: Any) -> Questionnaire | None:
        """The questionnaire ``data`` defines, or None if it (or the file) has any problem."""
        self._seen_keys: set[str] = set()
        #: Keys of questions with mistakes of their own, so show_if on them is not reported.
        self._broken_keys: set[str] = set()
        #: Keys of every question in the file, to tell a later question from a missing one.
        self._all_keys: set[str] = set()
        return self._questionnaire(data)

    # --- reporting ---

    def _problem(self, message: str, question: str | None = None, where: Any = None,
                 key: str | None = None) -> None:
        self.problems.append(Problem(self.file, message, question, line_of(where, key)))

    def _unknown_keys(self, mapping: dict[str, Any], allowed: set[str], what: str,
                      question: str | None = None) -> None:
        for key in mapping:
            if key not in allowed:
                self._problem(f"unknown key '{key}' in {what}", question, mapping, key)

    # --- the top level ---

    def _questionnaire(self, data: Any) -> Questionnaire | None:
        if not isinstance(data, dict):
            self._problem("must be a mapping with id, title, questions ...")
            return None
        self._unknown_keys(data, TOP_KEYS, "questionnaire")
        for required in REQUIRED_TOP_KEYS:
            if required not in data:
                self._problem(f"missing '{required}'", where=data)
        self._check_id(data)
        self._check_plan_kinds(data)
        bands = self._bands(data)
        title = self._optional_text(data, "title", bands, f"{self.id}/title", "title", None)
        intro = self._optional_text(data, "intro", bands, f"{self.id}/intro", "intro", None)
        staff_title = self._staff_title(data)
        raw_questions = self._question_list(data)
        questions = self._questions(raw_questions, bands)
        self._check_every_band_asked(data, raw_questions, bands)
        help_by_band = self._help(data, bands)
        if self.problems or title is None:
            return None
        return Questionnaire(id=self.id, title=title, staff_title=staff_title.strip(),
                             plan_kinds=tuple(data["plan_kinds"]), bands=bands,
                             questions=tuple(questions), intro=intro, source=self.file,
                             help=help_by_band)

    def _help(self, data: dict[str, Any], bands: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """Which helplines each band is pointed to: ``help: [ids]`` for every band, or a
        mapping of band (or ``default``) to a list of ids."""
        spec = data.get("help")
        if spec is None:
            return {}
        # Problems are named at the band's line, or at help's own for the one-list form.
        where: Any = spec
        if isinstance(spec, list):
            spec, where = {"default": spec}, None
        if not isinstance(spec, dict):
            self._problem("help must be a list of helplines or a mapping of band to a list",
                          where=data, key="help")
            return {}
        chosen: dict[str, tuple[str, ...]] = {}
        for band_key, lines in spec.items():
            at = {"where": where, "key": band_key} if where else {"where": data, "key": "help"}
            if band_key != "default" and band_key not in bands:
                self._problem(f"help names band {band_key!r}, which this questionnaire does "
                              "not offer", **at)
                continue
            if not isinstance(lines, list) or not lines:
                self._problem(f"help for '{band_key}' must be a non-empty list", **at)
                continue
            unknown = [str(line) for line in lines if line not in HELPLINES]
            if unknown:
                self._problem(f"help names unknown helpline(s) {', '.join(unknown)}; use "
                              f"{', '.join(HELPLINES)}", **at)
                continue
            chosen[band_key] = tuple(lines)
        return {band: chosen.get(band, chosen.get("default", ())) for band in bands
                if chosen.get(band, chosen.get("default"))}

    def _check_id(self, data: dict[str, Any]) -> None:
        """A valid id becomes :attr:`id`; it must match the file name."""
        qid = data.get("id")
        stem = Path(self.file).stem
        if isinstance(qid, str) and _ID.match(qid):
            self.id = qid
            if self.expected_id is not None:
                if qid != self.expected_id:
                    self._problem(f"id '{qid}' must stay '{self.expected_id}': answers "
                                  "already given refer to it", where=data, key="id")
            elif qid != stem:
                self._problem(f"id '{qid}' must match the file name ('{stem}')", where=data,
                              key="id")
        elif "id" in data:
            self._problem(f"id {qid!r} must be lower-case letters, digits and dashes",
                          where=data, key="id")

    def _check_plan_kinds(self, data: dict[str, Any]) -> None:
        plan_kinds = data.get("plan_kinds")
        if plan_kinds is None:
            return
        if not isinstance(plan_kinds, list) or not plan_kinds:
            self._problem("plan_kinds must be a non-empty list", where=data, key="plan_kinds")
            return
        for kind in plan_kinds:
            if kind not in PLAN_KINDS:
                self._problem(f"unknown plan kind {kind!r}; use {', '.join(PLAN_KINDS)}",
                              where=data, key="plan_kinds")

    def _bands(self, data: dict[str, Any]) -> tuple[str, ...]:
        """The known bands the questionnaire offers, youngest first."""
        bands = data.get("bands")
        if bands is None:
            return ()
        if not isinstance(bands, list) or not bands:
            self._problem("bands must be a non-empty list", where=data, key="bands")
            return ()
        for band in bands:
            if not isinstance(band, str) or band not in BANDS:
                self._problem(f"unknown band {band!r}; use {', '.join(BANDS)}", where=data,
                              key="bands")
        if len({str(b) for b in bands}) != len(bands):
            self._problem("bands lists a band twice", where=data, key="bands")
        return tuple(b for b in BANDS if b in bands)

    def _staff_title(self, data: dict[str, Any]) -> Any:
        staff_title = data.get("staff_title")
        if "staff_title" in data and (not isinstance(staff_title, str) or not staff_title.strip()):
            self._problem("staff_title must be non-empty text", where=data, key="staff_title")
        return staff_title

    def _question_list(self, data: dict[str, Any]) -> list[Any]:
        raw_questions = data.get("questions")
        if raw_questions is not None and (not isinstance(raw_questions, list) or not raw_questions):
            self._problem("questions must be a non-empty list", where=data, key="questions")
            return []
        return raw_questions or []

    def _questions(self, raw_questions: list[Any], bands: tuple[str, ...]) -> list[Question]:
        """Every question without mistakes, in order; the others' keys join ``_broken_keys``."""
        self._all_keys = {q.get("key") for q in raw_questions
                          if isinstance(q, dict) and isinstance(q.get("key"), str)}
        questions: list[Question] = []
        earlier: dict[str, Question] = {}
        for index, raw in enumerate(raw_questions):
            key = raw.get("key") if isinstance(raw, dict) else None
            if isinstance(key, str) and key in self._seen_keys:
                self._problem(f"duplicate question key '{key}'", key, raw, "key")
                continue
            if isinstance(key, str):
                self._seen_keys.add(key)
            question = self._question(raw, index, bands, earlier)
            if question is not None:
                questions.append(question)
                earlier[question.key] = question
            elif isinstance(key, str):
                self._broken_keys.add(key)
        return questions

    def _check_every_band_asked(self, data: dict[str, Any], raw_questions: list[Any],
                                bands: tuple[str, ...]) -> None:
        for band in bands:
            asked = [raw for raw in raw_questions if isinstance(raw, dict)
                     and band in (raw.get("bands") or bands)]
            if not asked:
                self._problem(f"band '{band}' has no questions", where=data, key="bands")

    # --- one question ---

    def _question(self, raw: Any, index: int, bands: tuple[str, ...],
                  earlier: dict[str, Question]) -> Question | None:
        """The question, if it has no mistakes; ``earlier`` holds the ones before it."""
        key = self._question_key(raw, index)
        if key is None:
            return None
        self._unknown_keys(raw, QUESTION_KEYS, "question", key)
        qtype = raw.get("type")
        if qtype not in QUESTION_TYPES:
            self._problem(f"unknown type {qtype!r}; use one of {', '.join(QUESTION_TYPES)}", key,
                          raw, "type")
            return None
        q_bands = self._question_bands(raw, key, bands)
        if q_bands is None:
            return None
        start = len(self.problems)
        # The rules are checked against the question itself (its answers, scale and bands),
        # so it is built first and built again with its rules.
        question = self._question_content(raw, key, qtype, q_bands)
        if question is None:
            return None
        show_if = self._show_if(raw, question, earlier)
        indicator, positive = self._indicator(raw, question)
        alert = self._alert(raw["alert"], question) if "alert" in raw else None
        talk_request = self._talk_request(raw, question, alert)
        self._check_pictures(raw, question, alert)
        self._check_answerable_by_picture(raw, question)
        if len(self.problems) > start:
            return None
        return Question(**{**question.__dict__, "show_if": show_if, "indicator": indicator,
                           "positive": positive, "alert": alert, "talk_request": talk_request})

    def _talk_request(self, raw: dict[str, Any], question: Question,
                      alert: AlertRule | None) -> bool:
        """Whether the question asks if the child wants someone to talk with them; such a
        question must raise an alert on "yes"."""
        marked = raw.get("talk_request")
        if marked is not None and not isinstance(marked, bool):
            self._problem("talk_request must be true or false", question.key, raw,
                          "talk_request")
            return False
        if marked is None:
            if question.type in CHOICE_TYPES and any(
                    _ASKS_TO_TALK.search(text) for text in question.text.messages()):
                self._problem("asks whether the child wants to talk to someone: add "
                              "'talk_request: true' and an alert on 'yes' (or "
                              "'talk_request: false' if it is not that question)",
                              question.key, raw)
            return False
        if not marked:
            return False
        if "yes" not in question.answer_keys():
            self._problem("a talk_request question needs a 'yes' answer", question.key, raw,
                          "talk_request")
        elif alert is None or not alert.condition.matches("yes"):
            self._problem("a talk_request question must raise an alert when the child "
                          "answers 'yes', as \"I want to talk to someone\" does", question.key,
                          raw, "talk_request")
        return True

    def _check_pictures(self, raw: dict[str, Any], question: Question,
                        alert: AlertRule | None) -> None:
        """No picture may suggest which answer is good: yes / not sure / no pictures are
        neutral, and an answer that raises an alert never shows an approving picture."""
        for option in question.options:
            for path in option.picture.values():
                tone = picture_tone(path)
                if question.type == "yes_no" and tone != "neutral":
                    self._problem(f"option '{option.key}' picture '{path}' is not a neutral "
                                  "picture; yes / not sure / no pictures must not suggest a "
                                  "good answer (see PICTURE_TONES)", question.key, raw,
                                  "options")
                elif (alert is not None and alert.condition.matches(option.key)
                      and tone in ("approving", "unknown")):
                    self._problem(f"option '{option.key}' raises an alert but its picture "
                                  f"'{path}' is {tone}: a child going by the picture would "
                                  "take it for the good answer", question.key, raw, "options")

    def _check_answerable_by_picture(self, raw: dict[str, Any], question: Question) -> None:
        """Bands whose children answer by picture and sound alone: nothing to write, and a
        picture on every answer."""
        for band in question.bands:
            if not BANDS[band].by_picture:
                continue
            if question.type == "free_text":
                self._problem(f"band '{band}' answers by picture alone: a free_text question "
                              "cannot be asked in it (give it 'bands' without it)",
                              question.key, raw, "type")
            elif question.type != "scale" and any(not o.picture for o in question.options):
                self._problem(f"band '{band}' answers by picture alone: every answer needs "
                              "a picture", question.key, raw, "options")

    def _question_key(self, raw: Any, index: int) -> str | None:
        if not isinstance(raw, dict):
            self._problem(f"question {index + 1} must be a mapping")
            return None
        key = raw.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            self._problem(f"question {index + 1} needs a key of lower-case letters, digits and _"
                          f" (got {key!r})", where=raw)
            return None
        return key

    def _question_bands(self, raw: dict[str, Any], key: str,
                        bands: tuple[str, ...]) -> tuple[str, ...] | None:
        """The bands that read this question (all the questionnaire's unless it names some)."""
        own_bands = raw.get("bands")
        if own_bands is None:
            return bands
        if not isinstance(own_bands, list) or not own_bands:
            self._problem("bands must be a non-empty list", key, raw, "bands")
            return None
        wrong = [b for b in own_bands if b not in bands]
        if wrong:
            self._problem(f"bands {', '.join(map(str, wrong))} are not offered by this "
                          f"questionnaire ({', '.join(bands)})", key, raw, "bands")
            return None
        return tuple(b for b in bands if b in own_bands)

    def _question_content(self, raw: dict[str, Any], key: str, qtype: str,
                          bands: tuple[str, ...]) -> Question | None:
        """The question without its rules (show_if, indicator, alert), if it has no mistakes."""
        start = len(self.problems)
        text = self._optional_text(raw, "text", bands, f"{self.id}/{key}", "text", key)
        if "text" not in raw:
            self._problem("needs text", key, raw)
        hint = self._optional_text(raw, "hint", bands, f"{self.id}/{key}/hint", "hint", key)
        staff_text = raw.get("staff_text")
        if not isinstance(staff_text, str) or not staff_text.strip():
            self._problem("needs staff_text (a short English label for staff)", key, raw)
        rather_not_say = raw.get("rather_not_say", True)
        if not isinstance(rather_not_say, bool):
            self._problem("rather_not_say must be true or false", key, raw, "rather_not_say")
        scale = self._scale(raw, qtype, key, bands)
        max_length = self._max_length(raw, qtype, key)
        options = self._options(raw, qtype, key, bands)
        picture, audio = self._media(raw, key)
        if len(self.problems) > start or text is None:
            return None
        return Question(key=key, type=qtype, text=text, staff_text=staff_text.strip(),
                        bands=bands, hint=hint, rather_not_say=rather_not_say,
                        options=options, scale=scale, max_length=max_length, picture=picture,
                        audio=audio)

    def _scale(self, raw: dict[str, Any], qtype: str, key: str,
               bands: tuple[str, ...]) -> Scale | None:
        if qtype != "scale":
            if "scale" in raw:
                self._problem(f"a {qtype} question has no scale", key, raw, "scale")
            return None
        spec = raw.get("scale", {})
        if not isinstance(spec, dict):
            self._problem("scale must be a mapping", key, raw, "scale")
            spec = {}
        minimum, maximum = spec.get("min", 0), spec.get("max", 10)
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (minimum, maximum)) \
                or minimum >= maximum:
            self._problem("scale min and max must be whole numbers with min < max", key, spec)
            minimum, maximum = 0, 10
        low = self._optional_text(spec, "low", bands, f"{self.id}/{key}/low", "scale low", key)
        high = self._optional_text(spec, "high", bands, f"{self.id}/{key}/high", "scale high",
                                   key)
        return Scale(minimum, maximum, low, high)

    def _max_length(self, raw: dict[str, Any], qtype: str, key: str) -> Any:
        max_length = raw.get("max_length", DEFAULT_MAX_LENGTH)
        if "max_length" in raw and (qtype != "free_text" or not isinstance(max_length, int)
                                    or max_length < 1):
            self._problem("max_length is a positive number, for free_text only", key, raw,
                          "max_length")
        return max_length

    def _media(self, raw: dict[str, Any], key: str) -> tuple[dict[str, str], dict[str, str]]:
        """The question's picture and audio, each by language."""
        media = raw.get("media") or {}
        if not isinstance(media, dict):
            self._problem("media must be a mapping (picture, audio)", key, raw, "media")
            return {}, {}
        self._unknown_keys(media, MEDIA_KEYS, "media", key)
        picture: dict[str, str] = {}
        if "picture" in media:
            picture = self._pictures(media["picture"], "picture", key, media)
        return picture, self._audio(media.get("audio"), key, media)

    # --- a question's options ---

    def _options(self, raw: dict[str, Any], qtype: str, key: str,
                 bands: tuple[str, ...]) -> tuple[Option, ...]:
        given = raw.get("options")
        if qtype in ("scale", "free_text"):
            if given is not None:
                self._problem(f"a {qtype} question has no options", key, raw, "options")
            return ()
        if given is not None and (not isinstance(given, list) or not given):
            self._problem("options must be a non-empty list", key, raw, "options")
            return ()
        built_in = BUILT_IN_OPTIONS.get(qtype)
        if built_in is None and given is None:
            self._problem(f"a {qtype} question needs options", key, raw)
            return ()
        items = self._option_items(given or [], raw, qtype, key, built_in)
        if built_in is None and len(items) < 2:
            self._problem("a choice question needs at least two options", key, raw, "options")
        # Built-in options are always all offered, in their own order, reworded or not.
        order = [k for k, _ in built_in] if built_in else list(items)
        pictures = raw.get("answer_pictures", True)
        if not isinstance(pictures, bool):
            self._problem("answer_pictures must be true or false", key, raw, "answer_pictures")
            pictures = True
        options = [self._option(option_key, items.get(option_key, {}), qtype, key, bands,
                                built_in, pictures_off=not pictures) for option_key in order]
        return tuple(option for option in options if option is not None)

    def _option_items(self, given: list[Any], raw: dict[str, Any], qtype: str, key: str,
                      built_in: _BuiltIn | None) -> dict[str, dict[str, Any]]:
        """Each valid option's mapping by its key; for built-in options, only the reworded."""
        items: dict[str, dict[str, Any]] = {}
        seen: set[str] = set()
        for item in given:
            if not isinstance(item, dict) or "key" not in item:
                self._problem("each option needs a key", key, item if isinstance(item, dict)
                              else raw, "options")
                continue
            self._unknown_keys(item, OPTION_KEYS, f"option '{item['key']}'", key)
            if self._option_key_valid(item["key"], item, qtype, key, built_in, seen):
                items[item["key"]] = item
        return items

    def _option_key_valid(self, option_key: Any, item: dict[str, Any], qtype: str, key: str,
                          built_in: _BuiltIn | None, seen: set[str]) -> bool:
        """Whether ``option_key`` is well formed, new and allowed; it joins ``seen`` if new.

        A key not among the built-in options still counts as seen, so that repeating it
        is reported as a duplicate.
        """
        if not isinstance(option_key, str) or not KEY.match(option_key):
            self._problem(f"option key {option_key!r} must be lower-case letters, digits and _",
                          key, item, "key")
            return False
        if option_key in seen:
            self._problem(f"duplicate option key '{option_key}'", key, item, "key")
            return False
        seen.add(option_key)
        if built_in is not None and option_key not in dict(built_in):
            self._problem(f"option '{option_key}' is not one of the built-in {qtype} options "
                          f"({', '.join(k for k, _ in built_in)})", key, item, "key")
            return False
        return True

    def _option(self, option_key: str, item: dict[str, Any], qtype: str, key: str,
                bands: tuple[str, ...], built_in: _BuiltIn | None,
                pictures_off: bool = False) -> Option | None:
        """The option, or None if it has no usable text (its audio is then not checked)."""
        if "text" in item:
            text = self._text(item["text"], bands, f"{self.id}/{key}/{option_key}",
                              f"option '{option_key}' text", key, item, "text")
        elif built_in is not None:
            # Built-in wording is shared by every question, so it is translated once.
            text = Text(f"answer/{option_key}",
                        {band: dict(built_in)[option_key] for band in bands})
        else:
            self._problem(f"option '{option_key}' needs text", key, item)
            text = None
        if "picture" in item:
            picture = self._pictures(item["picture"], f"option '{option_key}' picture", key,
                                     item)
        elif pictures_off:
            picture = {}
        else:
            picture = BUILT_IN_PICTURES.get(qtype, {}).get(option_key, {})
        exclusive = item.get("exclusive", False)
        if not isinstance(exclusive, bool) or (exclusive and qtype != "choose_many"):
            self._problem(f"option '{option_key}' exclusive is true or false, for "
                          "choose_many only", key, item, "exclusive")
            exclusive = False
        if text is None:
            return None
        return Option(option_key, text, picture, self._audio(item.get("audio"), key, item),
                      exclusive=exclusive)

    # --- a question's rules: show_if, indicator, alert ---

    def _show_if(self, raw: dict[str, Any], question: Question,
                 earlier: dict[str, Question]) -> ShowIf | None:
        spec = raw.get("show_if")
        if spec is None:
            return None
        if not isinstance(spec, dict) or "question" not in spec:
            self._problem("show_if needs 'question' and a condition", question.key, raw,
                          "show_if")
            return None
        target = self._show_if_target(spec, question, earlier)
        if target is None:
            return None
        condition = self._condition({k: v for k, v in spec.items() if k != "question"}, target,
                                    "show_if", spec, "question", owner=question.key)
        return ShowIf(target.key, condition) if condition else None

    def _show_if_target(self, spec: dict[str, Any], question: Question,
                        earlier: dict[str, Question]) -> Question | None:
        """The earlier question ``show_if`` depends on, if ``question`` may depend on it."""
        target_key = spec["question"]
        if not isinstance(target_key, str):
            self._problem("show_if question must be a question key", question.key, spec,
                          "question")
            return None
        if target_key in self._broken_keys:
            return None  # that question's own mistakes are reported; don't add a false one
        target = earlier.get(target_key)
        if target is None:
            later = target_key in self._all_keys
            self._problem(f"show_if refers to {'later' if later else 'missing'} question "
                          f"'{target_key}'" + (" (it must come earlier)" if later else ""),
                          question.key, spec, "question")
            return None
        if target.type == "free_text":
            self._problem(f"show_if cannot depend on free text question '{target_key}'",
                          question.key, spec, "question")
            return None
        missing_bands = set(question.bands) - set(target.bands)
        if missing_bands:
            self._problem(f"show_if refers to '{target_key}', which is not asked in band(s) "
                          f"{', '.join(sorted(missing_bands))}", question.key, spec, "question")
            return None
        return target

    def _indicator(self, raw: dict[str, Any], question: Question) -> tuple[Any, Condition | None]:
        """The indicator the question counts towards, and which answers count as positive."""
        if "indicator" not in raw and "positive" not in raw:
            return None, None
        key = question.key
        indicator = raw.get("indicator")
        if "indicator" not in raw:
            self._problem("'positive' only means something with an 'indicator'", key, raw,
                          "positive")
        elif not isinstance(indicator, str) or indicator not in self.indicators:
            self._problem(f"indicator {indicator!r} is not defined in {INDICATORS_FILE}", key,
                          raw, "indicator")
        positive = self._positive(raw, question)
        if question.type == "free_text":
            self._problem("free text cannot be an indicator", key, raw, "indicator")
        return indicator, positive

    def _positive(self, raw: dict[str, Any], question: Question) -> Condition | None:
        if "positive" not in raw:
            self._problem("an indicator needs 'positive' (which answers count as positive)",
                          question.key, raw, "indicator")
            return None
        positive = raw["positive"]
        # A bare list is short for any_of, the usual case for choice questions.
        if isinstance(positive, list):
            positive = {"any_of": positive}
        return self._condition(positive, question, "positive", raw, "positive")

    def _alert(self, spec: Any, question: Question) -> AlertRule | None:
        if not isinstance(spec, dict):
            self._problem("alert must be a mapping with a condition and a summary",
                          question.key)
            return None
        summary = spec.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            self._problem("alert needs a summary (plain English for the worker)", question.key,
                          spec)
        if question.type == "free_text":
            self._problem("free text cannot raise an alert by itself; the worker reads it",
                          question.key, spec)
            return None
        condition = self._condition({k: v for k, v in spec.items() if k != "summary"},
                                    question, "alert", spec, None)
        if condition is None or not isinstance(summary, str) or not summary.strip():
            return None
        return AlertRule(condition, summary.strip())

    # --- conditions on an answer ---

    def _condition(self, value: Any, question: Question, what: str, where: Any,
                   key: str | None, owner: str | None = None) -> Condition | None:
        """An answer condition valid for ``question``'s type.

        Problems name ``owner`` (the question whose rule this is) or else ``question``.
        """
        owner = owner or question.key
        if not isinstance(value, dict):
            self._problem(f"{what} must be a mapping (any_of, at_least or at_most)", owner,
                          where, key)
            return None
        if question.type in CHOICE_TYPES:
            return self._choice_condition(value, question, what, owner, where, key)
        if question.type == "scale":
            return self._scale_condition(value, question, what, owner, where, key)
        self._problem(f"{what} cannot be used on a {question.type} question", owner, where,
                      key)
        return None

    def _choice_condition(self, value: dict[str, Any], question: Question, what: str,
                          owner: str, where: Any, key: str | None) -> Condition | None:
        extra = set(value) - {"any_of"}
        answers = value.get("any_of")
        if extra or not isinstance(answers, list) or not answers:
            self._problem(f"{what} must be 'any_of: [answers]' for a {question.type} question",
                          owner, where, key)
            return None
        known = question.answer_keys()
        bad = [str(a) for a in answers if not isinstance(a, str) or a not in known]
        if bad:
            self._problem(f"{what} names answer(s) {', '.join(repr(b) for b in bad)} that "
                          f"'{question.key}' cannot give (it offers "
                          f"{', '.join(sorted(known))})", owner, where, key)
            return None
        return Condition(any_of=frozenset(answers))

    def _scale_condition(self, value: dict[str, Any], question: Question, what: str,
                         owner: str, where: Any, key: str | None) -> Condition | None:
        scale = question.scale
        assert scale is not None
        extra = set(value) - {"at_least", "at_most"}
        bounds = {k: value.get(k) for k in ("at_least", "at_most") if k in value}
        if extra or not bounds or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in bounds.values()):
            self._problem(f"{what} must be 'at_least: N' and/or 'at_most: N' for a scale",
                          owner, where, key)
            return None
        for bound in bounds.values():
            if not scale.minimum <= bound <= scale.maximum:
                self._problem(f"{what} uses {bound}, outside the scale "
                              f"{scale.minimum}-{scale.maximum}", owner, where, key)
                return None
        return Condition(at_least=bounds.get("at_least"), at_most=bounds.get("at_most"))

    # --- text, pictures and audio ---

    def _optional_text(self, mapping: dict[str, Any], key: str, bands: tuple[str, ...],
                       context: str, what: str, question: str | None) -> Text | None:
        """``mapping[key]`` as :meth:`_text`, or None (and no problem) if it is not there."""
        if key not in mapping:
            return None
        return self._text(mapping[key], bands, context, what, question, mapping, key)

    def _text(self, value: Any, bands: tuple[str, ...], context: str, what: str,
              question: str | None, where: Any, key: str) -> Text | None:
        """Per-band text: a string, or a mapping of band (or "default") to string."""
        if isinstance(value, str):
            if not value.strip():
                self._problem(f"{what} is empty", question, where, key)
                return None
            return Text(context, {band: value.strip() for band in bands})
        if not isinstance(value, dict):
            self._problem(f"{what} must be text or a mapping of band to text", question, where,
                          key)
            return None
        if not self._band_texts_valid(value, what, question):
            return None
        by_band = self._text_by_band(value, bands, what, question, where, key)
        return Text(context, by_band) if by_band is not None else None

    def _band_texts_valid(self, value: dict[str, Any], what: str, question: str | None) -> bool:
        ok = True
        for band_key, band_text in value.items():
            if band_key != "default" and band_key not in BANDS:
                self._problem(f"{what} names unknown band '{band_key}'", question, value,
                              band_key)
                ok = False
            elif not isinstance(band_text, str) or not band_text.strip():
                self._problem(f"{what} for '{band_key}' must be non-empty text", question,
                              value, band_key)
                ok = False
        return ok

    def _text_by_band(self, value: dict[str, str], bands: tuple[str, ...], what: str,
                      question: str | None, where: Any, key: str) -> dict[str, str] | None:
        """The text each band reads (its own, else the default); None if a band has none."""
        by_band: dict[str, str] = {}
        ok = True
        for band in bands:
            chosen = value.get(band, value.get("default"))
            if chosen is None:
                self._problem(f"{what} has no text for band '{band}' (add it or a 'default')",
                              question, where, key)
                ok = False
            else:
                by_band[band] = chosen.strip()
        return by_band if ok else None

    def _static_path(self, value: Any, what: str, question: str | None, where: Any,
                     key: str) -> str | None:
        if not isinstance(value, str) or not value:
            self._problem(f"{what} must be a path under static/", question, where, key)
            return None
        if value.startswith("/") or ".." in Path(value).parts:
            self._problem(f"{what} '{value}' must be a relative path under static/", question,
                          where, key)
            return None
        if self.static_dir is not None and not (self.static_dir / value).is_file():
            self._problem(f"{what} '{value}' does not exist under static/", question, where,
                          key)
        return value

    def _pictures(self, value: Any, what: str, question: str | None,
                  where: Any) -> dict[str, str]:
        """One picture for every language, or a mapping of language (or ``default``) to file."""
        if isinstance(value, str):
            path = self._static_path(value, what, question, where, "picture")
            return {"default": path} if path else {}
        if not isinstance(value, dict) or not value:
            self._problem(f"{what} must be a file or a mapping of language to file", question,
                          where, "picture")
            return {}
        return {str(lang): path for lang, path in value.items()
                if self._static_path(path, f"{what} for '{lang}'", question, value, lang)}

    def _audio(self, value: Any, question: str | None, where: Any) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self._problem("audio must map a language code to a file", question, where, "audio")
            return {}
        return {str(lang): path for lang, path in value.items()
                if self._static_path(path, f"audio for '{lang}'", question, value, lang)}
