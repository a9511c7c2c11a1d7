"""The append-only audit log, hash-chained after commit."""

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.models import AuditEntry, AuditSealState
from app.core import fastpath
from app.core.context import current_request_id
from app.core.db import commit, utcnow
from app.core.pagination import paginate
from app.core.permissions import Capability, require
from app.core.security import Principal

SEAL_BATCH = 1000


def record(
    session: AsyncSession,
    principal: Principal | None,
    *,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    on_behalf_of_id: str | None = None,
) -> None:
    """Add an audit row to the command's transaction (never commits)."""
    # SQLModel sets `__table__` on table classes but does not declare it.
    fastpath.append(session, AuditEntry.__table__, {  # type: ignore[attr-defined]
        "occurred_at": utcnow(),
        "actor_id": principal.sub if principal else "system",
        "on_behalf_of_id": on_behalf_of_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
        "request_id": current_request_id(),
    })


# The columns an entry's hash covers besides its chain position: the sealer and every
# verification read exactly these, as plain rows.
HASHED_COLUMNS = ("id", "occurred_at", "actor_id", "on_behalf_of_id", "action", "entity_type",
                  "entity_id", "before", "after", "request_id")


def row_hash(row: Mapping[Any, Any], *, seq: int, prev_hash: str | None) -> str:
    """SHA-256 over an entry's content (`HASHED_COLUMNS` of a row or mapping), its chain
    position and the previous hash, serialised canonically (sorted keys, no spaces)."""
    payload = {column: row[column] for column in HASHED_COLUMNS}
    payload["occurred_at"] = payload["occurred_at"].isoformat()
    payload["seq"], payload["prev_hash"] = seq, prev_hash
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def entry_hash(entry: AuditEntry, *, seq: int, prev_hash: str | None) -> str:
    """`row_hash` of an ORM entry."""
    return row_hash({column: getattr(entry, column) for column in HASHED_COLUMNS},
                    seq=seq, prev_hash=prev_hash)


def hashed_columns() -> list[Any]:
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    return [table.c[column] for column in HASHED_COLUMNS]


async def seal_pending(session: AsyncSession, *, batch: int = SEAL_BATCH) -> int:
    """Chain committed, unsealed entries in id order; returns how many were sealed.

    The seal-state row is the only lock, and only sealers take it: a sealer that finds
    it held by another simply returns (SKIP LOCKED), so writers never wait on it.
    """
    state = (
        await session.execute(
            select(AuditSealState).where(col(AuditSealState.id) == 1)
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()
    if state is None:
        await session.rollback()
        return 0
    rows = (
        await session.execute(
            select(*hashed_columns()).where(col(AuditEntry.seq).is_(None))
            .order_by(col(AuditEntry.id)).limit(batch)
        )
    ).mappings().all()
    if not rows:
        await session.rollback()
        return 0
    seq, prev_hash = state.last_seq, state.last_hash
    updates = []
    for row in rows:
        seq += 1
        digest = row_hash(row, seq=seq, prev_hash=prev_hash)
        updates.append({"id": row["id"], "seq": seq, "prev_hash": prev_hash, "hash": digest})
        prev_hash = digest
    await session.execute(update(AuditEntry), updates)
    state.last_seq, state.last_hash, state.sealed_at = seq, prev_hash, utcnow()
    await commit(session)
    return len(updates)


async def list_entries(
    session: AsyncSession, principal: Principal, *, entity_type: str | None,
    entity_id: str | None, actor_id: str | None, action: str | None, limit: int,
    cursor: str | None,
) -> tuple[list[AuditEntry], str | None]:
    """Newest first."""
    require(principal, Capability.audit_read)
    statement = select(AuditEntry)
    if entity_type is not None:
        statement = statement.where(col(AuditEntry.entity_type) == entity_type)
    if entity_id is not None:
        statement = statement.where(col(AuditEntry.entity_id) == entity_id)
    if actor_id is not None:
        statement = statement.where(col(AuditEntry.actor_id) == actor_id)
    if action is not None:
        statement = statement.where(col(AuditEntry.action) == action)
    return await paginate(session, statement, keys=[AuditEntry.id], limit=limit, cursor=cursor,
                          descending=True)
