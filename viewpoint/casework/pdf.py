"""A response as a PDF: for the child's file in the case-management system and for the
review meeting. Built from the same :class:`~.reading.ResponseReading` as the page.

Children answer in many languages and write in many scripts. The PDF uses a Unicode font
from ``static/fonts/`` when the service has one; otherwise (and for any character no font
covers) it uses the PDF's built-in fonts, which know only Western European letters. A
character that cannot be shown is never dropped silently or allowed to stop the download:
it is replaced by a visible mark, and the PDF says that the child's own words are on screen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import fpdf
from flask import current_app
from flask_babel import format_date, format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import FontFace

from ..models import AlertSource, Feedback
from .reading import AnswerState, Change, QuestionReading, ResponseReading, ShownAnswer

FOOTER = _l("Confidential: contains personal information about a child")

#: Stands in, visibly, for characters the PDF cannot show.
MARK = "[?]"

#: Right-to-left scripts (Arabic, Urdu, Kurdish, Pashto, Hebrew...) are laid out correctly by
#: fpdf2 only with its text-shaping engine (uharfbuzz), which the service does not install:
#: without it the letters would print unjoined and in reverse order, which reads as other
#: words. Such text is marked instead, and read on screen.
_UNSHAPED_BIDI = frozenset({"R", "AL", "AN"})

#: Words in a font file's name that mean it is not the plain face.
_NOT_PLAIN = ("bold", "italic", "oblique", "light", "thin", "black", "medium", "semi", "extra",
              "condensed", "narrow", "mono", "serif", "display")

_FAMILY = "viewpoint"
_LINE = 5.0


@dataclass(frozen=True)
class Fonts:
    """The Unicode font files found: the plain face, its bold, and faces for other scripts."""

    regular: Path | None = None
    bold: Path | None = None
    others: tuple[Path, ...] = ()


def find_fonts(directory: Path) -> Fonts:
    """The TrueType/OpenType fonts in ``directory`` the PDF can use (none if it is missing).

    Noto Sans leads when present (it covers Latin, Greek and Cyrillic); every other plain
    face (Noto Sans Arabic, Devanagari...) fills in the characters it lacks.
    """
    if not directory.is_dir():
        return Fonts()
    files = sorted(path for path in directory.rglob("*")
                   if path.suffix.lower() in (".ttf", ".otf") and path.is_file())

    def plain(path: Path) -> bool:
        stem = path.stem.lower().replace("regular", "")
        return not any(word in stem for word in _NOT_PLAIN)

    faces = sorted((path for path in files if plain(path)),
                   key=lambda p: (not p.stem.lower().startswith("notosans-"), len(p.stem), p.name))
    if not faces:
        return Fonts()
    regular = faces[0]
    stem = regular.stem.lower()
    bold_names = {stem.replace("regular", "bold"), f"{stem}-bold", f"{stem}bold"}
    bold = next((path for path in files if path.stem.lower() in bold_names), None)
    return Fonts(regular=regular, bold=bold, others=tuple(faces[1:]))


class Showable:
    """Decides which characters the document's fonts can show, and marks the rest."""

    def __init__(self, covered: set[int] | None) -> None:
        #: Code points the Unicode fonts cover; None when only the built-in fonts are used.
        self.covered = covered

    def can_show(self, char: str) -> bool:
        if unicodedata.bidirectional(char) in _UNSHAPED_BIDI:
            return False
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
            if category in ("Cc", "Cf"):  # invisible controls and direction marks
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


class _Document(fpdf.FPDF):
    def __init__(self, fonts: Fonts) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_creator("viewpoint")
        if fonts.regular is not None:
            self.add_font(_FAMILY, "", str(fonts.regular))
            self.add_font(_FAMILY, "B", str(fonts.bold or fonts.regular))
            fallbacks = []
            for number, path in enumerate(fonts.others):
                name = f"{_FAMILY}{number}"
                self.add_font(name, "", str(path))
                fallbacks.append(name)
            if fallbacks:
                self.set_fallback_fonts(fallbacks, exact_match=False)
            covered: set[int] = set()
            for font in self.fonts.values():
                covered.update(getattr(font, "cmap", {}) or {})
            self.family_name = _FAMILY
            self.show = Showable(covered)
        else:
            # The built-in fonts with Windows-1252, which (unlike Latin-1) has the curly
            # quotes and dashes a tablet's keyboard puts in children's writing.
            self.core_fonts_encoding = "cp1252"
            self.family_name = "helvetica"
            self.show = Showable(None)
        self.footer_text = self.show(str(FOOTER))

    # fpdf2 calls this at the end of every page.
    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.family_name, "", 8)
        self.set_text_color(0)
        self.cell(w=0, h=4, text=self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(w=0, h=4, align="R", text=self.show(
            _("Page %(page)d of %(pages)s", page=self.page_no(), pages="{nb}")))

    def _height(self, line: _Line) -> float:
        self.set_font(self.family_name, "B" if line.bold else "", line.size)
        return float(self.multi_cell(w=self.epw - line.indent, h=_LINE * line.size / 10,
                                     text=line.text, dry_run=True,
                                     output=MethodReturnValue.HEIGHT))

    def write_lines(self, lines: Sequence[_Line], keep_together: bool = True) -> None:
        """Write ``lines``; start a new page first rather than split them, if they fit on one."""
        if keep_together:
            height = sum(self._height(line) for line in lines)
            if self.y + height > self.page_break_trigger and height < self.eph \
                    and self.y > self.t_margin + 1:
                self.add_page()
        for line in lines:
            self.set_font(self.family_name, "B" if line.bold else "", line.size)
            self.set_text_color(80 if line.muted else 0)
            self.set_x(self.l_margin + line.indent)
            self.multi_cell(w=self.epw - line.indent, h=_LINE * line.size / 10, text=line.text,
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)

    def heading(self, text: str, size: float = 13) -> None:
        self.ln(2)
        self.write_lines([_Line(self.show(text), bold=True, size=size)])
        self.ln(1)

    def pairs(self, rows: Sequence[tuple[str, str]], widths: tuple[float, float] = (48, 126),
              heading: tuple[str, str] | None = None) -> None:
        self.set_font(self.family_name, "", 10)
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
        lines.append(_Line(text, indent=indent + 4, muted=muted))
    else:
        lines.append(_Line(show(f"{label} {text}"), bold=False, indent=indent, muted=muted))
        if answer.scale_ends:
            lines.append(_Line(show(answer.scale_ends), size=9, indent=indent + 4, muted=True))
    if replaced:
        lines.append(_Line(show(_("Some characters cannot be shown in this PDF and are marked "
                                  "%(mark)s. Read the child's words on screen.", mark=MARK)),
                           size=9, indent=indent + 4, muted=True))
    return lines


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
                 font_dir: Path | None = None) -> bytes:
    """The PDF of one response. Never fails on text its fonts cannot show (see module notes).

    ``font_dir`` defaults to ``static/fonts``.
    """
    if font_dir is None:
        font_dir = Path(current_app.static_folder or "static") / "fonts"
    pdf = _Document(find_fonts(font_dir))
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
            state = _("closed") if alert.closed else _("open")
            lines.append(_Line(show(f"- {alert.summary} ({state}, {_when(alert.raised_at)})"),
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

