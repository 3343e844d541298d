"""Questionnaire definitions are checked: every mistake is named with its file, line and question.

Whoever edits a definition runs ``viewpoint questionnaires check`` and must be told, in
one go, every mistake in every file and exactly where it is (see ``FORMAT.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from viewpoint.cli import main
from viewpoint.questionnaires import Condition, Problem, Questionnaire, check_definitions
from viewpoint.questionnaires.loader import DEFINITIONS_DIR, INDICATORS_FILE

FILE = "before-review.yaml"

INDICATORS = """\
indicators:
  safe_home:
    label: Feel safe where they live
    theme: safety
  listened_to:
    label: Feel listened to
    theme: voice
"""

# A small definition that uses every question type. Note the bare `no` and `yes`:
# they must be read as answer keys, not as YAML 1.1 booleans.
VALID = """\
id: before-review
title:
  default: Before your review
  "4-7": Your review is coming up
staff_title: Before a review
plan_kinds: [care_plan, pathway_plan]
bands: ["4-7", "12-17"]
intro: These questions are about you.
questions:
  - key: safe_home
    type: faces
    text:
      default: How safe do you feel where you live?
      "4-7": Do you feel safe at home?
    staff_text: Feels safe where they live
    indicator: safe_home
    positive: [happy]
    alert:
      any_of: [sad]
      summary: Said they do not feel safe where they live
  - key: listened
    type: yes_no
    text: Do people listen to you?
    staff_text: Feels listened to
    rather_not_say: false
    indicator: listened_to
    positive: [yes]
    alert:
      any_of: [no]
      summary: Said nobody listens to them
  - key: what_would_help
    type: free_text
    bands: ['12-17']
    text: What would help people listen to you?
    staff_text: What would help them be heard
    max_length: 500
    show_if: {question: listened, any_of: [no, not_sure]}
  - key: school
    type: choose_one
    bands: ['12-17']
    text: Where do you go in the day?
    staff_text: Where they go in the day
    media: {picture: img/faces/happy.svg}
    options:
      - {key: school, text: School}
      - {key: college, text: College}
      - {key: neither, text: Neither}
  - key: who_you_see
    type: choose_many
    bands: ['12-17']
    text: Who do you see?
    staff_text: Family they see
    options:
      - {key: mum, text: Mum}
      - {key: dad, text: Dad}
      - {key: nobody, text: Nobody}
  - key: mood
    type: scale
    bands: ["12-17"]
    text: How are you feeling this week?
    staff_text: Mood this week
    scale: {min: 0, max: 10, low: Awful, high: Great}
    alert: {at_most: 2, summary: Said they feel very low}
"""


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def _line_of(text: str, snippet: str) -> int:
    """The line number (from 1) where ``snippet``, which occurs once in ``text``, starts."""
    assert text.count(snippet) == 1, f"{snippet!r} must occur exactly once"
    return text[:text.index(snippet)].count("\n") + 1


@pytest.fixture()
def static_dir(tmp_path: Path) -> Path:
    """A static folder holding the one picture the valid definition uses."""
    static = tmp_path / "static"
    (static / "img" / "faces").mkdir(parents=True)
    (static / "img" / "faces" / "happy.svg").write_text("<svg/>", encoding="utf-8")
    return static


@pytest.fixture()
def definitions(tmp_path: Path) -> Path:
    """A definitions folder with indicators.yaml and nothing else yet."""
    directory = tmp_path / "definitions"
    directory.mkdir()
    (directory / INDICATORS_FILE).write_text(INDICATORS, encoding="utf-8")
    return directory


def _write(directory: Path, text: str, name: str = FILE) -> None:
    (directory / name).write_text(text, encoding="utf-8")


def _valid_questionnaire(directory: Path, static_dir: Path) -> Questionnaire:
    _write(directory, VALID)
    catalogue, problems = check_definitions(directory, static_dir)
    assert problems == []
    questionnaire = catalogue.get("before-review")
    assert questionnaire is not None
    return questionnaire


# --- a valid definition ---

def test_valid_definition_loads_without_problems(definitions: Path, static_dir: Path) -> None:
    _write(definitions, VALID)

    catalogue, problems = check_definitions(definitions, static_dir)

    assert problems == []
    assert list(catalogue.questionnaires) == ["before-review"]
    assert sorted(catalogue.indicators) == ["listened_to", "safe_home"]
    questionnaire = catalogue.questionnaires["before-review"]
    assert questionnaire.source == FILE
    assert questionnaire.plan_kinds == ("care_plan", "pathway_plan")
    assert questionnaire.title.for_band("4-7") == "Your review is coming up"
    assert questionnaire.title.for_band("12-17") == "Before your review"
    assert [q.key for q in questionnaire.questions_for("4-7")] == ["safe_home", "listened"]
    assert [q.key for q in questionnaire.questions_for("12-17")] == [
        "safe_home", "listened", "what_would_help", "school", "who_you_see", "mood"]


def test_yaml_no_is_the_answer_key_no_not_a_boolean(definitions: Path, static_dir: Path) -> None:
    assert "any_of: [no]" in VALID and "positive: [yes]" in VALID
    questionnaire = _valid_questionnaire(definitions, static_dir)

    listened = questionnaire.question("listened")
    assert listened is not None and listened.alert is not None
    assert listened.alert.condition.any_of == frozenset({"no"})
    assert listened.positive == Condition(any_of=frozenset({"yes"}))
    assert listened.rather_not_say is False  # true/false are still booleans
    follow_up = questionnaire.question("what_would_help")
    assert follow_up is not None and follow_up.show_if is not None
    assert follow_up.show_if.question == "listened"
    assert follow_up.show_if.condition.any_of == frozenset({"no", "not_sure"})


# --- each mistake, named with its file, line, question and problem ---

@dataclass(frozen=True)
class Broken:
    """One mistake made in ``VALID``, and what the checker must say about it."""

    edits: tuple[tuple[str, str], ...]
    #: The question the problem names, or None for a mistake outside any question.
    question: str | None
    #: Part of the message that says what is wrong.
    message: str
    #: A snippet of the broken file, at the start of the line the problem names.
    at: str


def _case(case_id: str, *edits: tuple[str, str], question: str | None, message: str,
          at: str) -> object:
    return pytest.param(Broken(edits, question, message, at), id=case_id)


BROKEN = [
    _case("unknown_question_type",
          ("type: faces", "type: smiley"),
          question="safe_home", message="unknown type 'smiley'; use one of faces, yes_no",
          at="    type: smiley"),
    _case("show_if_refers_to_a_later_question",
          ("show_if: {question: listened", "show_if: {question: mood"),
          question="what_would_help",
          message="show_if refers to later question 'mood' (it must come earlier)",
          at="    show_if:"),
    _case("show_if_refers_to_a_missing_question",
          ("show_if: {question: listened", "show_if: {question: listend"),
          question="what_would_help", message="show_if refers to missing question 'listend'",
          at="    show_if:"),
    _case("show_if_names_an_answer_the_earlier_question_cannot_give",
          ("any_of: [no, not_sure]", "any_of: [no, maybe]"),
          question="what_would_help",
          message="show_if names answer(s) 'maybe' that 'listened' cannot give",
          at="    show_if:"),
    _case("alert_on_an_answer_that_does_not_exist",
          ("any_of: [sad]", "any_of: [very_sad]"),
          question="safe_home",
          message="alert names answer(s) 'very_sad' that 'safe_home' cannot give",
          at="      any_of: [very_sad]"),
    _case("positive_answer_that_does_not_exist",
          ("positive: [happy]", "positive: [glad]"),
          question="safe_home",
          message="positive names answer(s) 'glad' that 'safe_home' cannot give",
          at="    positive: [glad]"),
    _case("indicator_not_in_indicators_yaml",
          ("indicator: safe_home", "indicator: safe_house"),
          question="safe_home",
          message="indicator 'safe_house' is not defined in indicators.yaml",
          at="    indicator: safe_house"),
    _case("band_left_without_text",
          ("      default: How safe do you feel where you live?\n", ""),
          question="safe_home",
          message="text has no text for band '12-17' (add it or a 'default')",
          at='    text:\n      "4-7"'),
    _case("text_for_an_unknown_band",
          ('  "4-7": Your review is coming up', '  "4-8": Your review is coming up'),
          question=None, message="title names unknown band '4-8'", at='  "4-8"'),
    _case("duplicate_key_in_a_question",
          ("    text: Do people listen to you?\n",
           "    text: Do people listen to you?\n    text: Does anyone listen?\n"),
          question="listened", message="duplicate key 'text'", at="    text: Does anyone"),
    _case("duplicate_question_key",
          ("  - key: who_you_see", "  - key: school"),
          question="school", message="duplicate question key 'school'",
          at="  - key: school\n    type: choose_many"),
    _case("duplicate_option_key",
          ("{key: dad, text: Dad}", "{key: mum, text: Dad}"),
          question="who_you_see", message="duplicate option key 'mum'",
          at="      - {key: mum, text: Dad}"),
    _case("unknown_top_level_key",
          ("staff_title: Before a review\n", "staff_title: Before a review\ncolour: blue\n"),
          question=None, message="unknown key 'colour' in questionnaire", at="colour: blue"),
    _case("unknown_question_key",
          ("    staff_text: Mood this week\n",
           "    staff_text: Mood this week\n    colour: blue\n"),
          question="mood", message="unknown key 'colour' in question", at="    colour: blue"),
    _case("unknown_plan_kind",
          ("[care_plan, pathway_plan]", "[care_plan, foster_plan]"),
          question=None, message="unknown plan kind 'foster_plan'", at="plan_kinds:"),
    _case("unknown_band",
          ('bands: ["4-7", "12-17"]', 'bands: ["4-7", "12-17", "5-9"]'),
          question=None, message="unknown band '5-9'; use 4-7, 8-11, 12-17, 16-25",
          at="bands: [\"4-7\""),
    _case("question_band_the_questionnaire_does_not_offer",
          ('bands: ["12-17"]', 'bands: ["16-25"]'),
          question="mood",
          message="bands 16-25 are not offered by this questionnaire (4-7, 12-17)",
          at='    bands: ["16-25"]'),
    _case("question_without_staff_text",
          ("    staff_text: Mood this week\n", ""),
          question="mood", message="needs staff_text", at="  - key: mood"),
    _case("questionnaire_without_staff_title",
          ("staff_title: Before a review\n", ""),
          question=None, message="missing 'staff_title'", at="id: before-review"),
    _case("choose_one_without_options",
          ("    options:\n      - {key: school, text: School}\n"
           "      - {key: college, text: College}\n      - {key: neither, text: Neither}\n", ""),
          question="school", message="a choose_one question needs options",
          at="  - key: school"),
    _case("scale_alert_outside_the_scale",
          ("{at_most: 2,", "{at_most: 12,"),
          question="mood", message="alert uses 12, outside the scale 0-10",
          at="    alert: {at_most: 12"),
    _case("media_file_that_does_not_exist",
          ("img/faces/happy.svg", "img/school.svg"),
          question="school", message="picture 'img/school.svg' does not exist under static/",
          at="    media:"),
    _case("invalid_yaml_syntax",
          ("intro: These questions", "intro: These: questions"),
          question=None, message="is not valid YAML: mapping values are not allowed here",
          at="intro:"),
    _case("question_asking_to_talk_without_saying_so",
          ("    text: Do people listen to you?\n",
           "    text: Would you like someone to talk with you about this?\n"),
          question="listened",
          message="asks whether the child wants to talk to someone: add 'talk_request: true'",
          at="  - key: listened"),
    _case("talk_request_without_an_alert_on_yes",
          ("    rather_not_say: false\n", "    rather_not_say: false\n    talk_request: true\n"),
          question="listened",
          message="a talk_request question must raise an alert when the child answers 'yes'",
          at="    talk_request: true"),
    _case("approving_picture_on_the_answer_that_raises_an_alert",
          ("      - {key: dad, text: Dad}\n      - {key: nobody, text: Nobody}\n",
           "      - {key: dad, text: Dad}\n"
           "      - {key: nobody, text: Nobody, picture: img/faces/happy.svg}\n"
           "    alert: {any_of: [nobody], summary: Sees nobody}\n"),
          question="who_you_see",
          message="option 'nobody' raises an alert but its picture 'img/faces/happy.svg' is "
                  "approving",
          at="    options:\n      - {key: mum"),
    _case("free_text_for_children_who_answer_by_picture",
          ("    bands: ['12-17']\n    text: What would help",
           "    bands: ['4-7', '12-17']\n    text: What would help"),
          question="what_would_help",
          message="band '4-7' answers by picture alone: a free_text question cannot be asked",
          at="    type: free_text"),
    _case("help_naming_an_unknown_helpline",
          ("intro: These questions are about you.\n",
           "intro: These questions are about you.\nhelp: [childline, helpful_friend]\n"),
          question=None, message="help names unknown helpline(s) helpful_friend",
          at="help:"),
    _case("exclusive_option_on_a_question_with_one_answer",
          ("      - {key: neither, text: Neither}", "      - {key: neither, text: Neither, "
           "exclusive: true}"),
          question="school", message="option 'neither' exclusive is true or false, for",
          at="      - {key: neither"),
    _case("id_not_matching_the_file_name",
          ("id: before-review", "id: after-review"),
          question=None, message="id 'after-review' must match the file name ('before-review')",
          at="id: after-review"),
]


@pytest.mark.parametrize("case", BROKEN)
def test_mistake_is_named_with_file_line_question_and_problem(
        case: Broken, definitions: Path, static_dir: Path) -> None:
    text = VALID
    for old, new in case.edits:
        text = _edit(text, old, new)
    _write(definitions, text)

    catalogue, problems = check_definitions(definitions, static_dir)

    line = _line_of(text, case.at)
    assert [(p.file, p.line, p.question) for p in problems] == [(FILE, line, case.question)], \
        [str(p) for p in problems]
    where = f"{FILE}:{line}: " + (f"question '{case.question}': " if case.question else "")
    assert str(problems[0]).startswith(where + case.message)
    assert catalogue.get("before-review") is None


# More detail on two of the cases above.

def test_show_if_naming_an_answer_the_earlier_question_cannot_give_is_reported(
        definitions: Path, static_dir: Path) -> None:
    text = _edit(VALID, "any_of: [no, not_sure]", "any_of: [no, maybe]")
    _write(definitions, text)

    _, problems = check_definitions(definitions, static_dir)

    assert len(problems) == 1
    assert problems[0].line == _line_of(text, "    show_if:")
    assert problems[0].message == ("show_if names answer(s) 'maybe' that 'listened' cannot give "
                                   "(it offers no, not_sure, yes)")


def test_duplicate_mapping_key_is_reported_with_its_line(definitions: Path,
                                                         static_dir: Path) -> None:
    text = _edit(VALID, "    text: Do people listen to you?\n",
                 "    text: Do people listen to you?\n    text: Does anyone listen?\n")
    _write(definitions, text)

    catalogue, problems = check_definitions(definitions, static_dir)

    line = _line_of(text, "    text: Does anyone listen?")
    assert [str(p) for p in problems] == [
        f"{FILE}:{line}: question 'listened': duplicate key 'text'"]
    assert catalogue.get("before-review") is None


def test_band_offered_without_questions_is_reported(definitions: Path) -> None:
    text = """\
id: leaving-care
title: Leaving care
staff_title: Leaving care
plan_kinds: [pathway_plan]
bands: ["12-17", "16-25"]
questions:
  - key: own_place
    type: yes_no
    bands: ["12-17"]
    text: Do you know where you will live?
    staff_text: Knows where they will live
  - key: money
    type: yes_no
    bands: ["12-17"]
    text: Do you know how to manage money?
    staff_text: Can manage money
"""
    _write(definitions, text, "leaving-care.yaml")

    catalogue, problems = check_definitions(definitions)

    line = _line_of(text, 'bands: ["12-17", "16-25"]')
    assert [str(p) for p in problems] == [
        f"leaving-care.yaml:{line}: band '16-25' has no questions"]
    assert catalogue.questionnaires == {}


# --- every mistake in one run ---

def test_every_mistake_in_a_file_is_reported_in_one_run(definitions: Path,
                                                        static_dir: Path) -> None:
    text = _edit(VALID, "[care_plan, pathway_plan]", "[care_plan, foster_plan]")
    text = _edit(text, "type: faces", "type: smiley")
    text = _edit(text, "    staff_text: Mood this week\n", "")
    _write(definitions, text)

    _, problems = check_definitions(definitions, static_dir)

    assert [str(p) for p in problems] == [
        f"{FILE}:{_line_of(text, 'plan_kinds:')}: unknown plan kind 'foster_plan'; use "
        "child_in_need, child_protection, care_plan, pathway_plan",
        f"{FILE}:{_line_of(text, '    type: smiley')}: question 'safe_home': unknown type "
        "'smiley'; use one of faces, yes_no, scale, choose_one, choose_many, free_text",
        f"{FILE}:{_line_of(text, '  - key: mood')}: question 'mood': needs staff_text "
        "(a short English label for staff)",
    ]


def test_mistakes_in_every_file_are_reported_and_good_files_still_load(
        definitions: Path, static_dir: Path) -> None:
    _write(definitions, _edit(VALID, "type: faces", "type: smiley"))
    other = _edit(VALID, "id: before-review", "id: other-review")
    _write(definitions, _edit(other, "positive: [happy]", "positive: [glad]"), "other-review.yaml")
    good = _edit(VALID, "id: before-review", "id: good-review")
    _write(definitions, good, "good-review.yaml")

    catalogue, problems = check_definitions(definitions, static_dir)

    assert [(p.file, p.question, p.message.split(";")[0].split(" that ")[0])
            for p in problems] == [
        (FILE, "safe_home", "unknown type 'smiley'"),
        ("other-review.yaml", "safe_home", "positive names answer(s) 'glad'"),
    ]
    assert list(catalogue.questionnaires) == ["good-review"]


# --- `viewpoint questionnaires check` ---

def _run_check(*args: str, questionnaire_dir: str | None = None):  # type: ignore[no-untyped-def]
    # FlaskGroup sets FLASK_RUN_FROM_CLI; listing it here makes the runner restore it.
    env = {"QUESTIONNAIRE_DIR": questionnaire_dir, "FLASK_RUN_FROM_CLI": None}
    return CliRunner().invoke(main, ["questionnaires", "check", *args], env=env)


def test_check_command_passes_the_shipped_definitions() -> None:
    result = _run_check()

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    shipped = sorted(p.name for p in DEFINITIONS_DIR.glob("*.yaml") if p.name != INDICATORS_FILE)
    assert shipped
    for name in shipped:
        assert f"{name}: ok (" in result.stdout
    assert result.stdout.rstrip().endswith("no problems.")
    assert f"{len(shipped)} questionnaire(s)" in result.stdout


def test_check_command_lists_every_problem_and_fails(definitions: Path) -> None:
    text = _edit(VALID, "type: faces", "type: smiley")
    text = _edit(text, "{at_most: 2,", "{at_most: 12,")
    _write(definitions, text)

    result = _run_check(str(definitions))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{FILE}:{_line_of(text, '    type: smiley')}: question 'safe_home': unknown type "
        "'smiley'; use one of faces, yes_no, scale, choose_one, choose_many, free_text",
        f"{FILE}:{_line_of(text, '    alert: {at_most: 12')}: question 'mood': alert uses 12, "
        "outside the scale 0-10",
        "2 problem(s) found.",
    ]
    assert "no problems" not in result.output


def test_check_command_checks_the_configured_questionnaire_dir(definitions: Path) -> None:
    _write(definitions, _edit(VALID, "type: faces", "type: smiley"))

    result = _run_check(questionnaire_dir=str(definitions))

    assert result.exit_code == 1
    assert f"{FILE}:" in result.stderr and "unknown type 'smiley'" in result.stderr
    assert result.stdout == ""


# --- answers ---

@pytest.mark.parametrize(("key", "given", "stored"), [
    ("safe_home", "sad", "sad"),
    ("listened", "no", "no"),
    ("school", "college", "college"),
    ("who_you_see", ["nobody", "mum", "mum"], ["mum", "nobody"]),
    ("who_you_see", [], []),
    ("mood", 0, 0),
    ("mood", 10, 10),
    ("mood", "7", 7),
    ("what_would_help", "  More time with my worker.  ", "More time with my worker."),
    ("what_would_help", "x" * 500, "x" * 500),
])
def test_valid_answers_are_accepted_in_stored_form(
        key: str, given: object, stored: object, definitions: Path, static_dir: Path) -> None:
    question = _valid_questionnaire(definitions, static_dir).question(key)
    assert question is not None
    assert question.clean_answer(given) == stored


@pytest.mark.parametrize(("key", "given", "error"), [
    ("safe_home", "very_sad", "not one of this question's answers"),
    ("listened", False, "not one of this question's answers"),
    ("school", "university", "not one of this question's answers"),
    ("school", ["school"], "not one of this question's answers"),
    ("who_you_see", ["mum", "aunt"], "not one of this question's answers"),
    ("who_you_see", "mum", "expected a list of answers"),
    ("who_you_see", ["mum", 1], "expected a list of answers"),
    ("mood", 11, "expected a number from 0 to 10"),
    ("mood", -1, "expected a number from 0 to 10"),
    ("mood", "-1", "expected a number from 0 to 10"),
    ("mood", True, "expected a whole number"),
    ("mood", 7.5, "expected a whole number"),
    ("mood", "seven", "expected a whole number"),
    ("what_would_help", "x" * 501, "longer than 500 characters"),
    ("what_would_help", 5, "expected text"),
])
def test_invalid_answers_are_refused_with_the_reason(
        key: str, given: object, error: str, definitions: Path, static_dir: Path) -> None:
    question = _valid_questionnaire(definitions, static_dir).question(key)
    assert question is not None
    with pytest.raises(ValueError, match=f"^{error}$"):
        question.clean_answer(given)


# --- conditions ---

def test_any_of_matches_one_answer_in_the_set() -> None:
    condition = Condition(any_of=frozenset({"sad", "okay"}))
    assert condition.matches("sad") is True
    assert condition.matches("okay") is True
    assert condition.matches("happy") is False


def test_any_of_matches_a_choose_many_answer_sharing_any_key() -> None:
    condition = Condition(any_of=frozenset({"nobody"}))
    assert condition.matches(["mum", "nobody"]) is True
    assert condition.matches(["mum", "dad"]) is False
    assert condition.matches([]) is False


def test_at_least_and_at_most_include_their_bounds() -> None:
    assert Condition(at_most=2).matches(2) is True
    assert Condition(at_most=2).matches(3) is False
    assert Condition(at_least=7).matches(7) is True
    assert Condition(at_least=7).matches(6) is False
    between = Condition(at_least=3, at_most=5)
    assert [between.matches(n) for n in (2, 3, 4, 5, 6)] == [False, True, True, True, False]
    assert Condition(at_least=0).matches(True) is False  # a boolean is not a number


@pytest.mark.parametrize("condition", [
    Condition(any_of=frozenset({"no"})), Condition(at_least=0), Condition(at_most=10),
], ids=["any_of", "at_least", "at_most"])
def test_declined_or_missing_answer_never_matches(condition: Condition) -> None:
    assert condition.matches(None) is False


def test_loaded_alert_rules_match_the_answers_they_name(definitions: Path,
                                                       static_dir: Path) -> None:
    questionnaire = _valid_questionnaire(definitions, static_dir)
    listened, mood = questionnaire.question("listened"), questionnaire.question("mood")
    assert listened is not None and listened.alert is not None
    assert mood is not None and mood.alert is not None
    assert listened.alert.condition.matches("no") is True
    assert listened.alert.condition.matches("yes") is False
    assert mood.alert.condition.matches(2) is True
    assert mood.alert.condition.matches(3) is False
    assert mood.alert.summary == "Said they feel very low"


# --- files the checker must survive and report, not crash on ---

def test_empty_questionnaire_file_is_reported(definitions: Path) -> None:
    _write(definitions, "# to do\n", "draft.yaml")

    catalogue, problems = check_definitions(definitions)

    assert catalogue.questionnaires == {}
    assert [p.file for p in problems] == ["draft.yaml"]


def test_control_character_in_a_file_is_reported_not_a_crash(definitions: Path,
                                                             static_dir: Path) -> None:
    _write(definitions, VALID + "# pasted from a document\x01\n")

    _, problems = check_definitions(definitions, static_dir)

    assert len(problems) == 1
    assert problems[0].file == FILE
    assert "not valid YAML" in problems[0].message


@pytest.mark.parametrize(("old", "new", "question", "message"), [
    ("indicator: listened_to", "indicator: [listened_to]", "listened", "is not defined"),
    ("  - key: mood", "  - key: [mood]", None, "needs a key"),
    ('bands: ["4-7", "12-17"]', 'bands: [["4-7"], "12-17"]', None, "unknown band"),
    ("show_if: {question: listened", "show_if: {question: [listened]", "what_would_help",
     "show_if"),
    ("any_of: [no]", "any_of: [[no]]", "listened", "alert"),
], ids=["indicator", "question_key", "band", "show_if_question", "alert_answer"])
def test_list_where_a_name_belongs_is_reported_not_a_crash(
        old: str, new: str, question: str | None, message: str, definitions: Path,
        static_dir: Path) -> None:
    _write(definitions, _edit(VALID, old, new))

    catalogue, problems = check_definitions(definitions, static_dir)

    assert any(p.file == FILE and p.question == question and message in p.message
               for p in problems), [str(p) for p in problems]
    assert catalogue.get("before-review") is None


def test_show_if_on_an_earlier_question_with_a_mistake_is_not_called_later(
        definitions: Path, static_dir: Path) -> None:
    _write(definitions, _edit(VALID, "    staff_text: Feels listened to\n", ""))

    _, problems = check_definitions(definitions, static_dir)

    assert [(p.question, p.message) for p in problems] == [
        ("listened", "needs staff_text (a short English label for staff)")]


def test_problem_str_names_file_line_and_question() -> None:
    assert str(Problem("a.yaml", "unknown type 'x'", "q", 7)) == (
        "a.yaml:7: question 'q': unknown type 'x'")
    assert str(Problem("a.yaml", "missing 'id'", None, 1)) == "a.yaml:1: missing 'id'"
    assert str(Problem("a.yaml", "is missing")) == "a.yaml: is missing"


def test_a_picture_can_differ_by_language(definitions: Path, static_dir: Path) -> None:
    from viewpoint.questionnaires.definition import for_language

    (static_dir / "img").mkdir(exist_ok=True)
    for name in ("home.svg", "home-ur.svg"):
        (static_dir / "img" / name).write_text("<svg/>")
    text = _edit(VALID, "    type: faces\n",
                 "    type: faces\n    media:\n      picture: {default: img/home.svg, "
                 "ur: img/home-ur.svg}\n")
    _write(definitions, text)
    catalogue, problems = check_definitions(definitions, static_dir)
    assert problems == []
    picture = catalogue.get("before-review").question("safe_home").picture
    assert for_language(picture, "ur") == "img/home-ur.svg"
    assert for_language(picture, "pl") == "img/home.svg"
