"""Questionnaires sent to children, issued and cancelled by the case-management system.

Issuing goes through ``operations.invitations`` as the worker's page does: the same review
rules, the same questionnaire for the kind of plan, the same languages. The code is in the
reply that made it and nowhere else. A call sent again with the same ``Idempotency-Key``
(a retry after a lost reply) makes no second invitation: it answers with the first, without
its code, as the staff page does for a form sent twice; ask for a new code if it was lost.
"""

from __future__ import annotations

import hashlib

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import available_languages
from ..models import Child, Invitation, InvitationState, Review
from ..operations.invitations import (
    InvitationError,
    cancel_invitation,
    issue_invitation,
    reissue_code,
)
from ..problems import FieldError, Problem
from ..questionnaires import Catalogue
from ..questionnaires.library import served
from . import bp, shapes
from .access import about_child, account, needs, visible_to_token
from .paging import page
from .records import visible_child
from .schemas import read_body

IDEMPOTENCY_KEY_MAX = 200


def _catalogue() -> Catalogue:
    return served()


def _request_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not key.strip() or len(key) > IDEMPOTENCY_KEY_MAX:
        raise Problem("invalid-request", "An Idempotency-Key is 1 to 200 characters.",
                      [FieldError("#/header/Idempotency-Key", "Empty or too long.")])
    digest = hashlib.sha256(f"{account().id}\0{key}".encode("utf-8", "surrogatepass"))
    return "api:" + digest.hexdigest()[:60]


def _query():  # type: ignore[no-untyped-def]
    return select(Invitation).join(Child).where(visible_to_token()).options(
        selectinload(Invitation.child), selectinload(Invitation.review))


def _visible(invitation_id: int) -> Invitation:
    found = db.session.scalar(_query().where(Invitation.id == invitation_id))
    if found is None:
        raise Problem("not-found", "There is no invitation with this id that this token may "
                      "see.")
    about_child(found.child)
    return found


@bp.get("/invitations")
@needs("invitations:read")
def invitations():  # type: ignore[no-untyped-def]
    query = _query()
    state = request.args.get("state")
    if state is not None:
        if state not in {member.value for member in InvitationState}:
            raise Problem("invalid-request", "A query parameter is not of the documented form.",
                          [FieldError("#/query/state", "Not a state an invitation has.")])
        query = query.where(Invitation.state == InvitationState(state))
    return page(db.session, query, [Invitation.id], lambda row: [row.id], shapes.invitation)


@bp.get("/invitations/<int:invitation_id>")
@needs("invitations:read")
def invitation(invitation_id: int):  # type: ignore[no-untyped-def]
    return shapes.invitation(_visible(invitation_id))


@bp.post("/invitations")
@needs("invitations:write")
def issue():  # type: ignore[no-untyped-def]
    body = read_body("InvitationIn")
    key = _request_key()
    if key is not None:
        already = db.session.scalar(_query().where(Invitation.request_key == key))
        if already is not None:
            about_child(already.child)
            return shapes.invitation(already), 200
    child = visible_child(body["child_reference"], "#/child_reference")
    review = None
    if body.get("review_reference") is not None:
        review = db.session.scalar(select(Review).where(
            Review.reference == body["review_reference"]))
        if review is None or review.plan.child_id != child.id:
            raise Problem("not-found", "This child has no review with this reference.",
                          [FieldError("#/review_reference", "No such review.")])
    try:
        issued = issue_invitation(db.session, _catalogue(), child, review=review,
                                  language=body.get("language"), days=body.get("days"),
                                  offered_languages=available_languages(), request_key=key)
    except InvitationError as error:
        raise Problem("conflict", str(error)) from error
    return shapes.invitation(issued.invitation, issued.code), 201


@bp.post("/invitations/<int:invitation_id>/cancel")
@needs("invitations:write")
def cancel(invitation_id: int):  # type: ignore[no-untyped-def]
    found = _visible(invitation_id)
    if found.state is not InvitationState.CANCELLED:
        try:
            cancel_invitation(found)
        except InvitationError as error:
            raise Problem("conflict", str(error)) from error
    return shapes.invitation(found)


@bp.post("/invitations/<int:invitation_id>/new-code")
@needs("invitations:write")
def new_code(invitation_id: int):  # type: ignore[no-untyped-def]
    found = _visible(invitation_id)
    try:
        code = reissue_code(found)
    except InvitationError as error:
        raise Problem("conflict", str(error)) from error
    return shapes.invitation(found, code)
