"""The PDF of a child's answers: everything the worker needs, confidential on every page, and
the child's words exactly as written, in whatever language and script they wrote."""

from __future__ import annotations

import dataclasses
import html
import io
import os
import re
import shutil
import subprocess
import unicodedata
from datetime import UTC, date, datetime, timedelta

import pypdf
import pytest

from tests.support import make_config
from viewpoint import create_app
from viewpoint.models import AlertSource, Answer, HelpedBy, PlanKind
from viewpoint.questionnaires.snapshot import render
from viewpoint.records.pdf import MARK, Face, Showable, find_fonts, response_pdf
from viewpoint.records.reading import (
    AlertNote,
    AnswerState,
    Change,
    IndicatorReading,
    IndicatorState,
    PreviousResponse,
    QuestionReading,
    ResponseReading,
    ShownAnswer,
    show_answer,
)

FOOTER = "Confidential: contains personal information about a child"
POLISH = "Chcę mieszkać z bratem, bo on jest dla mnie ważny."
ARABIC = "أريد أن أعيش مع أخي"
SENT = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def app(tmp_path_factory):  # type: ignore[no-untyped-def]
    """An app for its translations and date formats; these tests never touch a database."""
    folder = tmp_path_factory.mktemp("pdf-app")
    return create_app(make_config(f"sqlite:///{folder / 'unused.sqlite3'}", folder))


def _reading(app, own_words: dict[str, str], *, language: str = "pl",  # type: ignore[no-untyped-def]
             repeat: int = 1, alert: AlertNote | None = None) -> ResponseReading:
    """A reading of the care questionnaire for ages 12-17 with a few answers, built without a
    database; ``repeat`` copies the questions to make a long document; ``alert`` is the one
    the answer to "is anyone hurting you" raised (open and new unless given)."""
    definition = app.extensions["viewpoint.questionnaires"].get("before-care-review")
    content = render(definition, "12-17", language, translate=lambda _c, m: m)
    stored = {"safe_home": {"v": "okay"}, "happiness": {"v": 3}, "hurting_me": {"v": "yes"},
              "worries": {"v": ["school", "future"]},
              **{key: {"v": words} for key, words in own_words.items()}}
    previous = {"safe_home": {"v": "happy"}, "happiness": {"v": 3}}
    hurting = alert or AlertNote(1, AlertSource.ANSWER, "Said someone is hurting them or making "
                                 "them feel scared", "hurting_me", SENT, closed=False,
                                 acknowledged=False)
    questions = []
    for copy in range(repeat):
        for question in content["questions"]:
            key = question["key"]
            answer = show_answer(
                question, Answer(question_key=key, value=stored[key]) if key in stored else
                Answer(question_key=key, value=None, declined=True) if key == "pressured"
                else None, language, asked=True, in_progress=False)
            before = show_answer(question, Answer(question_key=key, value=previous[key])
                                 if key in previous else None, "en", asked=True,
                                 in_progress=False)
            change = (Change.UNCHANGED if before.value == answer.value
                      else Change.CHANGED) if key in previous else None
            raised = hurting if key == "hurting_me" else None
            indicator = IndicatorReading(question["indicator"], f"Indicator for {key}", key,
                                         IndicatorState.NOT_POSITIVE) \
                if question.get("indicator") else None
            questions.append(QuestionReading(
                number=copy * 100 + len(questions) + 1, key=key, type=question["type"],
                staff_text=question["staff_text"], wording=question["text"]["en"],
                wording_as_served=None, answer=answer,
                previous=before if key in previous else None, change=change, alert=raised,
                indicator=indicator))
    return ResponseReading(
        response_id=7, child_id=3, reference="LA-0042", first_name="Zofia",
        last_name="Kowalska", plan_kind=PlanKind.CARE_PLAN, review_due=date(2026, 4, 1),
        questionnaire_key=definition.id, questionnaire_title=definition.staff_title,
        band="12-17", language=language, helped_by=HelpedBy.CARER,
        started_at=SENT - timedelta(minutes=20), submitted_at=SENT, questions=questions,
        indicators=[q.indicator for q in questions if q.indicator], alerts=[q.alert for q in
                                                                            questions if q.alert],
        previous=PreviousResponse(6, SENT - timedelta(days=180), "12-17", "pl"),
        counts={AnswerState.ANSWERED: 5})


def _pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_the_pdf_holds_the_details_and_every_answer_with_changes_and_alerts_marked(  # type: ignore[no-untyped-def]
        app, tmp_path) -> None:
    reading = _reading(app, {"review_say": "I want to stay at my school."})
    with app.test_request_context("/"):
        text = "\n".join(_pages(response_pdf(reading, font_dir=tmp_path / "no-fonts")))
    flat = " ".join(text.split())
    for expected in ("LA-0042", "Zofia Kowalska", "Care plan (looked-after child)",
                     "1 April 2026", "Before a looked-after child's review", "Ages 12-17",
                     "Polish", "Their carer", "4 March 2026, 15:30"):
        assert expected in flat, expected
    assert "Answer: Mostly safe" in flat and "Last time: Safe" in flat
    assert "Answer: 3 out of 10" in flat and "Same as last time" in flat
    assert "School or college; The future" in flat
    assert "I want to stay at my school." in flat
    assert "Chose “I'd rather not say”" in flat and "Skipped: no answer given" in flat
    assert flat.count("CHANGED since last time") == 1
    assert "SAFEGUARDING ALERT: Said someone is hurting them" in flat
    assert "Indicator for safe_home: Not positive" in flat
    # Nothing needed replacing, so the PDF does not send the reader to the screen.
    assert MARK not in flat and "on screen" not in flat


def test_every_page_says_it_is_confidential_and_is_numbered(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reading = _reading(app, {"review_say": "Long words. " * 150}, repeat=3)
    with app.test_request_context("/"):
        pages = _pages(response_pdf(reading, font_dir=tmp_path))
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert FOOTER in page
        assert f"Page {number} of {len(pages)}" in page


def test_polish_and_arabic_do_not_break_the_pdf_and_are_marked_visibly(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reading = _reading(app, {"review_say": POLISH, "anything_else": ARABIC,
                             "stay_change": "I’d like “more” time — with my brother…"})
    with app.test_request_context("/"):
        pages = _pages(response_pdf(reading, font_dir=tmp_path / "no-fonts"))
    text = " ".join(" ".join(pages).split())
    assert "Chc[?] mieszka[?] z bratem, bo on jest dla mnie wa[?]ny." in text
    assert "[?] Some characters cannot be shown" in text  # the Arabic, one mark for the phrase
    assert "Written in Polish" in text
    assert "on screen in viewpoint" in text  # said once, at the top
    # Curly quotes and dashes from a tablet keyboard print as typed.
    assert "I’d like “more” time — with my brother…" in text
    assert all(FOOTER in page for page in pages)


def test_fonts_are_found_one_folder_each_noto_sans_first(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert find_fonts(tmp_path / "missing") == ()
    for name in ("noto-naskh-arabic/arabic-400.woff2", "noto-naskh-arabic/arabic-700.woff2",
                 "noto-naskh-arabic/OFL.txt", "noto-sans/latin-ext-400.woff2",
                 "noto-sans/latin-400.woff2", "noto-sans/latin-700.woff2",
                 "noto-sans-bengali/bengali-400.ttf", "noto-sans-bengali/bengali-300.ttf",
                 "noto-sans-ethiopic/ethiopic-700.woff2", "noto-sans.css"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    fonts = find_fonts(tmp_path)
    assert [(face.folder, face.name) for face in fonts] == [
        ("noto-sans", "latin"), ("noto-sans", "latin-ext"), ("noto-naskh-arabic", "arabic"),
        ("noto-sans-bengali", "bengali")]  # a face needs its regular weight
    latin, latin_ext, naskh, bengali = fonts
    assert latin.bold == tmp_path / "noto-sans/latin-700.woff2"
    assert latin_ext.bold == latin_ext.regular  # no bold: the regular stands in
    assert naskh == Face("noto-naskh-arabic", "arabic",
                         tmp_path / "noto-naskh-arabic/arabic-400.woff2",
                         tmp_path / "noto-naskh-arabic/arabic-700.woff2")
    assert bengali.regular.suffix == ".ttf"


@pytest.mark.parametrize(("text", "shown", "replaced"), [
    ("Plain words, 10/10!", "Plain words, 10/10!", False),
    ("“Curly” – quotes’ €5 café", "“Curly” – quotes’ €5 café", False),
    ("Chcę", "Chc[?]", True),
    (f"Hi {ARABIC} bye", "Hi [?] bye", True),
    ("zero\u200bwidth\ttab", "zerowidth    tab", False),
    ("line one\nline two", "line one\nline two", False),
])
def test_text_the_built_in_fonts_cannot_show_is_marked_not_dropped(text: str, shown: str,
                                                                     replaced: bool) -> None:
    assert Showable(None).clean(text) == (shown, replaced)


def test_shown_answers_describe_declined_and_skipped_differently(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        declined = ShownAnswer(AnswerState.DECLINED).describe()
        skipped = ShownAnswer(AnswerState.SKIPPED).describe()
    assert "rather not say" in declined and "Skipped" in skipped and declined != skipped


def test_a_joining_control_is_kept_where_the_fonts_can_carry_it() -> None:
    persian = "می\u200cخواهم"  # "I want": the non-joiner keeps the first two letters apart
    assert Showable({ord(char) for char in persian}).clean(persian) == (persian, False)
    assert Showable(None).clean("a\u200cb") == ("ab", False)


# --- the child's words exactly, in every script, with the shipped fonts ----------------------

#: "I want to live with my brother" and the like, as children write it in each language they
#: can answer in.
WORDS = {
    "ur": "میں اپنے بھائی کے ساتھ رہنا چاہتا ہوں، اور اسکول میں خوش ہوں۔",
    "ar": "أريد أن أعيش مع أخي، وأنا سعيد في المدرسة.",
    "fa": "می\u200cخواهم با برادرم زندگی کنم.",
    "ps": "زه غواړم چې له خپل ورور سره ژوند وکړم.",
    "ckb": "دەمەوێت لەگەڵ براکەم بژیم.",
    "bn": "আমি আমার ভাইয়ের সাথে থাকতে চাই।",
    "pa": "ਮੈਂ ਆਪਣੇ ਭਰਾ ਨਾਲ ਰਹਿਣਾ ਚਾਹੁੰਦਾ ਹਾਂ।",
    "ti": "ምስ ሓወይ ክነብር እደሊ።",
    "pl": "Chcę mieszkać z bratem, bo on jest dla mnie ważny. Żółta łódź.",
    "ro": "Vreau să locuiesc cu fratele meu; știu că e țara mea.",
    "sk": "Chcem bývať s bratom, ľúbim ho a ťažko mi je bez neho.",
    "cy": "Dw i eisiau byw gyda fy mrawd ŵyr; mae'n ddydd Sul ŷd.",
}
RIGHT_TO_LEFT = ("ur", "ar", "fa", "ps", "ckb")


def _pdftotext(data: bytes, *options: str) -> str:
    if shutil.which("pdftotext") is None:  # CI installs poppler-utils
        message = "pdftotext is not installed (apt-get install poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run(["pdftotext", *options, "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode("utf-8")


def _words(text: str) -> set[str]:
    """The words of ``text``, without direction marks, joining controls or punctuation:
    pdftotext may set a right-to-left phrase's words, and its lines, in another order, and
    moves a "،" or "." to the other side of a word, or between two."""
    return set("".join(
        " " if unicodedata.category(char).startswith("P") else char
        for char in unicodedata.normalize("NFC", text)
        if unicodedata.category(char) != "Cf").split())


def _fonts_used(data: bytes) -> set[str]:
    """The embedded fonts' names, without their subset tags ("NotoNaskhArabic")."""
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


def test_the_childs_words_in_five_scripts_are_in_the_pdf_exactly(app) -> None:  # type: ignore[no-untyped-def]
    reading = _reading(app, {"stay_change": WORDS["ur"], "change_decision": WORDS["ar"],
                             "review_say": WORDS["bn"],
                             "anything_else": f"{WORDS['ti']}\n{WORDS['pl']}"}, language="ur")
    with app.test_request_context("/"):
        data = response_pdf(reading)
    text = _pdftotext(data)
    missing = set().union(*(_words(WORDS[code]) for code in ("ur", "ar", "bn", "ti", "pl"))) \
        - _words(text)
    assert not missing
    assert MARK not in text and "on screen" not in text
    assert text.count(FOOTER) == len(pypdf.PdfReader(io.BytesIO(data)).pages)


def _boxes(data: bytes) -> list[tuple[str, float, float]]:
    """(word, left, right) in points for each word pdftotext finds in the PDF."""
    return [(html.unescape(word), float(left), float(right)) for left, right, word in re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
        _pdftotext(data, "-bbox"))]


#: Where a line of text can end, in points: A4 is 595.28 points wide, the margins 18 mm, and
#: fpdf2 keeps text 1 mm inside its cell.
RIGHT_MARGIN = 595.28 - (18 + 1) / 25.4 * 72


@pytest.mark.parametrize("language", sorted(WORDS))
def test_each_language_prints_exactly_in_its_own_script_and_direction(  # type: ignore[no-untyped-def]
        app, language: str) -> None:
    reading = _reading(app, {"review_say": WORDS[language]}, language=language)
    with app.test_request_context("/"):
        data = response_pdf(reading)
    words = _words(WORDS[language])
    assert words <= _words(_pdftotext(data))
    # The child's words (those no English label shares) end at the right margin when they
    # are written right to left, and well before it otherwise.
    # (pdftotext -bbox gives right-to-left words as drawn, last letter first.)
    ends = [right for word, _left, right in _boxes(data)
            if any(unicodedata.bidirectional(char) in ("R", "AL") for char in word)
            or (any(ord(char) > 127 for char in word) and _words(word) & words)]
    if language in RIGHT_TO_LEFT:
        assert max(ends) == pytest.approx(RIGHT_MARGIN, abs=1)
    else:
        assert max(ends) < RIGHT_MARGIN - 20


def test_urdu_is_drawn_in_nastaliq_arabic_in_naskh_and_english_in_noto_sans_alone(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        urdu, arabic, english = (
            response_pdf(_reading(app, {"review_say": words}, language=language))
            for language, words in (("ur", WORDS["ur"]), ("ar", WORDS["ar"]),
                                    ("en", "I want to stay at my school.")))
    assert {"NotoNastaliqUrdu", "NotoSans"} <= _fonts_used(urdu)
    assert "NotoNaskhArabic" not in _fonts_used(urdu)
    assert {"NotoNaskhArabic", "NotoSans"} <= _fonts_used(arabic)
    assert "NotoNastaliqUrdu" not in _fonts_used(arabic)
    # A font is embedded only if the document uses it: English needs Noto Sans alone.
    assert _fonts_used(english) == {"NotoSans", "NotoSansBold"}


def test_fonts_are_decompressed_once_into_the_cache_and_used_as_shipped_without_one(  # type: ignore[no-untyped-def]
        app, tmp_path) -> None:
    reading = _reading(app, {"review_say": WORDS["bn"]}, language="bn")
    cache = tmp_path / "pdf-fonts"
    with app.test_request_context("/"):
        first = response_pdf(reading, cache_dir=cache)
        converted = {path.name: path.stat().st_mtime_ns for path in cache.iterdir()}
        assert any(name.startswith("noto-sans-bengali-bengali-400-") and name.endswith(".ttf")
                   for name in converted)
        response_pdf(reading, cache_dir=cache)
        assert {path.name: path.stat().st_mtime_ns for path in cache.iterdir()} == converted
        blocked = tmp_path / "not-a-folder"
        blocked.write_text("")
        unwritable = response_pdf(reading, cache_dir=blocked / "pdf-fonts")
    for data in (first, unwritable):
        assert _words(WORDS["bn"]) <= _words(_pdftotext(data))


@pytest.mark.parametrize(("alert", "expected", "not_expected"), [
    (AlertNote(1, AlertSource.ANSWER, "Said someone is hurting them", "hurting_me", SENT,
               closed=False, acknowledged=True, acknowledged_at=SENT + timedelta(hours=2),
               acknowledged_by="Ash Worker"),
     "Acknowledged on 4 March 2026, 17:30 by Ash Worker; not closed yet.", "Open"),
    (AlertNote(1, AlertSource.ANSWER, "Said someone is hurting them", "hurting_me", SENT,
               closed=True, acknowledged=True, acknowledged_at=SENT + timedelta(hours=2),
               acknowledged_by="Ash Worker", closed_at=SENT + timedelta(days=1),
               closed_by="Cy Manager"),
     "Closed on 5 March 2026, 15:30 by Cy Manager.", "Open"),
    (AlertNote(1, AlertSource.ANSWER, "Said someone is hurting them", "hurting_me", SENT,
               closed=False, acknowledged=False),
     "Open: nobody has acknowledged it yet.", "Acknowledged"),
])
def test_an_alert_prints_as_it_stands_acknowledged_closed_or_open(  # type: ignore[no-untyped-def]
        app, tmp_path, alert: AlertNote, expected: str, not_expected: str) -> None:
    reading = _reading(app, {"review_say": "I want to stay."}, alert=alert)
    with app.test_request_context("/"):
        text = " ".join(" ".join(_pages(response_pdf(reading))).split())
    assert f"- Said someone is hurting them (raised 4 March 2026, 15:30). {expected}" in text
    assert not_expected not in text


def test_an_answer_given_offline_prints_when_it_was_given_and_received(  # type: ignore[no-untyped-def]
        app, tmp_path) -> None:
    reading = _reading(app, {"review_say": "I want to stay at my school."})
    given, received = SENT - timedelta(hours=3), SENT - timedelta(minutes=5)
    first = dataclasses.replace(reading.questions[0], waited=(given, received))
    reading = dataclasses.replace(reading, questions=[first, *reading.questions[1:]])
    with app.test_request_context("/"):
        flat = " ".join("\n".join(_pages(response_pdf(reading, font_dir=tmp_path))).split())
    assert flat.count("Answered offline on") == 1
    assert "Answered offline on 4 March 2026, 12:30, received 4 March 2026, 15:25." in flat
