from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class Event(SQLModel, table=True):
    """Outbox row: written in the same transaction as the change it describes.

    `position` (the feed order) and `sequence` (the order within the subject) are given by
    the sequencer after commit, in commit order, so a reader paging by position never
    skips an event that committed late, as it could when paging by id.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_subject", "subject", "id"),
        UniqueConstraint("subject", "sequence"),
        # The sequencer's work list: small, since rows leave it within moments.
        Index("ix_event_unsequenced", "id", sqlite_where=text("position IS NULL"),
              postgresql_where=text("position IS NULL")),
        Index("ix_event_occurred_at", "occurred_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    event_id: str = Field(max_length=40, unique=True)
    type: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=96)
    data: dict[str, Any] = Field(sa_type=JSON)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: str | None = Field(default=None, max_length=128)
    request_id: str | None = Field(default=None, max_length=128)
    position: int | None = Field(default=None, sa_column=Column(
        BigInteger, unique=True, nullable=True))
    sequence: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))


class EventSubject(SQLModel, table=True):
    """The last sequence number given in each subject; kept when old events are purged, so
    numbers never restart."""

    __tablename__ = "event_subject"

    subject: str = Field(primary_key=True, max_length=96)
    last_sequence: int = Field(default=0)


class EventSequencerState(SQLModel, table=True):
    """One row: the last position given. Its lock is the sequencer's (one at a time)."""

    __tablename__ = "event_sequencer_state"

    id: int = Field(default=1, primary_key=True)
    last_position: int = Field(default=0, sa_type=BigInteger)
