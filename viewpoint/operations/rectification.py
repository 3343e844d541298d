"""Putting a child's record right without rewriting what the child said: a note beside an
answer (the answer itself is never changed: it is the child's own words), and erasing the
whole record where the law allows (``retention.erase_child``). Correcting the child's
details is an ordinary edit (``children.update_child``), audited with what changed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from .. import audit
from ..models import AnswerNote, Response, User
from . import Refusal

#: The longest note.
NOTE_LENGTH = 2000


def add_answer_note(session: Session, response: Response, question_key: str, body: str,
                    by: User) -> AnswerNote:
    """Add ``by``'s note beside the child's answer to ``question_key``.

    Raises :class:`Refusal` for an empty or overlong note, or a question the response's
    questionnaire did not ask.
    """
    body = body.strip()
    if not body:
        raise Refusal(str(_l("Write the note.")), "body")
    if len(body) > NOTE_LENGTH:
        raise Refusal(str(_l("Keep the note under %(most)s characters.", most=NOTE_LENGTH)),
                      "body")
    asked = {question["key"] for question in
             response.questionnaire_version.content.get("questions", [])}
    if question_key not in asked:
        raise Refusal(str(_l("That question is not in this questionnaire.")))
    note = AnswerNote(response_id=response.id, question_key=question_key, body=body,
                      written_by_id=by.id)
    session.add(note)
    session.flush()
    audit.record("answer.noted", child_id=response.child_id, subject=response, actor=by,
                 session=session, detail={"question": question_key})
    return note
