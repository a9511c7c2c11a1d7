from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    """One write: who, on behalf of whom, when, what changed, in which request.

    Rows are inserted by the command's transaction with no hash; the sealer later gives
    each a chain position (`seq`) in commit order and the hash linking it to the previous
    entry, so writers never queue on one global lock.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity_type", "entity_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: str = Field(max_length=128)
    on_behalf_of_id: str | None = Field(default=None, max_length=128)
    action: str = Field(max_length=64, index=True)
    entity_type: str = Field(max_length=64)
    entity_id: str = Field(max_length=64)
    # SQL NULL, not JSON 'null', for "no state" (creation has no before, deletion no after).
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    request_id: str | None = Field(default=None, max_length=128)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True, nullable=True))
    prev_hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    hash: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class AuditSealState(SQLModel, table=True):
    """The head of the hash chain (one row), so removing the newest entries is detectable."""

    __tablename__ = "audit_seal_state"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = Field(default=0, sa_type=BigInteger)
    last_hash: str | None = Field(default=None, max_length=64)
    sealed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditCheckpoint(SQLModel, table=True):
    """How far the chain is known to be intact (one row), and the outcome of the last full
    check.

    `GET /audit-log/verify` recomputes only what was sealed after `verified_seq`, so it
    costs the entries since the last verification, not the whole log. An entry altered at
    or before the checkpoint is found only by the full check, which the worker runs on a
    schedule and `salesflow audit verify --full` runs on demand; it records its outcome here
    and moves the checkpoint back before any break it finds.
    """

    __tablename__ = "audit_checkpoint"

    id: int = Field(default=1, primary_key=True)
    verified_seq: int = Field(default=0, sa_type=BigInteger)
    verified_hash: str | None = Field(default=None, max_length=64)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verified_by: str | None = Field(default=None, max_length=128)
    # Taken by the worker that runs the scheduled full check, so only one of them does.
    full_check_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    full_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    full_check_by: str | None = Field(default=None, max_length=128)
    full_check_valid: bool | None = None
    full_check_entries: int | None = Field(default=None, sa_type=BigInteger)
    full_check_invalid_seq: int | None = Field(default=None, sa_type=BigInteger)
    full_check_problem: str | None = Field(default=None, max_length=200)
