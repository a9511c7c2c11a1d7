from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class Event(SQLModel, table=True):
    """Outbox row: written in the same transaction as the change it describes."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_subject", "subject", "id"),)

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    event_id: str = Field(max_length=40, unique=True)
    type: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=96)
    data: dict[str, Any] = Field(sa_type=JSON)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: str | None = Field(default=None, max_length=128)
    request_id: str | None = Field(default=None, max_length=128)
