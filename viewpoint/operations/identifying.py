"""What in a few sentences could let someone recognise the child they are about.

"You said, we did" examples shown to the Children in Care Council are a manager's rewording
of what a worker wrote back to one child; :func:`find_identifying_details` looks in them for
everything a machine can find: names held in viewpoint (and misspellings and short forms of
the child's and the worker's), case references, dates, ages, numbers, street-shaped places
and nationalities. What no check can see, the manager confirms on a checklist
(``feedback.py``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import null, select
from sqlalchemy.orm import Session
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ..models import Child, Feedback, User


class Leak(StrEnum):
    """A kind of detail that could let someone recognise who shared words are about."""

    #: The child's or the note's writer's first or last name.
    NAME = "name"
    #: A word of the name of any other child or member of staff in viewpoint.
    OTHER_NAME = "other_name"
    #: The child's or the writer's name misspelt.
    NEAR_NAME = "near_name"
    #: A short form of the child's first name.
    NICKNAME = "nickname"
    REFERENCE = "reference"
    DATE = "date"
    AGE = "age"
    #: Any other number written in figures.
    NUMBER = "number"
    #: A street, a home, a school or a postcode.
    PLACE = "place"
    #: A nationality, home country or language.
    NATIONALITY = "nationality"


@dataclass(frozen=True)
class Finding:
    """Words in the text that could give someone away."""

    kind: Leak
    #: The words as they were written.
    words: str
    #: Where they start in the text.
    start: int
    #: For a misspelt name or a nickname: the name it stands for, as the record spells it.
    name: str | None = None


def describe(findings: Iterable[Finding]) -> list[str]:
    """One translated sentence for each kind of detail found (one for each misspelt name or
    nickname, which name the name they stand for), names first: what to take out and why."""
    findings = list(findings)
    messages = []
    for kind in Leak:
        found = [finding for finding in findings if finding.kind is kind]
        if kind in (Leak.NEAR_NAME, Leak.NICKNAME):
            messages.extend(_message(kind, (finding.words,), finding.name)
                            for finding in _once_each(found))
        elif found:
            messages.append(_message(kind, tuple(f.words for f in _once_each(found))))
    return messages


def _once_each(findings: list[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(fold(finding.words), finding)
    return list(seen.values())


def _message(kind: Leak, words: tuple[str, ...], name: str | None = None) -> str:
    # Translated when read, in the reader's language, not when the words were checked.
    quoted = ", ".join(f"“{word}”" for word in words)
    count = len(words)
    if kind is Leak.NAME:
        return ngettext(
            "Take out the name %(words)s: a name could let someone recognise who this is "
            "about.",
            "Take out the names %(words)s: names could let someone recognise who this is "
            "about.", count, words=quoted)
    if kind is Leak.OTHER_NAME:
        return ngettext(
            "Take out %(words)s: it is the name of a child or a member of staff in viewpoint, "
            "and a name could let someone recognise who this is about.",
            "Take out %(words)s: they are names of children or staff in viewpoint, and names "
            "could let someone recognise who this is about.", count, words=quoted)
    if kind is Leak.NEAR_NAME:
        return _("Take out %(words)s: it is very like “%(name)s”, the name of the child or of "
                 "the worker who wrote the note, and a misspelt name still says who this is "
                 "about.", words=quoted, name=name)
    if kind is Leak.NICKNAME:
        return _("Take out %(words)s: it could be short for “%(name)s”, the child's first name, "
                 "and a nickname says who this is about as plainly as a name.",
                 words=quoted, name=name)
    if kind is Leak.REFERENCE:
        return ngettext(
            "Take out %(words)s: it looks like a case reference, and a reference leads "
            "straight to a child's record.",
            "Take out %(words)s: they look like case references, and a reference leads "
            "straight to a child's record.", count, words=quoted)
    if kind is Leak.DATE:
        return ngettext(
            "Take out the date %(words)s: the day of a move, a birthday or a meeting can point "
            "to one child. Say “recently” or “this spring” instead.",
            "Take out the dates %(words)s: the day of a move, a birthday or a meeting can point "
            "to one child. Say “recently” or “this spring” instead.", count, words=quoted)
    if kind is Leak.AGE:
        return ngettext(
            "Take out %(words)s: an age narrows down who this is about, and with one more "
            "detail can point to one child. Say “young people” instead.",
            "Take out %(words)s: ages narrow down who this is about, and with one more "
            "detail can point to one child. Say “young people” instead.", count, words=quoted)
    if kind is Leak.NUMBER:
        return ngettext(
            "Take out the number %(words)s: an age, a house number or how many brothers and "
            "sisters someone has can point to one child. Say it without the number.",
            "Take out the numbers %(words)s: an age, a house number or how many brothers and "
            "sisters someone has can point to one child. Say it without the numbers.",
            count, words=quoted)
    if kind is Leak.PLACE:
        return ngettext(
            "Take out %(words)s: it looks like a street, a home, a school or a postcode, and a "
            "place can show where a child lives. There are no addresses in viewpoint to "
            "check against, so look for towns, schools and clubs yourself.",
            "Take out %(words)s: they look like streets, homes, schools or postcodes, and a "
            "place can show where a child lives. There are no addresses in viewpoint to "
            "check against, so look for towns, schools and clubs yourself.", count, words=quoted)
    return ngettext(
        "Take out %(words)s: few children in care share a nationality, a home country or a "
        "language, so it can point to one child, often a child who came to this country alone. "
        "Only some of these words are checked: look for others yourself.",
        "Take out %(words)s: few children in care share a nationality, a home country or a "
        "language, so they can point to one child, often a child who came to this country "
        "alone. Only some of these words are checked: look for others yourself.",
        count, words=quoted)


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_NAME_SPLIT = re.compile(r"[\s\-\u2010\u2011]+")

#: Ordinary words that are also people's names: a name among them is refused only where it
#: reads as a name (see :class:`_Word`), so that a child called Will does not stop every "we
#: will". Kept short on purpose: a name here can slip through at the start of a sentence. The
#: first names and surnames that are everyday English words, and the short words English shares
#: with Vietnamese, Chinese and Arabic names (Do, An, Son, Long, My, Said...).
_ORDINARY = frozenset("""
    a about after again all also always am an and any are as ask asked at away back be because
    bed been before being best better big bin black bold bond both bright brook brown bush but
    by can care carer carers cash chance chase child children cliff close come contact could
    cross dad dale dawn day dean did din do does done down drew drive early east eve even ever
    every faith family fang felt field fields fine for foster free friend from frost fry gay
    get glen go gold good got grace grant green grey gray guy ha had hall hang happy hardy has
    have he heath her here hero hill him his holly home hope house how hung hunt hunter i if in
    into is it its ivy jack jade joy just keen kind king kit lane last later lay lee less let
    like little long love lucky ma made major make man many march mark marsh mason may me merry
    might miles miss moor more most moss much mum must my new next nice no noble north not now
    of off oh ok okay old on once one only or other our out over pa page pan park parks pat
    pearl penny people place please power price rain ray reed rich river rob rock rose ruby rush
    said same sandy sang say see she should sin sing sky small snow so some son song soon south
    spring star still stone storm strong summer sun sung sweet swift take tan than thank that
    the their them then there these they this those time tin to too under up us van very violet
    walk wall want wanted ward was way we week well went were west what when where which while
    white who why wild will winter wise with wood woods would yes yet you young your
""".split())  # noqa: SIM905 (a list of words reads best as words)

#: Ordinary English beyond that: an ordinary word near a child's name is not a misspelling of
#: it, and an ordinary word before "House" is not the name of one. zxcvbn, already here to judge
#: passwords, ships the most frequent words of English Wikipedia and of film and television
#: dialogue. Both hold some names (each word is kept only in the list where it ranks best,
#: so "young" sits with the surnames and is missing here, while "muhammad" is not), which is
#: why they decide nothing about names on their own.
_VOCABULARY = _ORDINARY | frozenset(
    FREQUENCY_LISTS["english_wikipedia"][:10000] + FREQUENCY_LISTS["us_tv_and_film"][:10000])

#: Words before a name that make it a name whatever its case ("uncle will").
_TITLES = frozenset("""
    mr mrs ms miss mx dr sir dame aunt auntie aunty uncle nan nana nanna grandma grandad
    grandpa granny
""".split())  # noqa: SIM905 (a list of words reads best as words)
#: Words after a capital at the start of a sentence that make it a name ("Will asked...").
_SAYING = frozenset("""
    said says asked asks told tells wanted wants wished wishes felt feels thought thinks
    explained mentioned worried complained liked likes loved loves hated hates enjoyed
    enjoys
""".split())  # noqa: SIM905 (a list of words reads best as words)
#: The last word of a street's, a home's or a school's name.
_PLACE_ENDS = frozenset("""
    road street lane avenue close drive way court crescent gardens place terrace grove hill
    park house home school academy college lodge hall square mews estate centre farm cottage
""".split())  # noqa: SIM905 (a list of words reads best as words)
#: Those that are rarely anything else, even in lower case ("oakfield house").
_PLACE_ENDS_ANY_CASE = frozenset("""
    road street lane avenue crescent gardens terrace grove house school academy college
    lodge mews estate
""".split())  # noqa: SIM905 (a list of words reads best as words)
#: Capitalised words before a place word that do not make it a place's name ("the Home").
_NOT_A_PLACE = frozenset("""
    a an the our your my his her their its this that these those new old own same other next
    local care foster family group residential children childrens youth at in on to from for
    with and or of by near i we you they he she it
""".split())  # noqa: SIM905 (a list of words reads best as words)
#: Nationalities, home countries and languages often recorded for unaccompanied children
#: seeking asylum: far from all of them, which the message says.
_NATIONALITIES = frozenset("""
    afghan afghani afghanistan albanian albania eritrean eritrea sudanese sudan syrian syria
    iranian iran iraqi iraq kurdish kurd kurdistan vietnamese vietnam ethiopian ethiopia
    somali somalian somalia egyptian egypt libyan libya yemeni yemen pakistani pakistan
    bangladeshi bangladesh kuwaiti kuwait palestinian palestine ukrainian ukraine moroccan
    morocco algerian algeria nigerian nigeria gambian gambia chadian guinean ivorian congolese
    tigrayan tigray oromo hazara pashtun pashto dari farsi tigrinya amharic sorani kurmanji
    arabic
""".split())  # noqa: SIM905 (a list of words reads best as words)

#: Months in English and, for Welsh councils, in Welsh ("12 Mawrth", "Hydref 2026"); a
#: Welsh month alone is no date, as an English one is not.
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
           r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
           r"|ionawr|chwefror|mawrth|ebrill|mai|mehefin|gorffennaf|awst|medi|hydref|tachwedd"
           r"|rhagfyr)")
_FULL_MONTHS = (r"(?:january|february|march|april|may|june|july|august|september|october"
                r"|november|december)")
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_NUMBER_WORDS = (rf"(?:(?:twenty|thirty)(?:[\s-]?(?:{_UNITS}))?|ten|eleven|twelve|thirteen"
                 rf"|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|{_UNITS})")
_ORDINAL_UNITS = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
_ORDINAL_WORDS = (rf"(?:(?:twenty|thirty)[\s-]?(?:{_ORDINAL_UNITS})|twentieth|thirtieth|tenth"
                  rf"|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth"
                  rf"|eighteenth|nineteenth|{_ORDINAL_UNITS})")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:\d{4}|'\d{2})"
_AGE_NUMBER = rf"(?:\d{{1,2}}|{_NUMBER_WORDS})"
_EDGE, _END = r"(?<![\w'])", r"(?![\w])"

#: What each kind of detail looks like, in the order they are looked for: where two overlap,
#: the first one found says what it is ("12-year-old" is an age, not a reference).
_PATTERNS: tuple[tuple[Leak, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
        # 12/03/2026, 12-03-26, 2026-03-12, 12.3.26, 12/03
        (Leak.DATE, rf"{_EDGE}(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}"
                    rf"|\d{{1,2}}/\d{{1,2}}){_END}"),
        # 12 March, 12th of March 2026, March 12th, March 2026, Mar '26
        (Leak.DATE, rf"{_EDGE}(?:the\s+)?{_DAY}(?:\s+of)?\s+{_MONTHS}(?:,?\s+{_YEAR})?{_END}"),
        (Leak.DATE, rf"{_EDGE}{_MONTHS}\s+(?:the\s+)?{_DAY}(?:,?\s+{_YEAR})?{_END}"),
        (Leak.DATE, rf"{_EDGE}{_MONTHS},?\s+{_YEAR}{_END}"),
        # the twelfth of March, March the twelfth ("the first may..." is no date: see below)
        (Leak.DATE, rf"{_EDGE}(?:the\s+)?{_ORDINAL_WORDS}\s+(?:of\s+)?{_FULL_MONTHS}{_END}"),
        (Leak.DATE, rf"{_EDGE}{_FULL_MONTHS}\s+(?:the\s+)?{_ORDINAL_WORDS}{_END}"),
        # aged 12, age twelve, turned twelve, 12-year-old, twelve years old, 12 years of age,
        # sixteenth birthday, in year seven (a school year is an age).
        (Leak.AGE, rf"{_EDGE}(?:aged?|age\s+of)\s+{_AGE_NUMBER}{_END}"),
        # ("turned one of the rooms into..." is no age.)
        (Leak.AGE, rf"{_EDGE}(?:turned|turning|turns)\s+(?!one{_END}){_AGE_NUMBER}{_END}"),
        (Leak.AGE, rf"{_EDGE}{_AGE_NUMBER}[\s-]*(?:years?|yrs?)[\s-]*olds?{_END}"),
        (Leak.AGE, rf"{_EDGE}{_AGE_NUMBER}\s+years?\s+of\s+age{_END}"),
        (Leak.AGE, rf"{_EDGE}(?:{_ORDINAL_WORDS}|\d{{1,2}}(?:st|nd|rd|th))\s+birthday{_END}"),
        (Leak.AGE, rf"{_EDGE}(?:in\s+year\s+(?:\d{{1,2}}|{_NUMBER_WORDS})|year\s+\d{{1,2}})"
                   rf"{_END}"),
        # A UK postcode: BD1 3AB, M1 1AE, SW1A 1AA.
        (Leak.PLACE, rf"{_EDGE}[a-z]{{1,2}}\d[a-z\d]?\s*\d[a-z]{{2}}{_END}"),
        # References as case-management systems write them: letters and at least three
        # figures (T-00042, DEMO-0001, LAC/2024/17, AB123456), or six figures or more; not a
        # measure (100m, 250ml), which is a number.
        (Leak.REFERENCE, rf"{_EDGE}(?!\d+[a-z]{{1,2}}(?![\w/.-]))(?=[\w/.-]*[a-z])"
                         rf"(?=(?:[^\d\s]*\d){{3}})[a-z\d]+(?:[/_.-][a-z\d]+)*{_END}"),
        (Leak.REFERENCE, rf"{_EDGE}\d{{6,}}{_END}"),
        # A year on its own: 2019.
        (Leak.DATE, rf"{_EDGE}(?:19|20)\d{{2}}{_END}"),
        (Leak.NATIONALITY, rf"{_EDGE}(?:{'|'.join(sorted(_NATIONALITIES))})s?{_END}"),
        # Anything else with a figure in it: 3, 14th, 9pm, 24/7, 2.5, x2.
        (Leak.NUMBER, r"[\w]*\d[\w]*(?:[/.:,-]\d[\w]*)*"),
    ))
#: "The first may" and "march the second" are not dates: a month that is also a verb must be
#: written with its capital when no "of" makes it a date.
_VERB_MONTH = re.compile(r"\b(?:may|march)\b")


def fold(word: str) -> str:
    """``word`` as names are compared: apostrophes made plain, accents off, case folded
    (Zoë, zoe and ZOE are one name)."""
    word = word.translate(_APOSTROPHES)
    if word.isascii():
        return word.lower()
    return "".join(character for character in unicodedata.normalize("NFKD", word)
                   if not unicodedata.combining(character)).casefold()


def _name_words(*names: str | None) -> set[str]:
    """Each word of each name (split at spaces and hyphens), as matched: folded (see
    :func:`_fold`), without titles."""
    words: set[str] = set()
    for name in names:
        for word in _NAME_SPLIT.split(name or ""):
            word = word.strip(".,;:()\"'")
            # A lone initial ("J.") would refuse every sentence with that letter in it.
            if sum(character.isalpha() for character in word) >= 2:
                folded = fold(word)
                if folded not in _TITLES:
                    words.add(folded)
    return words


@dataclass(frozen=True)
class _Word:
    """A word of the text, and what is around it.

    A word *reads as a name* (:attr:`name_like`) when it follows a title ("uncle will"), or
    has its capital in the middle of a sentence ("we asked Will"), or starts a sentence with
    its capital and is followed by "'s" ("Will's room") or a word of saying or feeling ("Will
    asked"). A capital that only starts a sentence ("Will you...", "Young people said") does
    not make it a name, nor one in a heading's capitals, between an ordinary word with a
    capital and another capital ("You Said, We Did").
    """

    #: As written, without a possessive "'s".
    text: str
    start: int
    #: Where the word ends in the text, "'s" included.
    end: int
    fold: str
    capitalised: bool
    sentence_start: bool
    after_title: bool
    possessive: bool
    next_fold: str | None
    in_heading: bool

    @property
    def name_like(self) -> bool:
        if self.after_title:
            return True
        if not self.capitalised or self.in_heading:
            return False
        return not self.sentence_start or self.possessive or self.next_fold in _SAYING


_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*'?")
_OPENERS = frozenset("\"'“‘([-–—•*")


def _starts_sentence(text: str, start: int) -> bool:
    at = start - 1
    while at >= 0 and (text[at].isspace() or text[at] in _OPENERS):
        if text[at] == "\n":
            return True
        at -= 1
    return at < 0 or text[at] in ".!?:"


def _words(text: str) -> list[_Word]:
    """The words of ``text`` (apostrophes already made plain), split at spaces, hyphens and
    marks, in order."""
    found = list(_WORD.finditer(text))
    words: list[_Word] = []
    for index, match in enumerate(found):
        raw = match.group()
        possessive = raw.lower().endswith(("'s", "'"))
        written = raw[:-2] if raw.lower().endswith("'s") else raw.rstrip("'")
        previous = words[-1] if words else None
        following = found[index + 1].group() if index + 1 < len(found) else None
        words.append(_Word(
            text=written, start=match.start(), end=match.end(), fold=fold(written),
            capitalised=written[:1].isupper(),
            sentence_start=_starts_sentence(text, match.start()),
            after_title=previous is not None and previous.fold in _TITLES
            and not text[previous.end:match.start()].strip(" ."),
            possessive=possessive,
            next_fold=fold(following.rstrip("'")) if following else None,
            in_heading=previous is not None and previous.capitalised
            and previous.fold in _ORDINARY and following is not None
            and following[:1].isupper()))
    return words


def edit_distance(first: str, second: str, limit: int) -> int:
    """How many letters must be added, taken out, changed or swapped with their neighbour to
    turn ``first`` into ``second`` (the optimal string alignment distance); ``limit + 1``
    as soon as it is sure to be more than ``limit``."""
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(second) + 1))
    for i in range(1, len(first) + 1):
        current = [i] + [0] * len(second)
        for j in range(1, len(second) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (first[i - 1] != second[j - 1]))
            if (i > 1 and j > 1 and first[i - 1] == second[j - 2]
                    and first[i - 2] == second[j - 1]):
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def _misspelling_limit(name: str) -> int:
    # One slip in a name of four letters or more, two in one of eight or more: below four
    # letters one slip turns a name into too many ordinary words (Sam, sat, sum, am).
    return 2 if len(name) >= 8 else 1 if len(name) >= 4 else 0


def _short_forms(first_name: str) -> set[str]:
    """The nicknames a simple rule finds for a first name (folded) of six letters or more: its
    first three or four letters, and those with -ie or -y (Alexander: Alex; Samantha: Sam,
    Sammy; Jessica: Jess, Jessie; Daniel: Dan, Danny).

    Short forms made otherwise are not found: from the end or middle of the name (Elizabeth:
    Beth, Liz), with other sounds (Mohammed: Mo; Margaret: Peggy; Thomas: Tommy), or of names
    of five letters or fewer, whose first letters are mostly ordinary words or other names.
    The share form's checklist asks the manager about nicknames for that reason.
    """
    if len(first_name) < 6:
        return set()
    three, four = first_name[:3], first_name[:4]
    forms = {three, four, three + "ie", three + "y", four + "ie", four + "y"}
    if three[-1] not in "aeiou":
        forms |= {three + three[-1] + "ie", three + three[-1] + "y"}
    return forms - {first_name}


def _names_in_viewpoint(session: Session, candidates: set[str]) -> set[str]:
    """Which of ``candidates`` (folded words) are a word of the name of any child or member
    of staff, read in one query of the name columns only. A council holds up to about 20,000
    children: the whole check takes about 16 ms with 20,000 on SQLite (measured by
    ``tests/views/test_sharing_you_said_we_did.py``, which fails above 100 ms)."""
    found: set[str] = set()
    rows = session.execute(select(Child.first_name, Child.last_name)
                           .union_all(select(User.display_name, null())))
    for row in rows:
        for name in row:
            if not name:
                continue
            if name.isalpha():  # most names: one word, nothing to split
                folded = name.lower() if name.isascii() else fold(name)
                if folded in candidates:
                    found.add(folded)
            else:
                found |= _name_words(name) & candidates
    return found


def _pattern_findings(feedback: Feedback, text: str) -> list[Finding]:
    findings: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(kind: Leak, start: int, end: int) -> None:
        if all(end <= a or start >= b for a, b in taken):
            taken.append((start, end))
            findings.append(Finding(kind, text[start:end], start))

    reference = (feedback.child.reference or "").strip()
    if reference:
        for match in re.finditer(rf"{_EDGE}{re.escape(reference)}{_END}", text, re.IGNORECASE):
            add(Leak.REFERENCE, match.start(), match.end())
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            said = match.group()
            if (kind is Leak.DATE and not re.search(r"\d|\bof\b", said, re.IGNORECASE)
                    and _VERB_MONTH.search(said)):
                continue
            add(kind, match.start(), match.end())
    return findings


def _place_findings(words: list[_Word], text: str) -> list[Finding]:
    """Streets, homes and schools by their shape: viewpoint's records hold no addresses,
    placements' names or schools to look for, only the kind of placement. A place's last word
    (Road, House, School...) after a word that names it: one with its capital ("Oakfield
    House", "Park Road", "St Mary's School"), or one that is no ordinary word ("oakfield
    house")."""
    findings = []
    for index in range(1, len(words)):
        end, before = words[index], words[index - 1]
        if end.fold not in _PLACE_ENDS or text[before.end:end.start].strip():
            continue
        named = (end.capitalised and before.capitalised and before.fold not in _NOT_A_PLACE)
        unknown = (end.fold in _PLACE_ENDS_ANY_CASE and before.fold not in _VOCABULARY
                   and before.fold.isalpha() and len(before.fold) >= 3)
        if not (named or unknown):
            continue
        first = index - 1
        while (first > 0 and words[first - 1].capitalised and not words[first].sentence_start
               and words[first - 1].fold not in _NOT_A_PLACE
               and not text[words[first - 1].end:words[first].start].strip(" .")):
            first -= 1
        findings.append(Finding(Leak.PLACE, text[words[first].start:end.end],
                                words[first].start))
    return findings


def find_identifying_details(session: Session, feedback: Feedback,
                             text: str) -> tuple[Finding, ...]:
    """Everything in ``text`` that could let someone recognise who it is about, in order of
    appearance. What is found:

    - a name, whole words in any case, accents aside: the child's or the note's writer's
      (:data:`Leak.NAME`) and any other child's or member of staff's in viewpoint
      (:data:`Leak.OTHER_NAME`). A name that is also an ordinary word (:data:`_ORDINARY`) only
      where it reads as a name (:class:`_Word`).
    - the child's or writer's name misspelt (:func:`edit_distance` 1 for names of four letters
      or more, 2 for eight or more), and short forms of the child's first name
      (:func:`_short_forms`); an ordinary word only where it reads as a name.
    - a case reference: this child's, or anything shaped like one.
    - a date with a day (12/03/2026, 12 March, the twelfth of March), a month with its year
      (March 2026) or a year. A weekday or a month alone ("last Tuesday", "in March") is not
      a date that points to a child.
    - an age, in figures or in words (aged twelve, a 12-year-old, sixteenth birthday, year 7).
    - any other number written in figures.
    - a postcode, and a street, home or school by its shape (:func:`_place_findings`).
    - a nationality, home country or language of many unaccompanied children
      (:data:`_NATIONALITIES`).
    """
    text = text.translate(_APOSTROPHES)
    findings = _pattern_findings(feedback, text)
    words = _words(text)
    findings += [finding for finding in _place_findings(words, text)
                 if all(finding.start + len(finding.words) <= other.start
                        or finding.start >= other.start + len(other.words)
                        for other in findings)]
    taken = [(finding.start, finding.start + len(finding.words)) for finding in findings]
    free = [word for word in words
            if all(word.end <= a or word.start >= b for a, b in taken)]

    child, writer = feedback.child, feedback.written_by
    own = _name_words(child.first_name, child.last_name,
                      writer.display_name if writer else None)
    as_written = {fold(part): part for name in (child.first_name, child.last_name,
                                                 writer.display_name if writer else "")
                  for part in _NAME_SPLIT.split(name or "")}
    nicknames = {form: first for first in _name_words(child.first_name)
                 for form in _short_forms(first)}
    others = _names_in_viewpoint(session, {word.fold for word in free} - own)

    for word in free:
        if word.fold in own or word.fold in others:
            if word.fold not in _ORDINARY or word.name_like:
                findings.append(Finding(Leak.NAME if word.fold in own else Leak.OTHER_NAME,
                                        word.text, word.start))
            continue
        if word.fold in _VOCABULARY and not word.name_like:
            continue
        if word.fold in nicknames:
            findings.append(Finding(Leak.NICKNAME, word.text, word.start,
                                    as_written.get(nicknames[word.fold], nicknames[word.fold])))
            continue
        near = next((name for name in sorted(own)
                     if len(word.fold) >= 3
                     and edit_distance(word.fold, name, _misspelling_limit(name))
                     <= _misspelling_limit(name)), None)
        if near is not None:
            findings.append(Finding(Leak.NEAR_NAME, word.text, word.start,
                                    as_written.get(near, near)))
    return tuple(sorted(findings, key=lambda finding: finding.start))
