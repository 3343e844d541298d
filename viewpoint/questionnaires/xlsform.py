"""Questionnaires as XLSForm workbooks: the spreadsheet survey authors already know.

A workbook has the three XLSForm sheets, ``survey``, ``choices`` and ``settings``, read and
written as ``docs/xlsform.md`` describes. In short:

- a question is a ``survey`` row: ``type`` (``select_one LIST``, ``select_multiple LIST``,
  ``range``, ``text``; a list named ``faces`` or ``yes_no``, or starting ``faces_`` or
  ``yes_no_``, is the built-in picture scale or yes / not sure / no), ``name``, ``label``,
  ``hint``, ``relevant`` (where it can be said as ``show_if``), ``parameters`` (a range's
  ``start`` and ``end``), ``image`` and ``audio``;
- words in another language go in ``label::Urdu (ur)``-style columns, and words for one age
  band in ``label@4-7`` (and ``label@4-7::Urdu (ur)``);
- viewpoint's own columns: ``staff_label``, ``bands``, ``rather_not_say``, ``indicator``,
  ``positive``, ``alert``, ``alert_summary``, ``talk_request``, ``answer_pictures``,
  ``max_length``, ``scale_low`` and ``scale_high`` (survey); ``exclusive`` (choices);
  ``title`` (the title's other bands and languages), ``staff_title``, ``plan_kinds``,
  ``bands``, ``intro`` and ``help`` (settings).

Reading gives the definition (the form ``FORMAT.md`` documents) and the translations the
workbook holds; every problem names the sheet, the row and the column. The definition is
then checked like any other (``library.check_source``).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from babel import Locale
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from .definition import BANDS, BUILT_IN_OPTIONS
from .problems import Problem

#: language -> (context, English) -> the words in that language.
Translations = dict[str, dict[tuple[str, str], str]]
#: (language, context, English) -> the words in that language, or None if not translated.
Translator = Callable[[str, str, str], str | None]

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
_COLUMN = re.compile(r"^(?P<field>[a-z_]+?)(?:@(?P<band>\d+-\d+))?(?:::(?P<language>.+))?$")
_LANGUAGE = re.compile(r"^(?:.*\((?P<code>[A-Za-z-]+)\)|(?P<bare>[A-Za-z]{2,3}(?:-[A-Za-z]+)?))$")
_BUILT_IN_LISTS = {"faces": "faces", "yes_no": "yes_no"}
#: XLSForm writes a question's picture as ``image`` or ``media::image``.
_ALIASES = {"media::image": "image", "media::audio": "audio"}
#: The columns each sheet may have (besides their @band and ::language forms).
COLUMNS = {
    "survey": ("type", "name", "label", "hint", "relevant", "parameters", "image", "audio",
               "staff_label", "bands", "rather_not_say", "indicator", "positive", "alert",
               "alert_summary", "talk_request", "answer_pictures", "max_length", "scale_low",
               "scale_high"),
    "choices": ("list_name", "name", "label", "image", "audio", "exclusive"),
    "settings": ("form_id", "form_title", "title", "version", "default_language", "staff_title",
                 "plan_kinds", "bands", "intro", "help"),
}
TRUE, FALSE = "yes", "no"


@dataclass
class Imported:
    """What a workbook held: the definition, its translations, and every problem found."""

    source: dict[str, Any] | None
    translations: Translations = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: Question key -> its row on the survey sheet, to place later problems.
    rows: dict[str, int] = field(default_factory=dict)


# --- writing ---

def write_workbook(source: dict[str, Any], translate: Translator,
                   languages: list[str]) -> bytes:
    """The workbook for one definition, with its words in each of ``languages`` that
    ``translate`` knows."""
    qid = str(source.get("id", ""))
    survey: list[dict[str, Any]] = []
    choices: list[dict[str, Any]] = []
    built_in_used: list[str] = []
    for question in source.get("questions", []):
        key, qtype = question["key"], question["type"]
        row: dict[str, Any] = {"name": key}
        list_name = None
        if qtype in _BUILT_IN_LISTS:
            list_name = qtype if not question.get("options") else f"{qtype}_{key}"
            row["type"] = f"select_one {list_name}"
            if list_name == qtype and qtype not in built_in_used:
                built_in_used.append(qtype)
        elif qtype == "choose_one":
            list_name, row["type"] = key, f"select_one {key}"
        elif qtype == "choose_many":
            list_name, row["type"] = key, f"select_multiple {key}"
        elif qtype == "scale":
            scale = question.get("scale") or {}
            row["type"] = "range"
            row["parameters"] = f"start={scale.get('min', 0)} end={scale.get('max', 10)} step=1"
            _put_text(row, "scale_low", scale.get("low"), f"{qid}/{key}/low", translate,
                      languages)
            _put_text(row, "scale_high", scale.get("high"), f"{qid}/{key}/high", translate,
                      languages)
        else:
            row["type"] = "text"
        _put_text(row, "label", question.get("text"), f"{qid}/{key}", translate, languages)
        _put_text(row, "hint", question.get("hint"), f"{qid}/{key}/hint", translate, languages)
        row["staff_label"] = question.get("staff_text")
        if question.get("bands"):
            row["bands"] = " ".join(question["bands"])
        if question.get("rather_not_say") is False:
            row["rather_not_say"] = FALSE
        if "show_if" in question:
            row["relevant"] = _relevant(question["show_if"], source)
        if "indicator" in question:
            row["indicator"] = question["indicator"]
            row["positive"] = _condition_text(question.get("positive"))
        if "alert" in question:
            alert = dict(question["alert"])
            row["alert_summary"] = alert.pop("summary", None)
            row["alert"] = _condition_text(alert)
        if question.get("talk_request") is not None:
            row["talk_request"] = TRUE if question["talk_request"] else FALSE
        if question.get("answer_pictures") is False:
            row["answer_pictures"] = FALSE
        if "max_length" in question:
            row["max_length"] = question["max_length"]
        _put_media(row, question.get("media") or {})
        survey.append(row)
        if list_name is not None and (question.get("options") or qtype not in _BUILT_IN_LISTS):
            for option in question.get("options") or []:
                choice: dict[str, Any] = {"list_name": list_name, "name": option["key"]}
                if "text" in option:
                    _put_text(choice, "label", option["text"], f"{qid}/{key}/{option['key']}",
                              translate, languages)
                _put_pictures(choice, option.get("picture"))
                for language, path in (option.get("audio") or {}).items():
                    choice[f"audio::{_language_name(language)}"] = path
                if option.get("exclusive"):
                    choice["exclusive"] = TRUE
                choices.append(choice)
    # Other XLSForm tools need the built-in lists written out; reading them back changes
    # nothing unless their words were changed.
    for qtype in built_in_used:
        for option_key, english in BUILT_IN_OPTIONS[qtype]:
            choice = {"list_name": qtype, "name": option_key}
            _put_text(choice, "label", english, f"answer/{option_key}", translate, languages)
            choices.append(choice)
    settings: dict[str, Any] = {"form_id": qid, "default_language": "English (en)",
                                "staff_title": source.get("staff_title"),
                                "plan_kinds": " ".join(source.get("plan_kinds") or []),
                                "bands": " ".join(source.get("bands") or [])}
    # XLSForm's form_title is one string: its other bands and languages are our own
    # title@band and title::Language (xx) columns.
    _put_text(settings, "title", source.get("title"), f"{qid}/title", translate, languages)
    if "title" in settings:
        settings["form_title"] = settings.pop("title")
    _put_text(settings, "intro", source.get("intro"), f"{qid}/intro", translate, languages)
    if source.get("help") is not None:
        settings["help"] = _help_text(source["help"])
    return _save([(SURVEY, survey), (CHOICES, choices), (SETTINGS, [settings])])


def _texts(value: Any) -> dict[str | None, str]:
    """None (every band) or a band -> English, from a definition's text."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {None: value}
    return {(None if band == "default" else str(band)): text for band, text in value.items()}


def _put_text(row: dict[str, Any], name: str, value: Any, context: str, translate: Translator,
              languages: list[str]) -> None:
    for band, english in _texts(value).items():
        column = name if band is None else f"{name}@{band}"
        row[column] = english
        for language in languages:
            words = translate(language, context, english)
            if words:
                row[f"{column}::{_language_name(language)}"] = words


def _put_media(row: dict[str, Any], media: dict[str, Any]) -> None:
    _put_pictures(row, media.get("picture"))
    for language, path in (media.get("audio") or {}).items():
        row[f"audio::{_language_name(language)}"] = path


def _put_pictures(row: dict[str, Any], picture: Any) -> None:
    if isinstance(picture, str):
        row["image"] = picture
    elif isinstance(picture, dict):
        for language, path in picture.items():
            row["image" if language == "default" else f"image::{_language_name(language)}"] = \
                path


def _relevant(show_if: dict[str, Any], source: dict[str, Any]) -> str:
    target = show_if["question"]
    if "any_of" in show_if:
        many = next((q["type"] == "choose_many" for q in source.get("questions", [])
                     if q.get("key") == target), False)
        terms = [f"selected(${{{target}}}, '{answer}')" if many else f"${{{target}}} = '{answer}'"
                 for answer in show_if["any_of"]]
        return " or ".join(terms)
    bounds = []
    if "at_least" in show_if:
        bounds.append(f"${{{target}}} >= {show_if['at_least']}")
    if "at_most" in show_if:
        bounds.append(f"${{{target}}} <= {show_if['at_most']}")
    return " and ".join(bounds)


def _condition_text(condition: Any) -> str:
    if isinstance(condition, list):
        return " ".join(condition)
    if not isinstance(condition, dict):
        return ""
    if "any_of" in condition:
        return " ".join(condition["any_of"])
    parts = []
    if "at_least" in condition:
        parts.append(f">={condition['at_least']}")
    if "at_most" in condition:
        parts.append(f"<={condition['at_most']}")
    return " ".join(parts)


def _help_text(spec: Any) -> str:
    if isinstance(spec, list):
        return " ".join(spec)
    return "; ".join(f"{band}: {' '.join(lines)}" for band, lines in spec.items())


def _language_name(code: str) -> str:
    try:
        name = Locale.parse(code.replace("-", "_")).english_name or code
    except (ValueError, TypeError):
        name = code
    return f"{name} ({code})"


def _save(sheets: list[tuple[str, list[dict[str, Any]]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        columns: list[str] = []
        for row in rows:
            columns.extend(column for column, value in row.items()
                           if column not in columns and value not in (None, ""))
        leading = [c for c in ("type", "list_name", "name", "form_id") if c in columns]
        columns = leading + [c for c in columns if c not in leading]
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row.get(column) for column in columns])
        for number, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(number)].width = \
                min(60, max(12, len(column) + 2))
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading ---

@dataclass
class _Cell:
    sheet: str
    row: int
    column: str
    letter: str

    def where(self) -> str:
        return f"sheet '{self.sheet}', row {self.row}, column '{self.column}' ({self.letter})"


class _Reader:
    def __init__(self, name: str, languages: list[str]) -> None:
        self.name = name
        self.languages = languages
        self.result = Imported(None)

    def problem(self, cell: _Cell | str, message: str, question: str | None = None) -> None:
        where = cell.where() if isinstance(cell, _Cell) else cell
        self.result.problems.append(Problem(self.name, f"{where}: {message}", question))

    # Each sheet as (row number, {column: (value, cell)}) for every row with something in it.
    def rows(self, workbook: Any, title: str) -> Iterator[tuple[int, dict[str, Any]]]:
        sheet = workbook[title]
        header: list[str | None] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number == 1:
                header = [str(v).strip() if v is not None else None for v in values]
                for index, column in enumerate(header):
                    match = _COLUMN.match(_ALIASES.get(column, column)) if column else None
                    if column and (match is None or match.group("field") not in COLUMNS[title]):
                        self.problem(_Cell(title, 1, column, get_column_letter(index + 1)),
                                     f"is not a column viewpoint reads on this sheet (it reads "
                                     f"{', '.join(COLUMNS[title])}; see docs/xlsform.md)")
                        header[index] = None
                continue
            cells: dict[str, Any] = {}
            for index, value in enumerate(values):
                column = header[index] if index < len(header) else None
                if column is None or value is None or (isinstance(value, str)
                                                       and not value.strip()):
                    continue
                column = _ALIASES.get(column, column)
                cells[column] = (value.strip() if isinstance(value, str) else value,
                                 _Cell(title, number, column, get_column_letter(index + 1)))
            if cells:
                yield number, cells

    def language(self, cell: _Cell, label: str) -> str | None:
        match = _LANGUAGE.match(label.strip())
        code = (match.group("code") or match.group("bare")) if match else None
        if code in ("en", "English"):
            return "en"
        if code is None or code not in self.languages:
            self.problem(cell, f"language '{label}' is not one viewpoint offers "
                         f"({', '.join(self.languages)}); write it as 'Urdu (ur)'")
            return None
        return code

    def text(self, cells: dict[str, Any], name: str, context: str) -> Any:
        """The English of text ``name`` (a string, or band -> string with ``default``), and
        its translations, from columns ``name``, ``name@band`` and ``...::Language (xx)``."""
        english: dict[str, str] = {}
        translated: list[tuple[str, str, str, _Cell]] = []
        for column, (value, cell) in cells.items():
            match = _COLUMN.match(column)
            if match is None or match.group("field") != name:
                continue
            band = match.group("band") or "default"
            if band != "default" and band not in BANDS:
                self.problem(cell, f"band '{band}' is not one of {', '.join(BANDS)}")
                continue
            language = match.group("language")
            code = self.language(cell, language) if language else "en"
            if code is None:
                continue
            if code == "en":
                english[band] = str(value)
            else:
                translated.append((code, band, str(value), cell))
        for code, band, words, cell in translated:
            source = english.get(band)
            if source is None:
                self.problem(cell, "translates words that have no English beside them (fill "
                             f"in '{name}' {'for band ' + band if band != 'default' else ''})")
                continue
            self.result.translations.setdefault(code, {})[(context, source)] = words
        if not english:
            return None
        if set(english) == {"default"}:
            return english["default"]
        return english

    def media(self, cells: dict[str, Any], what: str) -> tuple[Any, dict[str, str]]:
        picture: dict[str, str] = {}
        audio: dict[str, str] = {}
        for column, (value, cell) in cells.items():
            field_name, _, language = column.partition("::")
            if field_name not in ("image", "audio"):
                continue
            code = self.language(cell, language) if language else "default"
            if code is None:
                continue
            if field_name == "image":
                picture["default" if code in ("default", "en") and not language else code] = \
                    str(value)
            elif code == "default":
                self.problem(cell, f"{what}: audio is per language: name the column "
                             "'audio::English (en)'")
            else:
                audio[code] = str(value)
        pictures: Any = picture.get("default") if set(picture) == {"default"} else picture
        return pictures or None, audio


def read_workbook(data: bytes, languages: list[str], name: str = "workbook") -> Imported:
    """Read an XLSForm workbook; problems name the sheet, row and column."""
    reader = _Reader(name, languages)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        reader.problem("the file", "is not an Excel workbook (.xlsx)")
        return reader.result
    for title in (SURVEY, SETTINGS):
        if title not in workbook.sheetnames:
            reader.problem(f"sheet '{title}'", "is missing: an XLSForm workbook has a 'survey' "
                           "sheet of questions and a 'settings' sheet with the form_id")
    if reader.result.problems:
        return reader.result
    settings = next((cells for _, cells in reader.rows(workbook, SETTINGS)), {})
    qid = str(settings.get("form_id", ("",))[0])
    if not qid:
        reader.problem(f"sheet '{SETTINGS}', row 2, column 'form_id'",
                       "is empty: give the questionnaire's id (e.g. back-from-missing)")
    choices = _read_choices(reader, workbook) if CHOICES in workbook.sheetnames else {}
    source: dict[str, Any] = {"id": qid}
    if "form_title" in settings:
        settings["title"] = settings.pop("form_title")
    source["title"] = reader.text(settings, "title", f"{qid}/title")
    source["staff_title"] = _value(settings, "staff_title")
    source["plan_kinds"] = _words(settings, "plan_kinds")
    source["bands"] = _words(settings, "bands")
    intro = reader.text(settings, "intro", f"{qid}/intro")
    if intro is not None:
        source["intro"] = intro
    if "help" in settings:
        source["help"] = _read_help(reader, *settings["help"])
    questions = []
    types: dict[str, str] = {}
    for number, cells in reader.rows(workbook, SURVEY):
        question = _read_question(reader, number, cells, qid, choices, types)
        if question is not None:
            questions.append(question)
            reader.result.rows[question["key"]] = number
    source["questions"] = questions
    source = {key: value for key, value in source.items() if value not in (None, [])
              or key in ("questions",)}
    for list_name in set(choices) - {t for t in types.values()}:
        reader.problem(f"sheet '{CHOICES}', list '{list_name}'", "is not used by any question")
    reader.result.source = source
    return reader.result


def _value(cells: dict[str, Any], column: str) -> Any:
    found = cells.get(column)
    return found[0] if found else None


def _words(cells: dict[str, Any], column: str) -> list[str]:
    value = _value(cells, column)
    return str(value).replace(",", " ").split() if value is not None else []


def _yes_no(reader: _Reader, cells: dict[str, Any], column: str) -> bool | None:
    if column not in cells:
        return None
    value, cell = cells[column]
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "true()"):
        return True
    if text in ("no", "false", "0", "false()"):
        return False
    reader.problem(cell, f"'{value}' must be yes or no")
    return None


def _read_help(reader: _Reader, value: Any, cell: _Cell) -> Any:
    text = str(value)
    if ":" not in text:
        return text.replace(",", " ").split()
    spec: dict[str, list[str]] = {}
    for part in text.split(";"):
        band, _, lines = part.partition(":")
        if not band.strip() or not lines.strip():
            reader.problem(cell, "write help as 'childline' for every band, or "
                           "'4-7: childline; 16-25: samaritans shout'")
            continue
        spec[band.strip()] = lines.replace(",", " ").split()
    return spec


def _read_choices(reader: _Reader, workbook: Any) -> dict[str, list[tuple[int, dict]]]:
    lists: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for number, cells in reader.rows(workbook, CHOICES):
        if "list_name" not in cells or "name" not in cells:
            reader.problem(f"sheet '{CHOICES}', row {number}", "needs a list_name and a name")
            continue
        lists.setdefault(str(cells["list_name"][0]), []).append((number, cells))
    return lists


def _read_question(reader: _Reader, number: int, cells: dict[str, Any], qid: str,
                   choices: dict[str, list[tuple[int, dict[str, Any]]]],
                   types: dict[str, str]) -> dict[str, Any] | None:
    if "type" not in cells or "name" not in cells:
        reader.problem(f"sheet '{SURVEY}', row {number}", "needs a type and a name")
        return None
    (type_value, type_cell), key = cells["type"], str(cells["name"][0])
    kind, _, list_name = str(type_value).partition(" ")
    list_name = list_name.strip()
    question: dict[str, Any] = {"key": key}
    if kind == "select_one" and list_name:
        built_in = next((b for b in _BUILT_IN_LISTS
                         if list_name == b or list_name.startswith(f"{b}_")), None)
        question["type"] = built_in or "choose_one"
    elif kind == "select_multiple" and list_name:
        question["type"] = "choose_many"
    elif kind == "range":
        question["type"] = "scale"
    elif kind == "text":
        question["type"] = "free_text"
    else:
        reader.problem(type_cell, f"'{type_value}' is not a question viewpoint asks: use "
                       "select_one LIST, select_multiple LIST, range or text", key)
        return None
    if list_name:
        types[key] = list_name
    question["text"] = reader.text(cells, "label", f"{qid}/{key}")
    hint = reader.text(cells, "hint", f"{qid}/{key}/hint")
    if hint is not None:
        question["hint"] = hint
    question["staff_text"] = _value(cells, "staff_label")
    if "bands" in cells:
        question["bands"] = _words(cells, "bands")
    for column, name in (("rather_not_say", "rather_not_say"), ("talk_request", "talk_request"),
                         ("answer_pictures", "answer_pictures")):
        flag = _yes_no(reader, cells, column)
        if flag is not None:
            question[name] = flag
    if "max_length" in cells:
        question["max_length"] = _number(reader, *cells["max_length"], key)
    if question["type"] == "scale":
        question["scale"] = _read_scale(reader, cells, qid, key)
    options = _read_options(reader, choices.get(list_name, []), qid, key,
                            BUILT_IN_OPTIONS.get(list_name)) if list_name else []
    if options:
        question["options"] = options
    elif list_name and question["type"] in ("choose_one", "choose_many"):
        reader.problem(type_cell, f"list '{list_name}' has no choices on the choices sheet", key)
    if "relevant" in cells:
        show_if = _read_relevant(reader, *cells["relevant"], key)
        if show_if is not None:
            question["show_if"] = show_if
    if "indicator" in cells:
        question["indicator"] = str(cells["indicator"][0])
    if "positive" in cells:
        question["positive"] = _read_condition(reader, *cells["positive"], key,
                                               bare_list=True)
    if "alert" in cells or "alert_summary" in cells:
        alert = (_read_condition(reader, *cells["alert"], key) if "alert" in cells else {}) or {}
        alert["summary"] = _value(cells, "alert_summary")
        question["alert"] = alert
    picture, audio = reader.media(cells, f"question '{key}'")
    media = {name: value for name, value in (("picture", picture), ("audio", audio)) if value}
    if media:
        question["media"] = media
    return {name: value for name, value in question.items() if value is not None}


def _read_scale(reader: _Reader, cells: dict[str, Any], qid: str, key: str) -> dict[str, Any]:
    scale: dict[str, Any] = {}
    if "parameters" in cells:
        value, cell = cells["parameters"]
        for part in str(value).split():
            name, _, number = part.partition("=")
            if name in ("start", "end") and re.fullmatch(r"-?\d+", number):
                scale["min" if name == "start" else "max"] = int(number)
            elif name == "step" and number in ("1", "1.0"):
                continue
            else:
                reader.problem(cell, f"'{part}': a range takes start=N end=N (step=1)", key)
    for name, column in (("low", "scale_low"), ("high", "scale_high")):
        text = reader.text(cells, column, f"{qid}/{key}/{name}")
        if text is not None:
            scale[name] = text
    return scale


def _read_options(reader: _Reader, rows: list[tuple[int, dict[str, Any]]], qid: str,
                  key: str, built_in: tuple[tuple[str, str], ...] | None) -> list[dict[str, Any]]:
    """The options of one question. In the lists named ``faces`` and ``yes_no``, a choice
    with the built-in words (its translations are the app's) is no option of its own."""
    options = []
    for _number, cells in rows:
        option_key = str(cells["name"][0])
        if built_in is not None and _value(cells, "label") == dict(built_in).get(option_key) \
                and not {"image", "audio"} & {c.partition("::")[0] for c in cells} \
                and not any(c.startswith("label@") for c in cells):
            continue
        option: dict[str, Any] = {"key": option_key}
        text = reader.text(cells, "label", f"{qid}/{key}/{option_key}")
        if text is not None:
            option["text"] = text
        picture, audio = reader.media(cells, f"choice '{option_key}'")
        if picture:
            option["picture"] = picture
        if audio:
            option["audio"] = audio
        if _yes_no(reader, cells, "exclusive"):
            option["exclusive"] = True
        options.append(option)
    return options


_EQUALS = re.compile(r"^\$\{(?P<q>[a-z][a-z0-9_]*)\}\s*=\s*'(?P<a>[^']*)'$")
_SELECTED = re.compile(r"^selected\(\s*\$\{(?P<q>[a-z][a-z0-9_]*)\}\s*,\s*'(?P<a>[^']*)'\s*\)$")
_BOUND = re.compile(r"^\$\{(?P<q>[a-z][a-z0-9_]*)\}\s*(?P<op><=|>=)\s*(?P<n>-?\d+)$")


def _read_relevant(reader: _Reader, value: Any, cell: _Cell, key: str) -> dict[str, Any] | None:
    text = " ".join(str(value).split())
    terms = [term.strip() for term in re.split(r"\s+or\s+", text)]
    answers, targets = [], set()
    for term in terms:
        match = _EQUALS.match(term) or _SELECTED.match(term)
        if match is None:
            break
        answers.append(match.group("a"))
        targets.add(match.group("q"))
    else:
        if len(targets) == 1:
            return {"question": targets.pop(), "any_of": answers}
    bounds = [_BOUND.match(t.strip()) for t in re.split(r"\s+and\s+", text)]
    if all(bounds) and len({b.group("q") for b in bounds if b}) == 1:
        rule: dict[str, Any] = {"question": bounds[0].group("q")}  # type: ignore[union-attr]
        for bound in bounds:
            assert bound is not None
            rule["at_least" if bound.group("op") == ">=" else "at_most"] = int(bound.group("n"))
        return rule
    reader.problem(cell, f"'{value}' cannot be said as show_if: write ${{question}} = 'answer' "
                   "(joined by or), selected(${question}, 'answer'), or ${question} >= N / "
                   "<= N, about one earlier question", key)
    return None


def _read_condition(reader: _Reader, value: Any, cell: _Cell, key: str,
                    bare_list: bool = False) -> Any:
    parts = str(value).replace(",", " ").split()
    if parts and all(re.fullmatch(r"(<=|>=)-?\d+", part) for part in parts):
        return {("at_least" if part.startswith(">=") else "at_most"): int(part[2:])
                for part in parts}
    if parts and all(re.fullmatch(r"[a-z][a-z0-9_]*", part) for part in parts):
        return parts if bare_list else {"any_of": parts}
    reader.problem(cell, f"'{value}': name the answers (e.g. 'sad no') or, for a range, "
                   "'>=7' or '<=3'", key)
    return None


def _number(reader: _Reader, value: Any, cell: _Cell, key: str) -> int | None:
    if isinstance(value, int | float) and int(value) == value:
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    reader.problem(cell, f"'{value}' must be a whole number", key)
    return None


def place(problems: list[Problem], rows: dict[str, int]) -> list[Problem]:
    """Problems found when checking an imported definition, each with the survey row of
    its question."""
    placed = []
    for problem in problems:
        row = rows.get(problem.question or "")
        if row is not None and "sheet '" not in problem.message:
            problem = Problem(problem.file, f"sheet '{SURVEY}', row {row}: {problem.message}",
                              problem.question)
        placed.append(problem)
    return placed


__all__ = ["COLUMNS", "Imported", "Translations", "Translator", "place",
           "read_workbook", "write_workbook"]
