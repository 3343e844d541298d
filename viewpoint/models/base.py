"""The declarative base, the constraint naming convention and shared column types."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Enum, MetaData, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

#: Named constraints make migrations reproducible on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in time, stored as UTC and always read back timezone-aware.

    SQLite has no time zones; without this a value would come back naive there
    and aware on PostgreSQL, and comparisons would break on one of them.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: JSON that is indexed and compact on PostgreSQL, plain text on SQLite.
JSONValue = JSON().with_variant(JSONB(), "postgresql")


class LabelledEnum(enum.StrEnum):
    """An enum whose every member has words people read, kept here once beside the values.

    A subclass sets ``__labels__`` (value -> lazily translated label) in its body; pages,
    forms, PDFs and the dashboards all read ``member.label``.
    """

    __labels__: ClassVar[Mapping[str, Any]] = {}

    @property
    def label(self) -> str:
        """The member's label, translated into the request's language."""
        return str(type(self).__labels__[self.value])

    @classmethod
    def labelled(cls) -> list[tuple[str, Any]]:
        """(value, label) for every member in order, the labels still lazy (translated when
        shown): the choices of a form's list, made once at import."""
        return [(member.value, cls.__labels__[member.value]) for member in cls]


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    """A string column limited to an enum's values by a named CHECK constraint."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONValue}
