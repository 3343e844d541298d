"""Reading what people type into a case-management export (no database needed)."""

from __future__ import annotations

from datetime import date

import pytest

from viewpoint.casework import csv_import
from viewpoint.casework.csv_import import (
    ETHNICITY_GROUPS,
    GENDERS,
    PLACEMENT_TYPES,
    PLAN_KINDS,
    ImportHasProblems,
    normalise_header,
    parse_date,
    parse_ethnicity,
    parse_language,
)
from viewpoint.i18n import CHILD_LANGUAGES
from viewpoint.models import EthnicityGroup, Gender, PlacementType, PlanKind


@pytest.mark.parametrize("text", ["2024-03-05", "2024-3-5", "05/03/2024", "5/3/2024",
                                  "05-03-2024", "05.03.2024", "2024/03/05",
                                  "05/03/2024 00:00", "2024-03-05T00:00:00", " 05/03/2024 "])
def test_dates_are_read_the_uk_way_or_the_iso_way(text: str) -> None:
    assert parse_date(text) == date(2024, 3, 5)


@pytest.mark.parametrize("text", ["31/02/2024", "03/13/2024", "05/03/24", "5 March 2024",
                                  "2024-03", "yesterday", "45000"])
def test_things_that_are_not_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize(("text", "kind"), [
    ("CIN", PlanKind.CHILD_IN_NEED), ("Child in need", PlanKind.CHILD_IN_NEED),
    ("child_in_need", PlanKind.CHILD_IN_NEED), ("CP", PlanKind.CHILD_PROTECTION),
    ("Child Protection Plan", PlanKind.CHILD_PROTECTION), ("LAC", PlanKind.CARE_PLAN),
    ("care plan", PlanKind.CARE_PLAN), ("Looked-after child", PlanKind.CARE_PLAN),
    ("CLA", PlanKind.CARE_PLAN), ("pathway", PlanKind.PATHWAY_PLAN),
    ("Pathway Plan", PlanKind.PATHWAY_PLAN), ("care leaver", PlanKind.PATHWAY_PLAN),
])
def test_plan_kinds_as_people_type_them(text: str, kind: PlanKind) -> None:
    assert csv_import.lookup(PLAN_KINDS, text) is kind


@pytest.mark.parametrize(("text", "gender"), [
    ("F", Gender.GIRL), ("Female", Gender.GIRL), ("girl", Gender.GIRL), ("m", Gender.BOY),
    ("MALE", Gender.BOY), ("Non-binary", Gender.ANOTHER), ("Unknown", Gender.NOT_RECORDED),
    ("not_recorded", Gender.NOT_RECORDED),
])
def test_genders_as_people_type_them(text: str, gender: Gender) -> None:
    assert csv_import.lookup(GENDERS, text) is gender


@pytest.mark.parametrize(("text", "group"), [
    ("white", EthnicityGroup.WHITE), ("White British", EthnicityGroup.WHITE),
    ("WBRI", EthnicityGroup.WHITE), ("Gypsy/Roma", EthnicityGroup.WHITE),
    ("White and Black Caribbean", EthnicityGroup.MIXED), ("MWAS", EthnicityGroup.MIXED),
    ("Any other Asian background", EthnicityGroup.ASIAN), ("APKN", EthnicityGroup.ASIAN),
    ("Black African", EthnicityGroup.BLACK), ("BCRB", EthnicityGroup.BLACK),
    ("Any other ethnic group", EthnicityGroup.OTHER), ("OOTH", EthnicityGroup.OTHER),
    ("REFU", EthnicityGroup.NOT_RECORDED), ("Information not yet obtained",
                                            EthnicityGroup.NOT_RECORDED),
])
def test_ethnicity_groups_from_groups_descriptions_and_national_codes(
        text: str, group: EthnicityGroup) -> None:
    assert parse_ethnicity(text) is group


def test_every_national_ethnicity_code_is_known() -> None:
    codes = ["WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND",
             "APKN", "ABAN", "AOTH", "CHNE", "BCRB", "BAFR", "BOTH", "OOTH", "REFU", "NOBT"]
    assert [code for code in codes if code.lower() not in ETHNICITY_GROUPS] == []
    with pytest.raises(KeyError):
        parse_ethnicity("purple")


@pytest.mark.parametrize(("text", "placement"), [
    ("foster", PlacementType.FOSTER), ("U4", PlacementType.FOSTER),
    ("Family and friends", PlacementType.KINSHIP), ("u1", PlacementType.KINSHIP),
    ("Children's home", PlacementType.RESIDENTIAL), ("K2", PlacementType.RESIDENTIAL),
    ("placed_with_parents", PlacementType.PLACED_WITH_PARENTS),
    ("Semi-independent", PlacementType.SEMI_INDEPENDENT),
    ("supported lodgings", PlacementType.SEMI_INDEPENDENT), ("K1", PlacementType.SECURE),
    ("Other", PlacementType.OTHER),
])
def test_placement_types_from_words_and_national_codes(text: str,
                                                       placement: PlacementType) -> None:
    assert csv_import.lookup(PLACEMENT_TYPES, text) is placement


@pytest.mark.parametrize(("text", "code"), [
    ("en", "en"), ("UR", "ur"), ("ckb", "ckb"), ("Urdu", "ur"), ("arabic", "ar"),
    ("pt_br", "pt-BR"), ("Tigrinya", "ti"),
])
def test_languages_from_codes_or_english_names(text: str, code: str) -> None:
    assert parse_language(text) == code


@pytest.mark.parametrize(("text", "code"), [
    ("Polish", "pl"), ("Persian", "fa"), ("Dari", "fa"), ("Farsi", "fa"),
    ("Persian / Dari", "fa"), ("Kurdish (Sorani)", "ckb"), ("Central Kurdish", "ckb"),
    ("Sorani", "ckb"), ("Bengali", "bn"), ("Bangla", "bn"), ("Welsh", "cy"),
])
def test_the_languages_children_answer_in_by_the_names_people_use(text: str, code: str) -> None:
    assert code in CHILD_LANGUAGES
    assert parse_language(text) == code


@pytest.mark.parametrize(("text", "code"), [("Klingon", "tlh"), ("tlh", "tlh"),
                                            ("German", "de"), ("Kurdish", "ku")])
def test_other_languages_are_read_so_the_rule_can_name_them(text: str, code: str) -> None:
    # Read, not accepted: the rule the staff form uses refuses them (tests/views).
    assert parse_language(text) == code
    assert code not in CHILD_LANGUAGES


@pytest.mark.parametrize("text", ["Klingonese", "xx", "e"])
def test_unknown_languages_are_refused(text: str) -> None:
    with pytest.raises(KeyError):
        parse_language(text)


@pytest.mark.parametrize(("raw", "name"), [
    (" Child Reference ", "child_reference"), ("DATE OF BIRTH", "date_of_birth"),
    ("review-chair-email", "review_chair_email"), ("plan_kind", "plan_kind"),
])
def test_headers_in_any_case_and_spacing(raw: str, name: str) -> None:
    assert normalise_header(raw) == name


def test_records_keep_the_files_line_numbers() -> None:
    text = "a,b\r\n\r\nc,\"two\nlines\"\r\n  ,  \r\nd,e\r\n"
    assert list(csv_import.records(text)) == [(1, ["a", "b"]), (3, ["c", "two\nlines"]),
                                               (6, ["d", "e"])]


@pytest.mark.parametrize(("text", "delimiter", "skip"), [
    ("a,b,c\n", ",", 0), ("a;b;c\n", ";", 0), ("\n\na;b,c;d\n", ";", 0),
    ("a\tb\n", "\t", 0), ("sep=;\na;b\n", ";", 1), ("child_reference\n", ",", 0),
])
def test_the_delimiter_comes_from_the_header(text: str, delimiter: str, skip: int) -> None:
    assert csv_import.find_delimiter(text) == (delimiter, skip)


def test_a_check_with_problems_cannot_be_applied() -> None:
    check = csv_import.check_import(None, b"", team=None)  # type: ignore[arg-type]
    assert not check.ok
    with pytest.raises(ImportHasProblems):
        csv_import.apply_import(None, check, team=None)  # type: ignore[arg-type]


def test_a_windows_excel_file_is_read_and_a_spreadsheet_is_not() -> None:
    assert csv_import.decode("child_reference\nZoë".encode("cp1252")).endswith("Zoë")
    with pytest.raises(csv_import.FileRefused):
        csv_import.decode("child_reference".encode("utf-16"))
