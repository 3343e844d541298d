"""The editor's fields and the definition: what the form shows comes back unchanged, what
it does not show is kept, and what cannot be written into a definition is refused by name."""

from __future__ import annotations

import pytest

from viewpoint.questionnaires import editing
from viewpoint.questionnaires.library import shipped_sources

BANDS = ("4-7", "8-11", "12-17")


@pytest.mark.parametrize(("written", "condition"), [
    ("sad, okay", {"any_of": ["sad", "okay"]}),
    ("sad or okay", {"any_of": ["sad", "okay"]}),
    ("yes", {"any_of": ["yes"]}),
    ("7 or more", {"at_least": 7}),
    ("2 or less", {"at_most": 2}),
    ("2 to 4", {"at_least": 2, "at_most": 4}),
    ("  ", None),
])
def test_conditions_in_plain_words_both_ways(written: str, condition: object) -> None:
    assert editing.parse_condition(written, "positive") == condition
    if condition is not None:
        assert editing.parse_condition(editing.describe_condition(condition),
                                       "positive") == condition


@pytest.mark.parametrize("written", ["Sad!", "4 to 2", "happy; <b>"])
def test_a_condition_that_cannot_be_read_is_refused_by_field(written: str) -> None:
    with pytest.raises(editing.EditError) as refused:
        editing.parse_condition(written, "alert_answers")
    assert refused.value.field == "alert_answers"


@pytest.mark.parametrize("key", sorted(shipped_sources()))
def test_every_shipped_question_comes_back_from_the_form_unchanged(key: str) -> None:
    """Opening a question and saving it without a change changes nothing (pictures, audio,
    one band's answer words: all kept)."""
    source = shipped_sources()[key]
    bands = tuple(source["bands"])
    for question in source["questions"]:
        fields = editing.fields_of(question, bands)
        again = editing.apply_question(source, question["key"], fields)
        assert again == source, question["key"]


def test_a_new_question_with_a_follow_up_and_an_alert() -> None:
    source = {"id": "after-missing", "bands": list(BANDS), "questions": [
        {"key": "feel_now", "type": "faces", "text": "How do you feel?", "staff_text": "Feels"}]}
    fields = editing.QuestionFields(
        key="want_talk", type="yes_no", text="Would you like someone to talk with you?",
        band_texts={"4-7": "Do you want to talk to someone?", "8-11": "", "12-17": ""},
        staff_text="Wants to talk", show_if_question="feel_now", show_if_answers="sad, okay",
        alert_answers="yes", alert_summary="Asked to talk", talk_request=True)
    changed = editing.apply_question(source, None, fields)
    added = changed["questions"][-1]
    assert added == {
        "key": "want_talk", "type": "yes_no",
        "text": {"default": "Would you like someone to talk with you?",
                 "4-7": "Do you want to talk to someone?"},
        "staff_text": "Wants to talk",
        "show_if": {"question": "feel_now", "any_of": ["sad", "okay"]},
        "alert": {"any_of": ["yes"], "summary": "Asked to talk"}, "talk_request": True}
    assert source["questions"][-1]["key"] == "feel_now"  # the original is not changed
    # Renaming the first question: the rule that asks about it follows.
    renamed = editing.apply_question(changed, "feel_now", editing.QuestionFields(
        key="feel_today", type="faces", text="How do you feel?", staff_text="Feels"))
    assert renamed["questions"][1]["show_if"]["question"] == "feel_today"


@pytest.mark.parametrize(("fields", "field"), [
    ({"key": "Feel Now"}, "key"),
    ({"key": "feel_now"}, "key"),  # another question's id
    ({"options": "a_lot = Yes\nno id here"}, "options"),
    ({"options": "a = Yes\na = Also yes"}, "options"),
    ({"options": ""}, "options"),
    ({"alert_answers": "a"}, "alert_summary"),
    ({"show_if_question": "feel_now"}, "show_if_answers"),
])
def test_what_cannot_be_written_is_refused_by_field(fields: dict[str, str], field: str) -> None:
    source = {"id": "x", "bands": ["8-11"], "questions": [
        {"key": "feel_now", "type": "faces", "text": "How?", "staff_text": "Feels"}]}
    written = {"key": "help", "type": "choose_one", "text": "Does it help?",
               "staff_text": "Help helps", "options": "a = Yes\nb = No", **fields}
    with pytest.raises(editing.EditError) as refused:
        editing.apply_question(source, None, editing.QuestionFields(**written))
    assert refused.value.field == field


def test_questions_move_and_go() -> None:
    source = {"questions": [{"key": "a"}, {"key": "b"}, {"key": "c"}]}
    assert [q["key"] for q in editing.move_question(source, "c", -1)["questions"]] == \
        ["a", "c", "b"]
    assert [q["key"] for q in editing.move_question(source, "a", -1)["questions"]] == \
        ["a", "b", "c"]  # already first
    assert [q["key"] for q in editing.remove_question(source, "b")["questions"]] == ["a", "c"]
