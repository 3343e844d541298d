"""The voice of the child in the Standard Safeguarding Dataset's own columns.

The Standard Safeguarding Dataset (SSD, the open data model councils' children's services
are adopting, with the DfE's data strategy) defines an object ``ssd_voice_of_child``: a row
per time a child was asked, with the child's person id and yes/no answers to five
questions. This writes sent responses as those rows, so that a council's data warehouse can
load them next to the rest of its SSD tables.

Which of our answers fills which SSD item is a judgement, and is written down here and in
``docs/ssd-voice-of-child.md``:

- ``voch_explained_worries`` ("Has someone explained to you why people are worried for
  your family in a way that you can understand?") comes from our ``understands_decisions``
  indicator: in the child protection questionnaire "Has someone explained why there is a
  child protection plan for you?", and for other plans "told why decisions about them were
  made". The closest of our questions, not the same one.
- ``voch_story_help_understand``, ``voch_agree_worker``, ``voch_plan_safe`` and
  ``voch_tablet_help_explain`` are questions viewpoint does not ask, so they are left empty
  rather than guessed from questions that only sound alike (``knows_plan`` asks whether the
  child knows what the plan says, not whether it keeps them safe).

"Yes" is written ``Y`` and "no" ``N``; "not sure", "I'd rather not say", a skip or a
question not asked are left empty. The SSD object has no date column, so three columns
of our own follow the SSD's, each named ``vp_...``: a loader that takes the SSD columns by
name ignores them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Answer, Response, stored_value
from ..questionnaires.snapshot import snapshot_of

SSD_COLUMNS = ["voch_table_id", "voch_person_id", "voch_explained_worries",
               "voch_story_help_understand", "voch_agree_worker", "voch_plan_safe",
               "voch_tablet_help_explain"]
OUR_COLUMNS = ["vp_submitted_on", "vp_questionnaire", "vp_plan_kind"]
COLUMNS = SSD_COLUMNS + OUR_COLUMNS

#: SSD item -> the indicator whose question answers it (None: viewpoint does not ask it).
FROM_INDICATOR: dict[str, str | None] = {
    "voch_explained_worries": "understands_decisions",
    "voch_story_help_understand": None,
    "voch_agree_worker": None,
    "voch_plan_safe": None,
    "voch_tablet_help_explain": None,
}
_YES_NO = {"yes": "Y", "no": "N"}


def _row(session: Session, response: Response) -> dict[str, str]:
    snapshot = snapshot_of(session, response.questionnaire_version_id)
    by_indicator = {question["indicator"]: question["key"] for question in snapshot.questions
                    if question.get("indicator")}
    answers = {answer.question_key: answer for answer in session.scalars(
        select(Answer).where(Answer.response_id == response.id))}
    row = {"voch_table_id": f"vp-{response.id}", "voch_person_id": response.child.reference,
           "vp_submitted_on": f"{response.submitted_at:%Y-%m-%d}",
           "vp_questionnaire": response.questionnaire_key,
           "vp_plan_kind": response.plan.kind.value}
    for item, indicator in FROM_INDICATOR.items():
        key = by_indicator.get(indicator) if indicator else None
        answer = answers.get(key) if key else None
        value: Any = stored_value(answer.value) if answer is not None and not answer.declined \
            else None
        row[item] = _YES_NO.get(value, "") if isinstance(value, str) else ""
    return row


def rows(session: Session, responses: Iterable[Response]) -> Iterator[dict[str, str]]:
    for response in responses:
        yield _row(session, response)


def sent_responses(session: Session, condition: Any) -> list[Response]:
    """Sent responses meeting ``condition``, oldest first."""
    return list(session.scalars(
        select(Response).where(Response.submitted_at.is_not(None), condition)
        .order_by(Response.submitted_at, Response.id)
        .options(selectinload(Response.child), selectinload(Response.plan))))


def as_csv(session: Session, responses: Iterable[Response]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows(session, responses))
    return out.getvalue()
