"""Snapshots of questionnaires exactly as they were served."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class QuestionnaireVersion(Base):
    """One questionnaire, for one age band, in one language, word for word.

    Definitions and translations change; a stored response must go on showing
    the wording the child actually saw. A snapshot is made the first time a
    given wording is served and shared by every response that saw the same
    wording (identified by ``digest``).
    """

    __tablename__ = "questionnaire_version"
    __table_args__ = (Index("ix_questionnaire_version_key_band_language",
                            "questionnaire_key", "band", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The definition's id ("before-care-review").
    questionnaire_key: Mapped[str] = mapped_column(String(64))
    #: Age band served ("4-7", "8-11", "12-17", "16-25").
    band: Mapped[str] = mapped_column(String(8))
    #: Language the child saw it in.
    language: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of ``content``, so the same wording is stored once.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: Every question and option as served, with the English beside it for staff.
    content: Mapped[dict[str, Any]]
    #: When this wording was first served.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<QuestionnaireVersion {self.questionnaire_key} {self.band} {self.language}>"
