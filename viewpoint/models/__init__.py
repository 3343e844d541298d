"""The data model. Import models from here; each aggregate lives in its own module."""

from .alert import Alert, AlertSource
from .audit import AuditChain, AuditEvent, AuditLogIsAppendOnly
from .base import Base, LabelledEnum, utcnow
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
from .dashboard import (
    CoverageTotal,
    DashboardEntry,
    IndicatorTotal,
    PublishedCoverage,
    PublishedIndicator,
    Release,
    ReviewCoverage,
)
from .feedback import Feedback
from .invitation import Invitation, InvitationState
from .outbox import OutboxMessage
from .questionnaire import (
    DefinitionStatus,
    IndicatorDefinition,
    QuestionnaireDefinition,
    QuestionnaireText,
    QuestionnaireVersion,
)
from .response import Answer, AnswerSequence, HelpedBy, Response, store_value, stored_value
from .retention import AnswerNote, LegalHold, RetentionRule
from .service import ServiceAccount, WebhookDelivery, WebhookSubscription
from .staff import RecoveryCode, Role, StaffSession, Team, User, normalise_email
from .throttle import RateLimitBucket

__all__ = [
    "PLANS_WITH_PLACEMENT", "Alert", "AlertSource", "Answer", "AnswerNote", "AuditChain",
    "LegalHold", "RetentionRule", "AnswerSequence", "AuditEvent",
    "AuditLogIsAppendOnly", "Base", "Child", "CoverageTotal", "DashboardEntry",
    "EthnicityGroup", "Feedback", "Gender", "HelpedBy", "IndicatorTotal", "Invitation",
    "PublishedCoverage", "PublishedIndicator", "Release",
    "InvitationState", "LabelledEnum", "OutboxMessage", "PlacementType", "Plan", "PlanKind",
    "DefinitionStatus", "IndicatorDefinition", "QuestionnaireDefinition",
    "QuestionnaireText", "QuestionnaireVersion", "RateLimitBucket", "RecoveryCode",
    "Response", "Review",
    "ReviewCoverage", "Role", "ServiceAccount",
    "StaffSession", "Team", "User", "WebhookDelivery", "WebhookSubscription",
    "normalise_email",
    "store_value",
    "stored_value",
    "utcnow",
]
