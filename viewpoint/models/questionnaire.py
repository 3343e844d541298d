"""Questionnaires: the council's definitions (versions it drafts, publishes and retires),
their words in other languages, the indicators they feed, and snapshots of exactly what
each child was served."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, LabelledEnum, enum_column, utcnow
from .staff import User


class DefinitionStatus(LabelledEnum):
    """Where a version of a questionnaire is in its life."""

    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"

    __labels__ = {"draft": _l("Draft"), "published": _l("Published"), "retired": _l("Retired")}


class QuestionnaireDefinition(Base):
    """One version of a questionnaire, as the council's authors wrote it.

    ``source`` is the definition in the form ``questionnaires/FORMAT.md`` documents (the
    shipped YAML files are the starting set). A draft may be changed; publishing checks it
    as ``viewpoint questionnaires check`` does and freezes it: a published version is never
    changed again, only retired when a newer one is published. At most one version of a
    questionnaire is published at a time.
    """

    __tablename__ = "questionnaire_definition"
    __table_args__ = (
        UniqueConstraint("questionnaire_key", "version"),
        # The one published version of each questionnaire.
        Index("uq_questionnaire_definition_published", "questionnaire_key", unique=True,
              sqlite_where=text("status = 'published'"),
              postgresql_where=text("status = 'published'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The questionnaire's id ("before-care-review"); every version shares it.
    questionnaire_key: Mapped[str] = mapped_column(String(64), index=True)
    #: 1, 2, 3 ... in the order versions were started.
    version: Mapped[int]
    #: draft, published or retired.
    status: Mapped[DefinitionStatus] = mapped_column(
        enum_column(DefinitionStatus, "definition_status"))
    #: The definition itself (see ``questionnaires/FORMAT.md``).
    source: Mapped[dict[str, Any]]
    #: Where it came from: "shipped" (the definitions that come with viewpoint), "editor",
    #: "xlsform" (an uploaded workbook) or "copy" (a new draft of an earlier version).
    origin: Mapped[str] = mapped_column(String(16))
    #: What changed in this version, in the author's words.
    note: Mapped[str] = mapped_column(Text, default="")
    #: Who started it, and when; who last changed the draft, and when.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Who published it, and when; when it was retired.
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    published_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    def __repr__(self) -> str:
        return f"<QuestionnaireDefinition {self.questionnaire_key} v{self.version} {self.status}>"


class IndicatorDefinition(Base):
    """An indicator the council added (the shipped ones are in ``indicators.yaml``).

    Its label is what the dashboards say it measures; once a published questionnaire feeds
    it, the label is never changed, so a dashboard never mixes two meanings.
    """

    __tablename__ = "indicator_definition"

    #: Its id, lower-case letters, digits and _ ("back_from_missing").
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: What the dashboards call it ("Feel safe when they come back").
    label: Mapped[str] = mapped_column(String(200))
    #: The dashboard group it is shown in (safety, voice, relationships, ...).
    theme: Mapped[str] = mapped_column(String(32))
    #: Who added it, and when.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuestionnaireText(Base):
    """A council questionnaire's words in one language, as a translator gave them.

    Matched like a gettext message: by the questionnaire, the language, the context naming
    the text ("back-home/safe_now/yes") and the English it translates, so a translation
    carries over to later versions for as long as the English is the same. Shipped
    questionnaires are translated in the app's own catalogs instead.
    """

    __tablename__ = "questionnaire_text"
    __table_args__ = (UniqueConstraint("questionnaire_key", "language", "context", "english"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_key: Mapped[str] = mapped_column(String(64))
    #: The language code ("ur").
    language: Mapped[str] = mapped_column(String(16))
    #: Which text it is: questionnaire/question[/option][/part].
    context: Mapped[str] = mapped_column(String(200))
    #: The English it translates.
    english: Mapped[str] = mapped_column(Text)
    #: The words in the language.
    text: Mapped[str] = mapped_column(Text)
    #: A draft until a qualified reviewer approves it; children are shown drafts (better
    #: than words they may not read) and staff see which are drafts.
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    #: Who gave it, and when.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


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
