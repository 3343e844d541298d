"""Fixtures shared by the view tests."""

from __future__ import annotations

import pytest

from tests.factories import make_child
from viewpoint.models import PlanKind
from viewpoint.operations.invitations import issue_invitation


@pytest.fixture()
def invite(app, session):  # type: ignore[no-untyped-def]
    """invite(age=..., kind=..., band=...) -> (child, Issued)"""

    def _invite(age: int = 9, kind: PlanKind = PlanKind.CARE_PLAN, band: str | None = None,
                **kwargs: object):  # type: ignore[no-untyped-def]
        child = make_child(session, age=age, kind=kind, **kwargs)
        issued = issue_invitation(session, app.extensions["viewpoint.questionnaires"], child,
                                  band=band, offered_languages=("en",))
        session.commit()
        return child, issued

    return _invite
