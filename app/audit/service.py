"""The append-only audit log, hash-chained after commit."""

import hashlib
import json
from typing import Any

from pydantic import BaseModel
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


def entry_hash(entry: AuditEntry, *, seq: int, prev_hash: str | None) -> str:
    """SHA-256 over the entry's content, its chain position and the previous hash."""
    payload = {
        "seq": seq,
        "prev_hash": prev_hash,
        "id": entry.id,
        "occurred_at": entry.occurred_at.isoformat(),
        "actor_id": entry.actor_id,
        "on_behalf_of_id": entry.on_behalf_of_id,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
        "request_id": entry.request_id,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    entries = (
        await session.execute(
            select(AuditEntry).where(col(AuditEntry.seq).is_(None))
            .order_by(col(AuditEntry.id)).limit(batch)
        )
    ).scalars().all()
    if not entries:
        await session.rollback()
        return 0
    seq, prev_hash = state.last_seq, state.last_hash
    updates = []
    for entry in entries:
        seq += 1
        digest = entry_hash(entry, seq=seq, prev_hash=prev_hash)
        updates.append({"id": entry.id, "seq": seq, "prev_hash": prev_hash, "hash": digest})
        prev_hash = digest
    await session.execute(update(AuditEntry), updates)
    state.last_seq, state.last_hash, state.sealed_at = seq, prev_hash, utcnow()
    await commit(session)
    return len(updates)


class ChainVerification(BaseModel):
    valid: bool
    entries_checked: int
    head_seq: int
    head_hash: str | None
    first_invalid_seq: int | None = None
    problem: str | None = None


async def verify_chain(session: AsyncSession) -> ChainVerification:
    """Recompute every hash in chain order and compare the end with the recorded head."""
    state = await session.get(AuditSealState, 1)
    head_seq = state.last_seq if state else 0
    head_hash = state.last_hash if state else None
    expected_seq, prev_hash, checked = 1, None, 0

    def broken(seq: int, problem: str) -> ChainVerification:
        return ChainVerification(valid=False, entries_checked=checked, head_seq=head_seq,
                                 head_hash=head_hash, first_invalid_seq=seq, problem=problem)

    after = 0
    while True:
        entries = (
            await session.execute(
                select(AuditEntry).where(col(AuditEntry.seq) > after)
                .order_by(col(AuditEntry.seq)).limit(SEAL_BATCH)
            )
        ).scalars().all()
        if not entries:
            break
        for entry in entries:
            assert entry.seq is not None
            if entry.seq != expected_seq:
                return broken(expected_seq, f"entry {expected_seq} of the chain is missing")
            if entry.prev_hash != prev_hash:
                return broken(entry.seq, "the link to the previous entry does not match")
            if entry.hash != entry_hash(entry, seq=entry.seq, prev_hash=prev_hash):
                return broken(entry.seq, "the entry's content does not match its hash")
            prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
        after = entries[-1].seq or 0
        session.expunge_all()
    if checked != head_seq or prev_hash != head_hash:
        return broken(checked + 1, "entries after the last one found have been removed")
    return ChainVerification(valid=True, entries_checked=checked, head_seq=head_seq,
                             head_hash=head_hash)


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


async def verify(session: AsyncSession, principal: Principal) -> ChainVerification:
    require(principal, Capability.audit_read)
    # Seal what has committed so far, so the answer covers every entry up to now.
    while await seal_pending(session):
        pass
    return await verify_chain(session)
