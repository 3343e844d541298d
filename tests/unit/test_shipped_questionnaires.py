"""The four shipped questionnaires ask what the domain needs, in the right amounts per band."""

from __future__ import annotations

import pytest

from viewpoint.questionnaires import load_definitions
from viewpoint.questionnaires.definition import BANDS, QUESTION_TYPES

CATALOGUE = load_definitions()
#: Questions asked per band, from the brief: about 8-12, 15-20 and 25-35.
SIZE = {"4-7": (8, 12), "8-11": (15, 20), "12-17": (25, 35), "16-25": (25, 35)}
#: Indicators every questionnaire must report on (the topics every review needs).
CORE_INDICATORS = {"safe_home", "safe_school", "listened_to", "trusted_adult", "family_contact",
                   "settled_home", "school_going_well", "happiness", "worker_knows_me"}


def test_there_is_a_questionnaire_for_every_plan_kind() -> None:
    served = {kind for q in CATALOGUE.questionnaires.values() for kind in q.plan_kinds}
    assert served == {"child_in_need", "child_protection", "care_plan", "pathway_plan"}
    assert CATALOGUE.for_plan_kind("pathway_plan")[0].bands == ("16-25",)


@pytest.mark.parametrize(("questionnaire_id", "band"), [
    (q.id, band) for q in CATALOGUE.questionnaires.values() for band in q.bands])
def test_each_band_is_asked_a_fitting_number_of_questions(questionnaire_id: str,
                                                          band: str) -> None:
    count = len(CATALOGUE.get(questionnaire_id).questions_for(band))
    low, high = SIZE[band]
    assert low <= count <= high


@pytest.mark.parametrize("questionnaire_id", sorted(CATALOGUE.questionnaires))
def test_each_covers_the_core_topics_and_ends_with_anything_else(questionnaire_id: str) -> None:
    questionnaire = CATALOGUE.get(questionnaire_id)
    indicators = {q.indicator for q in questionnaire.questions if q.indicator}
    assert CORE_INDICATORS - indicators == set()
    for band in questionnaire.bands:
        asked = questionnaire.questions_for(band)
        if BANDS[band].by_picture:
            # Nothing to write: the last question asks if they want to tell their worker more.
            assert asked[-1].talk_request and asked[-1].alert is not None
        else:
            assert asked[-1].type == "free_text"  # "anything else" comes last
        assert any(q.type == "scale" for q in asked)  # how happy, 0-10
        assert any(q.alert for q in asked)  # something that can raise a safeguarding alert
        assert all(q.rather_not_say for q in asked)  # nothing is compulsory


def test_every_question_type_is_used() -> None:
    used = {q.type for qn in CATALOGUE.questionnaires.values() for q in qn.questions}
    assert used == set(QUESTION_TYPES)


def test_the_youngest_are_asked_with_pictures_or_simple_choices() -> None:
    for questionnaire in CATALOGUE.questionnaires.values():
        if "4-7" not in questionnaire.bands:
            continue
        for question in questionnaire.questions_for("4-7"):
            assert question.type in ("faces", "yes_no", "scale"), question.key
            assert len(question.text.for_band("4-7").split()) <= 10, question.key
