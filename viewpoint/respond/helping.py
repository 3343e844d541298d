"""What a child's pages say about who helps them: the band they answer in (so the right
helplines and the right first words), and whether their worker is a personal adviser.

Care leavers (a pathway plan) have a personal adviser, not a social worker; the youngest
answer by picture, so their welcome says how.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..extensions import db
from ..i18n import translate_in_context
from ..models import PlanKind
from ..models.base import utcnow
from ..operations import answers as services
from ..operations.invitations import band_for
from ..questionnaires.definition import BANDS, Band
from ..questionnaires.helplines import Helpline, for_band
from ..questionnaires.library import served
from .session import Respondent


@dataclass(frozen=True)
class Helpers:
    """Who the child's pages name, and what help they point to."""

    band: Band | None
    #: The questionnaire's introduction for the child's band, in the page's language.
    intro: str | None
    helplines: list[Helpline]
    #: A care leaver: their worker is a personal adviser.
    adviser: bool


def helpers_for(respondent: Respondent | None) -> Helpers:
    """The band, introduction, helplines and kind of worker for the signed-in child (the
    defaults for a child not yet signed in: every band's first helpline)."""
    if respondent is None:
        return Helpers(None, None, for_band(None, None), adviser=False)
    adviser = respondent.invitation.review.plan.kind is PlanKind.PATHWAY_PLAN
    if respondent.response is not None:
        snapshot = services.snapshot(db.session, respondent.response, respondent.digest)
        intro = snapshot.intro["text"] if snapshot.intro else None
        return Helpers(snapshot.band_rules, intro,
                       for_band({snapshot.band: tuple(snapshot.help)}, snapshot.band), adviser)
    questionnaire = served().get(
        respondent.invitation.questionnaire_key)
    if questionnaire is None:
        return Helpers(None, None, for_band(None, None), adviser)
    band = respondent.invitation.band or band_for(respondent.child, questionnaire,
                                                  utcnow().date())
    intro = (translate_in_context(questionnaire.intro.context, questionnaire.intro.for_band(band))
             if questionnaire.intro else None)
    return Helpers(BANDS.get(band), intro, for_band(questionnaire.help, band), adviser)
