"""What people type into a case-management export, read into viewpoint's values: dates, kinds
of plan, genders, ethnicity groups, placement types and languages, each in the spellings case
systems and people use.

Reading a value is all that happens here. Whether the value is allowed (a date of birth in
the past, a language children can answer in) is for the rules in
:mod:`viewpoint.operations.children`, the same rules as the staff forms'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

from babel import Locale

from ...i18n import CHILD_LANGUAGES, language_in_english
from ...models import EthnicityGroup, Gender, PlacementType, PlanKind


def _key(text: str) -> str:
    """Lower case, apostrophes dropped, and ``_ - / . ,`` and runs of spaces as one space."""
    text = text.strip().lower().replace("'", "").replace("\u2019", "")
    return " ".join(part for part in re.split(r"[\s_\-/.,:;()]+", text) if part)


def _table(pairs: Iterable[tuple[Any, Iterable[str]]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for value, spellings in pairs:
        for spelling in spellings:
            found[_key(spelling)] = value
        found[_key(str(value))] = value
    return found


PLAN_KINDS = _table([
    (PlanKind.CHILD_IN_NEED, ["child in need", "child in need plan", "cin", "cin plan",
                              "section 17", "s17"]),
    (PlanKind.CHILD_PROTECTION, ["child protection", "child protection plan", "cp", "cpp",
                                 "cp plan"]),
    (PlanKind.CARE_PLAN, ["care plan", "care", "lac", "lac plan", "cla", "looked after",
                          "looked after child", "child looked after", "child in care",
                          "in care"]),
    (PlanKind.PATHWAY_PLAN, ["pathway plan", "pathway", "care leaver", "leaving care"]),
])

GENDERS = _table([
    (Gender.GIRL, ["girl", "f", "female"]),
    (Gender.BOY, ["boy", "m", "male"]),
    (Gender.ANOTHER, ["another", "other", "non binary", "nonbinary", "x", "another gender"]),
    (Gender.NOT_RECORDED, ["not recorded", "unknown", "not known", "not stated", "u",
                           "not specified", "prefer not to say"]),
])

ETHNICITY_GROUPS = _table([
    # The codes of the national children's social care returns, by their high-level group.
    (EthnicityGroup.WHITE, ["wbri", "wiri", "wirt", "woth", "wrom", "gypsy", "roma",
                            "gypsy roma", "irish traveller", "traveller of irish heritage"]),
    (EthnicityGroup.MIXED, ["mwbc", "mwba", "mwas", "moth", "multiple"]),
    (EthnicityGroup.ASIAN, ["aind", "apkn", "aban", "aoth", "chne", "chinese"]),
    (EthnicityGroup.BLACK, ["bcrb", "bafr", "both"]),
    (EthnicityGroup.OTHER, ["ooth", "other ethnic group", "any other ethnic group", "arab"]),
    (EthnicityGroup.NOT_RECORDED, ["refu", "nobt", "not recorded", "unknown", "not known",
                                   "not obtained", "refused", "declined",
                                   "information not yet obtained", "prefer not to say"]),
])
_GROUP_WORDS = {"white": EthnicityGroup.WHITE, "asian": EthnicityGroup.ASIAN,
                "black": EthnicityGroup.BLACK}

PLACEMENT_TYPES = _table([
    # U1-U6, K1, K2, P1, H5 and Z1 are the national (SSDA903) placement codes.
    (PlacementType.FOSTER, ["foster", "foster care", "fostering", "foster placement",
                            "foster carer", "u4", "u5", "u6"]),
    (PlacementType.KINSHIP, ["kinship", "kinship care", "family and friends",
                             "family and friends care", "friends and family",
                             "connected person", "connected persons", "u1", "u2", "u3"]),
    (PlacementType.RESIDENTIAL, ["residential", "residential care", "childrens home",
                                 "children home", "residential home", "k2"]),
    (PlacementType.PLACED_WITH_PARENTS, ["placed with parents", "placed with parent",
                                         "with parents", "home with parents", "p1"]),
    (PlacementType.SEMI_INDEPENDENT, ["semi independent", "semi independent living",
                                      "supported lodgings", "supported accommodation", "h5"]),
    (PlacementType.SECURE, ["secure", "secure childrens home", "secure unit", "k1"]),
    (PlacementType.OTHER, ["other", "z1"]),
])

_ISO_DATE = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})")
_UK_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
#: Spreadsheets add a time of midnight to dates they have touched.
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")


def parse_date(text: str) -> date:
    """A date written 2024-03-25 or 25/03/2024 (also 2024/03/25, 25-03-2024, 25.03.2024, and
    with a time after it).

    Raises ``ValueError`` for anything else, including days that do not exist.
    """
    text = _TIME.sub("", text.strip())
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _UK_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise ValueError(text)
    return date(int(year), int(month), int(day))


def lookup(spellings: dict[str, Any], text: str) -> Any:
    """The value ``text`` means in ``spellings`` (one of the tables above). Raises
    ``KeyError``."""
    return spellings[_key(text)]


def parse_ethnicity(text: str) -> EthnicityGroup:
    """A high-level group from a group, a description or a national code. Raises ``KeyError``."""
    typed = _key(text)
    if typed in ETHNICITY_GROUPS:
        return ETHNICITY_GROUPS[typed]
    words = set(typed.split())
    if "mixed" in words:
        return EthnicityGroup.MIXED
    groups = {group for word, group in _GROUP_WORDS.items() if word in words}
    if len(groups) > 1:  # "White and Black Caribbean"
        return EthnicityGroup.MIXED
    if groups:  # "White British", "Any other Asian background"
        return groups.pop()
    raise KeyError(text)


#: Other names people write for languages children can answer in.
_LANGUAGE_ALIASES = {"bengali": "bn", "farsi": "fa", "dari": "fa", "sorani": "ckb",
                     "panjabi": "pa"}


@cache
def _child_language_names() -> dict[str, str]:
    """The English names of the languages children can answer in, as the staff form shows them
    ("Persian / Dari") and as Babel has them ("Central Kurdish")."""
    names = dict(_LANGUAGE_ALIASES)
    english = Locale("en").languages
    for code in CHILD_LANGUAGES:
        shown = language_in_english(code)
        for name in (english.get(code, code), shown, *shown.split("/")):
            names[_key(name)] = code
    return names


@cache
def _english_language_names() -> dict[str, str]:
    return {_key(name): code.replace("_", "-") for code, name in Locale("en").languages.items()}


def parse_language(text: str) -> str:
    """A BCP 47 code ("en", "ckb", "pt-BR") from a code or an English name. The languages
    children can answer in are known by every name above; any other language is read too
    ("Klingon" is "tlh"), so that the rule refusing it can say which it is.

    Raises ``KeyError`` for text that names no language.
    """
    typed = _key(text)
    if typed in _child_language_names():
        return _child_language_names()[typed]
    code = text.strip().lower().replace("_", "-")
    if _LANGUAGE_CODE.fullmatch(code) and code.split("-")[0] in Locale("en").languages:
        parts = code.split("-")
        for index, part in enumerate(parts[1:], start=1):
            if len(part) == 4:
                parts[index] = part.title()  # script: "Latn"
            elif len(part) == 2 or part.isdigit():
                parts[index] = part.upper()  # region: "BR", "419"
        return "-".join(parts)
    return _english_language_names()[typed]
