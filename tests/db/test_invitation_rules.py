"""Whether a review can be sent a questionnaire is one rule, whichever way in asks.

The staff page, the child's record (its "Send questionnaire" button), the command line and
any later way in all go through ``operations.invitations``: a review that has been held, or
whose plan has ended, cannot be sent one, and staff are told why in their language.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_babel import force_locale

from tests.factories import make_child
from viewpoint.operations.invitations import InvitationError, issue_invitation, review_problem


def _catalogue(app):  # type: ignore[no-untyped-def]
    return app.extensions["viewpoint.questionnaires"]


def test_an_upcoming_review_on_an_open_plan_can_be_sent_a_questionnaire(app, session):  # type: ignore[no-untyped-def]
    child = make_child(session)
    review = child.plans[0].reviews[0]
    assert review.open_for_views and review_problem(review) is None
    issued = issue_invitation(session, _catalogue(app), child, review=review)
    assert issued.invitation.review_id == review.id


@pytest.mark.parametrize("closed_by", ["held", "plan_ended"])
def test_a_held_review_or_an_ended_plan_refuses_an_invitation_however_it_is_asked(  # type: ignore[no-untyped-def]
        app, session, closed_by):
    child = make_child(session)
    review = child.plans[0].reviews[0]
    if closed_by == "held":
        review.held_on = date.today()
    else:
        child.plans[0].ended_on = date.today() - timedelta(days=1)
    session.flush()
    assert not review.open_for_views
    assert review_problem(review) is not None
    with pytest.raises(InvitationError) as refused:
        issue_invitation(session, _catalogue(app), child, review=review)
    assert str(refused.value) == review_problem(review)


def test_invitation_problems_are_told_in_the_staff_members_language(app, session):  # type: ignore[no-untyped-def]
    child = make_child(session)
    review = child.plans[0].reviews[0]
    with app.test_request_context("/casework/"):
        with force_locale("en"), pytest.raises(InvitationError) as english:
            issue_invitation(session, _catalogue(app), child, review=review,
                             questionnaire_id="no-such-questionnaire")
        with force_locale("cy"), pytest.raises(InvitationError) as welsh:
            issue_invitation(session, _catalogue(app), child, review=review,
                             questionnaire_id="no-such-questionnaire")
    assert "no-such-questionnaire" in str(english.value)
    assert "no-such-questionnaire" in str(welsh.value)
    assert str(english.value) != str(welsh.value)


def test_every_way_of_sending_reissuing_or_cancelling_a_code_is_on_the_audit_trail(  # type: ignore[no-untyped-def]
        app, session):
    from sqlalchemy import select

    from viewpoint.models import AuditEvent
    from viewpoint.operations.invitations import cancel_invitation, reissue_code

    child = make_child(session)
    # No page and nobody signed in: the command line's way in (`viewpoint invite`).
    issued = issue_invitation(session, _catalogue(app), child)
    reissue_code(issued.invitation)
    cancel_invitation(issued.invitation)
    session.flush()
    trail = [(event.action, event.child_id, event.subject_id, event.actor_id)
             for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert trail == [(action, child.id, issued.invitation.id, None) for action in (
        "invitation.issued", "invitation.reissued", "invitation.cancelled")]
