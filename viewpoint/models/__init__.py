"""The data model. Import models from here; each aggregate lives in its own module."""

from .alert import Alert, AlertSource
from .audit import AuditEvent, AuditLogIsAppendOnly
from .base import Base, utcnow
from .child import (
    PLANS_WITH_PLACEMENT,
    Child,
    EthnicityGroup,
    Gender,
    PlacementType,
    Plan,
    PlanKind,
    Review,
)
from .invitation import Invitation, InvitationState
from .questionnaire import QuestionnaireVersion
from .response import Answer, HelpedBy, Response
from .staff import Role, Team, User, normalise_email
from .throttle import RateLimitBucket

__all__ = [
    "PLANS_WITH_PLACEMENT", "Alert", "AlertSource", "Answer", "AuditEvent",
    "AuditLogIsAppendOnly", "Base", "Child", "EthnicityGroup", "Gender", "HelpedBy",
    "Invitation", "InvitationState", "PlacementType", "Plan", "PlanKind",
    "QuestionnaireVersion", "RateLimitBucket", "Response", "Review", "Role", "Team", "User",
    "normalise_email",
    "utcnow",
]
