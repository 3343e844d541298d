"""A response as a PDF: for the child's file in the case-management system and for the
review meeting. Built from the same :class:`~.reading.ResponseReading` as the page.

Children answer in many languages and write in many scripts, and the review pack must hold
their words exactly. The PDF embeds the fonts the child's pages use (``static/fonts/``: Noto
Sans for Latin letters, then one font per script, with Urdu in Nastaliq) and shapes the text
with HarfBuzz, so Arabic-script words are joined and read right to left and Bengali and
Gurmukhi letters combine as they should. A script's font is loaded only when the document
holds a letter in it. Each line in such a script also carries its characters as text
(``/ActualText``), so that searching, copying or extracting the PDF gives the child's words.

Without fonts (a broken install) the PDF falls back to its built-in fonts, which know only
Western European letters. A character no font can show is never dropped silently or allowed
to stop the download: it is replaced by a visible mark, and the PDF says that the child's own
words are on screen.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fpdf
from flask import current_app
from flask_babel import format_date, format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fontTools.ttLib import TTFont
from fpdf.bidi import auto_detect_base_direction
from fpdf.enums import Align, MethodReturnValue, TextDirection, XPos, YPos
from fpdf.fonts import FontFace

from ..i18n import font_for
from ..models import AlertSource, Feedback
from .reading import (
    AlertNote,
    AnswerState,
    Change,
    QuestionReading,
    ResponseReading,
    ShownAnswer,
)
from .subject_access import REDACTED, SubjectAccess, every_text

FOOTER = _l("Confidential: contains personal information about a child")

#: Stands in, visibly, for characters the PDF cannot show.
MARK = "[?]"

#: The zero-width non-joiner: invisible, but it changes how Persian, Urdu and Bengali letters
#: join ("می‌خواهم"), so it is kept where a font can carry it.
_ZWNJ = "\u200c"

#: A font file as shipped for the child's pages: ``<name>-400.woff2`` is a face's regular
#: weight and ``<name>-700.woff2`` its bold. TrueType and OpenType files named so work too.
_FACE_FILE = re.compile(r"^(?P<name>.+)-(?P<weight>400|700)\.(?:woff2|woff|ttf|otf)$",
                        re.IGNORECASE)
#: The folder whose faces lead: Noto Sans, for Latin letters, digits and punctuation.
_LATIN = "noto-sans"

_LINE = 5.0


@dataclass(frozen=True)
class Face:
    """One font the PDF can use: a face in a folder of ``static/fonts`` (a folder can hold
    several, such as Noto Sans's Latin and Latin Extended letters), regular and bold."""

    folder: str
    name: str
    regular: Path
    bold: Path

    @property
    def family(self) -> str:
        """The name the document knows it by (fpdf2 wants it in lower case)."""
        return f"{self.folder}-{self.name}".lower()


def find_fonts(directory: Path) -> tuple[Face, ...]:
    """The fonts in ``directory``, one folder per font as the child's pages use them, Noto
    Sans first (its Latin letters before its Latin Extended ones); none if it is missing."""
    if not directory.is_dir():
        return ()
    weights: dict[tuple[str, str], dict[str, Path]] = {}
    for path in sorted(directory.glob("*/*")):
        match = _FACE_FILE.match(path.name)
        if match and path.is_file():
            face = weights.setdefault((path.parent.name, match["name"]), {})
            face.setdefault(match["weight"], path)
    faces = [Face(folder, name, files["400"], files.get("700", files["400"]))
             for (folder, name), files in weights.items() if "400" in files]
    return tuple(sorted(faces, key=lambda face: (face.folder != _LATIN, face.folder,
                                                 len(face.name), face.name)))


@cache
def _converted(source: str, modified: int, size: int, cache_dir: str) -> str:
    data = Path(source).read_bytes()
    font = TTFont(io.BytesIO(data))
    suffix = ".otf" if "CFF " in font else ".ttf"
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = Path(cache_dir) / f"{Path(source).parent.name}-{Path(source).stem}-{digest}{suffix}"
    if target.is_file():
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.flavor = None
    # Written beside and renamed, so that two workers converting at once never read half a
    # file.
    handle, scratch = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            font.save(out)
        os.replace(scratch, target)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return str(target)


def sfnt(path: Path, cache_dir: Path | None) -> Path:
    """``path`` as a TrueType/OpenType file. fpdf2 reads WOFF2 itself but decompresses it again
    for every document (a tenth of a second for each font), so it is decompressed once into
    ``cache_dir``. If that folder cannot be written, the WOFF2 is used as it is."""
    if cache_dir is None or path.suffix.lower() not in (".woff", ".woff2"):
        return path
    try:
        stat = path.stat()
        return Path(_converted(str(path), stat.st_mtime_ns, stat.st_size, str(cache_dir)))
    except OSError:
        return path


@dataclass(frozen=True)
class _Metrics:
    #: The characters the font has.
    cmap: frozenset[int]
    #: How tall its lines are (ascent plus descent), in ems: Nastaliq climbs and falls far
    #: from the line and needs more room than Latin letters.
    extent: float


@cache
def _metrics(path: Path) -> _Metrics:
    font = TTFont(path, lazy=True)
    try:
        hhea = font["hhea"]
        return _Metrics(frozenset(font.getBestCmap() or {}),
                        (hhea.ascent - hhea.descent) / font["head"].unitsPerEm)
    finally:
        font.close()


def _pdf_text(text: str) -> str:
    """A PDF text string (UTF-16 with its byte-order mark) for any Unicode text."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def _complex(text: str) -> bool:
    """Whether ``text`` needs shaping, and then may be drawn with glyphs that do not spell it
    one letter each: right-to-left text, and letters of scripts beyond Latin, Greek and
    Cyrillic."""
    return any(unicodedata.bidirectional(char) in ("R", "AL", "AN")
               or (ord(char) >= 0x0590 and unicodedata.category(char)[0] in "LM")
               for char in text)


def _as_drawn(text_line: Any) -> str:
    """The characters of one line in the order they are drawn, left to right."""
    parts = []
    for fragment in text_line.get_ordered_fragments():
        characters = "".join(fragment.characters)
        parts.append(characters[::-1] if fragment.fragment_direction is TextDirection.RTL
                     else characters)
    return "".join(parts)


class Showable:
    """Decides which characters the document's fonts can show, and marks the rest."""

    def __init__(self, covered: set[int] | None) -> None:
        #: Code points the Unicode fonts cover; None when only the built-in fonts are used.
        self.covered = covered

    def can_show(self, char: str) -> bool:
        if self.covered is not None:
            return ord(char) in self.covered
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            return False
        return True

    def clean(self, text: str) -> tuple[str, bool]:
        """``text`` as the PDF can print it, and whether anything had to be replaced."""
        text = unicodedata.normalize("NFC", text).replace("\t", "    ")
        out: list[str] = []
        replaced = in_run = False
        for char in text:
            if char == "\n":
                out.append(char)
                in_run = False
                continue
            category = unicodedata.category(char)
            # Invisible controls and direction marks (the shaping works out the direction).
            if category in ("Cc", "Cf") and not (char == _ZWNJ and self.can_show(char)):
                continue
            if category.startswith("Z") or self.can_show(char):
                out.append(" " if category.startswith("Z") else char)
                in_run = False
            elif not in_run:
                out.append(MARK)
                replaced = in_run = True
        cleaned = "".join(out)
        # A phrase of unshowable words reads as one mark, not one per word.
        escaped = re.escape(MARK)
        return re.sub(rf"{escaped}(?: +{escaped})+", MARK, cleaned), replaced

    def __call__(self, text: str) -> str:
        return self.clean(text)[0]

    def needs_marks(self, texts: Iterable[str]) -> bool:
        return any(self.clean(text)[1] for text in texts)


@dataclass(frozen=True)
class _Line:
    text: str
    bold: bool = False
    size: float = 10
    indent: float = 0
    muted: bool = False
    #: The language of the child's words in the line, when it is not the response's (an
    #: answer from last time in another language).
    language: str | None = None


class _Document(fpdf.FPDF):
    def __init__(self, faces: Sequence[Face], *, language: str,
                 cache_dir: Path | None = None) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_creator("viewpoint")
        locale = get_locale()
        self.set_lang(str(locale).replace("_", "-") if locale else "en")
        #: The language of the child's words: it decides, for instance, that Arabic letters
        #: are drawn in Nastaliq for an Urdu response and in Naskh for an Arabic one.
        self.language = language
        self._faces = [Face(face.folder, face.name, sfnt(face.regular, cache_dir),
                            sfnt(face.bold, cache_dir)) for face in faces]
        self._loaded: set[tuple[str, str]] = set()
        self._order: list[Face] = []
        if self._faces:
            primary = self._faces[0]
            self._load(primary, "")
            self._load(primary, "B")
            self.family_name = primary.family
            self._primary = _metrics(primary.regular)
            self._cmaps = {face.family: _metrics(face.regular).cmap for face in self._faces}
            self.show = Showable(set().union(*self._cmaps.values()))
            self.use_language(None)
        else:
            # The built-in fonts with Windows-1252, which (unlike Latin-1) has the curly
            # quotes and dashes a tablet's keyboard puts in children's writing.
            self.core_fonts_encoding = "cp1252"
            self.family_name = "helvetica"
            self.show = Showable(None)
        self.footer_text = self.show(str(FOOTER))
        self.prepare(self.footer_text)

    # --- fonts and scripts ------------------------------------------------------------------

    def _load(self, face: Face, style: str) -> None:
        """Add ``face`` in ``style`` ("" or "B"), if it is not in the document yet. Every font
        added is embedded, so only those the text uses are added."""
        if (face.family, style) in self._loaded:
            return
        self.add_font(face.family, style, str(face.bold if style else face.regular))
        self._loaded.add((face.family, style))
        fallbacks = [f.family for f in self._faces[1:]
                     if any(family == f.family for family, _style in self._loaded)]
        self.set_fallback_fonts(fallbacks, exact_match=False)

    def prepare(self, text: str, bold: bool = False) -> None:
        """Load the fonts ``text`` needs beyond Noto Sans's Latin letters. (fpdf2 looks for
        another font only once it has one to fall back on.)"""
        if self._faces:
            for code in {ord(char) for char in text} - self._primary.cmap:
                face = self._face_for(code)
                if face is not None:
                    self._load(face, "B" if bold else "")

    def use_language(self, language: str | None, *, shaped: bool = False) -> None:
        """Prefer the font of ``language``'s script (the response's by default) for the text
        that follows, and shape it by that language's rules if ``shaped``. Text in Latin
        letters alone is not shaped: fpdf2 shapes the whole line again for every character
        it lays out, which made a PDF in English several times slower."""
        if not self._faces:
            return
        language = language or self.language
        preferred = font_for(language)
        self._order = sorted(self._faces[1:], key=lambda face: face.folder != preferred)
        self.set_text_shaping(shaped, language=language)

    def _face_for(self, code: int) -> Face | None:
        return next((face for face in self._order if code in self._cmaps[face.family]), None)

    # fpdf2 asks this for every character the current font lacks: the face is loaded then,
    # so that a document in English embeds Noto Sans alone.
    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        face = self._face_for(ord(char))
        if face is None:
            return None
        style = "B" if "B" in style else ""
        self._load(face, style)
        return face.family + style

    def line_factor(self, text: str) -> float:
        """How much taller than a Latin line a line of ``text`` must be for its tallest
        script."""
        if not self._faces:
            return 1.0
        extent = self._primary.extent
        for code in {ord(char) for char in text} - self._primary.cmap:
            face = self._face_for(code)
            if face is not None:
                extent = max(extent, _metrics(face.regular).extent)
        return extent / self._primary.extent

    # fpdf2 draws every line of text here. Shaped glyphs do not spell the text one letter
    # each (a joined Arabic letter, a Bengali vowel sign drawn before its consonant), so
    # the line's characters go with it as its /ActualText. They are given in the order they
    # are drawn, left to right: text extraction (poppler's, for one) reads a replacement
    # text as laid out across the line and puts right-to-left runs back into reading order
    # itself, as it does for the glyphs.
    def _render_styled_text_line(self, text_line: Any, h: float | None = None,
                                 *args: Any, **kwargs: Any) -> Any:
        if self._faces:
            # fpdf2 takes the page's font to be the current one at the start of each line,
            # but a line that ended in another script's font left that one set: say the
            # font again, or the next line's Latin letters are drawn from the wrong font.
            self.current_font_is_set_on_page = False
        drawn = _as_drawn(text_line) if self.text_shaping else ""
        # A page break inside would split the marked text across two pages.
        if not _complex(drawn) or self.will_page_break(h or 0):
            return super()._render_styled_text_line(text_line, h, *args, **kwargs)
        self._out(f"/Span <</ActualText {_pdf_text(drawn)}>> BDC")
        try:
            return super()._render_styled_text_line(text_line, h, *args, **kwargs)
        finally:
            self._out("EMC")

    # fpdf2 calls this at the end of every page.
    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.family_name, "", 8)
        self.set_text_color(0)
        self.cell(w=0, h=4, text=self.footer_text, align="L")
        self.set_x(self.l_margin)
        page = self.show(_("Page %(page)d of %(pages)s", page=self.page_no(), pages="{nb}"))
        self.prepare(page)
        self.cell(w=0, h=4, align="R", text=page)

    @contextmanager
    def _writing(self, line: _Line) -> Iterator[tuple[float, Align]]:
        """Set up for ``line``: its font, colour and language; gives its line height and
        alignment (right for a paragraph that starts in a right-to-left script)."""
        self.set_font(self.family_name, "B" if line.bold else "", line.size)
        self.set_text_color(80 if line.muted else 0)
        shaped = _complex(line.text)
        self.use_language(line.language, shaped=shaped)
        self.prepare(line.text, line.bold)
        rtl = shaped and auto_detect_base_direction(line.text) is TextDirection.RTL
        try:
            yield (_LINE * line.size / 10 * self.line_factor(line.text),
                   Align.R if rtl else Align.L)
        finally:
            self.set_text_color(0)
            self.use_language(None)

    def _height(self, line: _Line) -> float:
        with self._writing(line) as (height, align):
            # Measured without shaping: fpdf2 shapes a line again for every character it
            # lays out, so a long answer in Urdu would cost twice. Unshaped widths are close
            # enough to decide whether a block starts a new page.
            self.set_text_shaping(False)
            return float(self.multi_cell(w=self.epw - line.indent, h=height, text=line.text,
                                         align=align, dry_run=True,
                                         output=MethodReturnValue.HEIGHT))

    def write_lines(self, lines: Sequence[_Line], keep_together: bool = True) -> None:
        """Write ``lines``; start a new page first rather than split them, if they fit on one."""
        if keep_together:
            height = sum(self._height(line) for line in lines)
            if self.y + height > self.page_break_trigger and height < self.eph \
                    and self.y > self.t_margin + 1:
                self.add_page()
        for line in lines:
            with self._writing(line) as (height, align):
                self.set_x(self.l_margin + line.indent)
                self.multi_cell(w=self.epw - line.indent, h=height, text=line.text,
                                align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str, size: float = 13) -> None:
        self.ln(2)
        self.write_lines([_Line(self.show(text), bold=True, size=size)])
        self.ln(1)

    def pairs(self, rows: Sequence[tuple[str, str]], widths: tuple[float, float] = (48, 126),
              heading: tuple[str, str] | None = None) -> None:
        self.set_font(self.family_name, "", 10)
        self.use_language(None, shaped=any(_complex(text) for row in rows for text in row))
        for text in heading or ():
            self.prepare(text, bold=True)
        for label, value in rows:
            self.prepare(label, bold=True)
            self.prepare(value)
        with self.table(col_widths=widths, first_row_as_headings=heading is not None,
                        borders_layout="HORIZONTAL_LINES" if heading else "NONE",
                        text_align="LEFT", line_height=_LINE, width=sum(widths),
                        align="LEFT") as table:
            if heading is not None:
                row = table.row()
                for text in heading:
                    row.cell(self.show(text))
            for label, value in rows:
                row = table.row()
                row.cell(self.show(label), style=FontFace(emphasis="BOLD"))
                row.cell(self.show(value))
        self.use_language(None)
        self.ln(2)


#: Dates as people in English councils write them ("6 December 2026").
DATE = "d MMMM yyyy"


def _when(moment: datetime | None) -> str:
    return format_datetime(moment, f"{DATE}, HH:mm") if moment else ""


def _answer_lines(show: Showable, label: str, answer: ShownAnswer, *, indent: float = 6,
                  muted: bool = False) -> list[_Line]:
    lines = []
    text, replaced = show.clean(answer.describe())
    if answer.own_words:
        heading = label if not answer.written_in else f"{label} ({answer.written_in})"
        lines.append(_Line(show(heading), bold=not muted, indent=indent, muted=muted))
        lines.append(_Line(text, indent=indent + 4, muted=muted, language=answer.language))
    else:
        lines.append(_Line(show(f"{label} {text}"), bold=False, indent=indent, muted=muted))
        if answer.scale_ends:
            lines.append(_Line(show(answer.scale_ends), size=9, indent=indent + 4, muted=True))
    if replaced:
        lines.append(_Line(show(_("Some characters cannot be shown in this PDF and are marked "
                                  "%(mark)s. Read the child's words on screen.", mark=MARK)),
                           size=9, indent=indent + 4, muted=True))
    return lines


def _alert_state(alert: AlertNote) -> str:
    """Where an alert stands: closed or acknowledged (by whom and when), or still open."""
    if alert.closed:
        if alert.closed_by:
            return _("Closed on %(when)s by %(name)s.", when=_when(alert.closed_at),
                     name=alert.closed_by)
        return _("Closed on %(when)s.", when=_when(alert.closed_at))
    if alert.acknowledged:
        if alert.acknowledged_by:
            return _("Acknowledged on %(when)s by %(name)s; not closed yet.",
                     when=_when(alert.acknowledged_at), name=alert.acknowledged_by)
        return _("Acknowledged on %(when)s; not closed yet.", when=_when(alert.acknowledged_at))
    if alert.overdue:
        return _("Open and overdue: nobody has acknowledged it, and it should have been "
                 "acknowledged by %(when)s.", when=_when(alert.acknowledge_by))
    return _("Open: nobody has acknowledged it yet.")


def _question_lines(show: Showable, question: QuestionReading,
                    compared: bool) -> list[_Line]:
    lines = [_Line(show(f"{question.number}. {question.staff_text}"), bold=True)]
    marks = []
    if question.change is Change.CHANGED:
        marks.append(_("CHANGED since last time"))
    elif question.new_to_questionnaire and compared:
        marks.append(_("NEW: not in the questionnaire last time"))
    elif question.change is Change.NEW and compared:
        marks.append(_("NEW: not asked last time"))
    if question.alert is not None:
        marks.append(_("SAFEGUARDING ALERT: %(summary)s", summary=question.alert.summary))
    for mark in marks:
        lines.append(_Line(show(f">> {mark}"), bold=True, indent=6))
    lines.append(_Line(show(_("Asked: “%(wording)s”", wording=question.wording)), size=9,
                       indent=6, muted=True))
    if question.wording_as_served:
        lines.append(_Line(show(_("As the child read it: “%(wording)s”",
                                  wording=question.wording_as_served)),
                           size=9, indent=6, muted=True))
    lines += _answer_lines(show, _("Answer:"), question.answer)
    if question.waited is not None:
        given, received = question.waited
        lines.append(_Line(show(_("Answered offline on %(given)s, received %(received)s.",
                                  given=_when(given), received=_when(received))),
                           size=9, indent=10, muted=True))
    if question.previous_worth_showing:
        assert question.previous is not None
        lines += _answer_lines(show, _("Last time:"), question.previous, muted=True)
    elif question.change is Change.UNCHANGED and question.answer.state in (
            AnswerState.ANSWERED, AnswerState.DECLINED):
        lines.append(_Line(show(_("Same as last time.")), size=9, indent=6, muted=True))
    if question.indicator is not None:
        lines.append(_Line(show(_("Indicator: %(label)s: %(state)s",
                                  label=question.indicator.label,
                                  state=question.indicator.state_label)), size=9, indent=6))
    return lines


def _every_text(reading: ResponseReading, feedback: Sequence[Feedback]) -> Iterable[str]:
    yield from (reading.reference, reading.first_name, reading.last_name)
    for question in reading.questions:
        yield question.answer.describe()
        if question.previous is not None:
            yield question.previous.describe()
        yield question.wording_as_served or ""
    for note in feedback:
        yield note.body


def response_pdf(reading: ResponseReading, feedback: Sequence[Feedback] = (), *,
                 font_dir: Path | None = None, cache_dir: Path | None = None) -> bytes:
    """The PDF of one response. Never fails on text its fonts cannot show (see module notes).

    ``font_dir`` defaults to ``static/fonts``; ``cache_dir``, where its WOFF2 fonts are kept
    decompressed, to ``pdf-fonts`` in the instance folder.
    """
    if font_dir is None:
        font_dir = Path(current_app.static_folder or "static") / "fonts"
    if cache_dir is None:
        cache_dir = Path(current_app.instance_path) / "pdf-fonts"
    pdf = _Document(find_fonts(font_dir), language=reading.language, cache_dir=cache_dir)
    show = pdf.show
    pdf.set_title(show(_("A child's answers")))
    pdf.add_page()

    pdf.set_font(pdf.family_name, "B", 16)
    pdf.write_lines([
        _Line(show(_("What %(name)s said", name=reading.full_name)), bold=True, size=16),
        _Line(show(reading.questionnaire_title), size=11, muted=True)])
    pdf.ln(2)
    if reading.in_progress:
        pdf.write_lines([_Line(show(_("Not sent yet: %(name)s is still answering, so these "
                                      "answers may change.", name=reading.first_name)),
                               bold=True)])
    if show.needs_marks(_every_text(reading, feedback)):
        pdf.write_lines([_Line(show(_(
            "Some of what the child wrote is in letters this PDF cannot show. They are marked "
            "%(mark)s. The answers exactly as the child wrote them are on screen in viewpoint.",
            mark=MARK)), bold=True)])
        pdf.ln(1)

    details = [
        (_("Reference"), reading.reference),
        (_("Name"), reading.full_name),
        (_("Plan"), reading.plan_label),
        (_("Review due"), format_date(reading.review_due, DATE)),
        (_("Questionnaire"), reading.questionnaire_title),
        (_("Age band"), reading.band_label),
        (_("Language"), reading.language_name),
        (_("Who helped"), reading.helped_by_label),
        (_("Started"), _when(reading.started_at)),
        (_("Sent"), _when(reading.submitted_at) if reading.submitted_at
         else _("Not sent yet")),
        (_("Compared with"),
         _("Answers sent on %(date)s", date=_when(reading.previous.submitted_at))
         if reading.previous else _("Nothing: these are the first answers to this questionnaire")),
    ]
    pdf.pairs(details)

    if reading.alerts:
        pdf.heading(_("Safeguarding alerts"))
        lines = []
        for alert in reading.alerts:
            lines.append(_Line(show("- " + _("%(summary)s (raised %(when)s).",
                                             summary=alert.summary,
                                             when=_when(alert.raised_at))
                                    + " " + _alert_state(alert)),
                               bold=alert.source is AlertSource.ANSWER or not alert.closed))
        pdf.write_lines(lines, keep_together=False)

    if reading.indicators:
        pdf.heading(_("Indicators at a glance"))
        pdf.pairs([(indicator.label, indicator.state_label if not reading.previous else
                    _("%(now)s (last time: %(before)s)", now=indicator.state_label,
                      before=indicator.previous_label or _("not answered")))
                   for indicator in reading.indicators], widths=(100, 74))

    pdf.heading(_("Every question"))
    if reading.previous:
        pdf.write_lines([_Line(show(ngettext(
            "%(num)d answer changed since last time, marked CHANGED.",
            "%(num)d answers changed since last time, marked CHANGED.",
            reading.changed_count)), size=9, muted=True)])
    for question in reading.questions:
        pdf.write_lines(_question_lines(show, question, compared=reading.previous is not None))
        pdf.ln(2)

    if feedback:
        pdf.heading(_("You said, we did: written back to the child"))
        for note in feedback:
            seen = (_("Seen by the child on %(date)s", date=_when(note.seen_at)) if note.seen_at
                    else _("Not seen by the child yet"))
            author = note.written_by.display_name if note.written_by else _("A former colleague")
            pdf.write_lines([
                _Line(show(_("%(author)s, %(date)s. %(seen)s.", author=author,
                             date=_when(note.written_at), seen=seen)), bold=True, size=9),
                _Line(show(note.body), indent=4)])
            pdf.ln(1)
    return bytes(pdf.output())



def _at(iso: str | None) -> str:
    """A moment written as :func:`export.moment` writes it, as the PDF writes moments."""
    return _when(datetime.fromisoformat(iso)) if iso else ""


def _on(iso: str | None) -> str:
    return format_date(date.fromisoformat(iso), DATE) if iso else ""


def subject_access_pdf(record: SubjectAccess, *, font_dir: Path | None = None,
                       cache_dir: Path | None = None) -> bytes:
    """Everything held about one child, for them to read (see ``subject_access.py``)."""
    if font_dir is None:
        font_dir = Path(current_app.static_folder or "static") / "fonts"
    if cache_dir is None:
        cache_dir = Path(current_app.instance_path) / "pdf-fonts"
    pdf = _Document(find_fonts(font_dir), language=record.child.preferred_language,
                    cache_dir=cache_dir)
    show = pdf.show
    pdf.set_title(show(_("Everything viewpoint holds about %(name)s", name=record.full_name)))
    pdf.add_page()
    pdf.write_lines([
        _Line(show(_("Everything viewpoint holds about %(name)s", name=record.full_name)),
              bold=True, size=16),
        _Line(show(_("Produced on %(when)s by %(name)s, in answer to a request to see these "
                     "records.", when=_when(record.produced_at), name=record.produced_by)),
              size=10, muted=True)])
    if record.redaction.words or record.redaction.colleagues_by_role:
        pdf.write_lines([_Line(show(_(
            "To protect other people, some words have been replaced by %(mark)s and some staff "
            "are shown by their role instead of their name.", mark=REDACTED)), bold=True)])
    if show.needs_marks(every_text(record)):
        pdf.write_lines([_Line(show(_(
            "Some of the words are in letters this PDF cannot show. They are marked %(mark)s; "
            "the machine-readable copy has them exactly.", mark=MARK)), bold=True)])
    pdf.ln(2)
    pdf.heading(_("Your details"))
    pdf.pairs(record.details)

    pdf.heading(_("Plans and reviews"))
    if not record.plans:
        pdf.write_lines([_Line(show(_("None.")))])
    for plan in record.plans:
        held = [_("review due %(due)s, held %(held)s", due=_on(review["due_on"]),
                  held=_on(review["held_on"])) if review["held_on"]
                else _("review due %(due)s", due=_on(review["due_on"]))
                for review in plan["reviews"]]
        pdf.write_lines([
            _Line(show(_("%(kind)s from %(start)s to %(end)s", kind=plan["kind_label"],
                         start=_on(plan["started_on"]),
                         end=_on(plan["ended_on"]) or _("now"))), bold=True),
            *([_Line(show(plan["placement_label"]), indent=4)] if plan["placement_label"]
              else []),
            *(_Line(show(line), indent=4, size=9) for line in held)], keep_together=False)

    pdf.heading(_("Questionnaires you were sent"))
    if not record.invitations:
        pdf.write_lines([_Line(show(_("None.")))])
    for invitation in record.invitations:
        if invitation["issued_by"]:
            sent = _("%(title)s: sent %(when)s by %(who)s, in %(language)s; %(state)s.",
                     title=invitation["questionnaire_title"], when=_at(invitation["issued_at"]),
                     who=invitation["issued_by"], language=invitation["language_label"],
                     state=invitation["state_label"])
        else:
            sent = _("%(title)s: sent %(when)s, in %(language)s; %(state)s.",
                     title=invitation["questionnaire_title"], when=_at(invitation["issued_at"]),
                     language=invitation["language_label"], state=invitation["state_label"])
        pdf.write_lines([_Line(show(sent))])

    for answered in record.questionnaires:
        reading = answered.reading
        pdf.heading(_("Your answers: %(title)s", title=reading.questionnaire_title))
        pdf.pairs([
            (_("Started"), _when(reading.started_at)),
            (_("Sent"), _when(reading.submitted_at) if reading.submitted_at
             else _("Not sent")),
            (_("Language"), reading.language_name),
            (_("Age band"), reading.band_label),
            (_("Who helped"), reading.helped_by_label)])
        for question in reading.questions:
            lines = _question_lines(show, question, compared=False)
            for note in answered.notes.get(question.key, []):
                lines.append(_Line(show(_("Note added %(when)s by %(who)s: %(note)s",
                                          when=_at(note["written_at"]),
                                          who=note["written_by"] or _("a former colleague"),
                                          note=note["note"])), indent=6, size=9))
            pdf.write_lines(lines)
            pdf.ln(1)

    pdf.heading(_("Alerts and what was done"))
    if not record.alerts:
        pdf.write_lines([_Line(show(_("None.")))])
    for alert in record.alerts:
        lines = [_Line(show(_("Raised %(when)s: %(why)s", when=_at(alert["raised_at"]),
                              why=alert["why"])), bold=True)]
        if alert["acknowledged_at"]:
            lines.append(_Line(show(_("Seen on %(when)s by %(who)s.",
                                      when=_at(alert["acknowledged_at"]),
                                      who=alert["acknowledged_by"] or _("a former colleague"))),
                               indent=4))
        if alert["closed_at"]:
            lines.append(_Line(show(_("Closed on %(when)s by %(who)s. What was done: %(done)s",
                                      when=_at(alert["closed_at"]),
                                      who=alert["closed_by"] or _("a former colleague"),
                                      done=alert["what_was_done"])), indent=4))
        pdf.write_lines(lines)

    pdf.heading(_("You said, we did: what you were told"))
    if not record.feedback:
        pdf.write_lines([_Line(show(_("None.")))])
    for note in record.feedback:
        pdf.write_lines([
            _Line(show(_("%(who)s, %(when)s", who=note["written_by"] or _("a former colleague"),
                         when=_at(note["written_at"]))), bold=True, size=9),
            _Line(show(note["note"]), indent=4)])

    pdf.heading(_("Who has looked at your record"))
    if not record.views:
        pdf.write_lines([_Line(show(_("Nobody.")))])
    pdf.write_lines([_Line(show(f"{_when(view.at)}: {view.who}: {view.what}"), size=9)
                     for view in record.views], keep_together=False)
    return bytes(pdf.output())
