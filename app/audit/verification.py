"""Verifying the audit hash chain: quickly from the verified checkpoint, fully on a schedule.

The quick verification (`GET /audit-log/verify`, `salesflow audit verify`) recomputes only
the entries sealed after the checkpoint, linking the first of them to the checkpoint's
hash, and then moves the checkpoint to the head. It cannot see an entry altered at or
before the checkpoint: only the full check (`salesflow audit verify --full`, and the worker
every `SALESFLOW_AUDIT_FULL_CHECK_HOURS`) recomputes the chain from its first entry. A full
check that finds a break moves the checkpoint back to the entry before it, so every later
quick verification reports the break too.

Both read plain rows in keyset batches of the chain position, never ORM objects.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import BaseModel, Field
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit.models import AuditCheckpoint, AuditEntry, AuditSealState
from app.audit.service import hashed_columns, row_hash, seal_pending
from app.core.db import commit, utcnow
from app.core.permissions import Capability, require
from app.core.security import Principal

VERIFY_BATCH = 10_000
# Told (entries checked so far, entries to check) after each batch.
Progress = Callable[[int, int], None]


class FullCheckOutcome(BaseModel):
    checked_at: datetime
    checked_by: str
    valid: bool
    entries_checked: int
    first_invalid_seq: int | None = None
    problem: str | None = None


class ChainVerification(BaseModel):
    valid: bool
    entries_checked: int = Field(description="Entries recomputed by this verification: those "
                                             "sealed after `from_seq`")
    head_seq: int
    head_hash: str | None
    first_invalid_seq: int | None = None
    problem: str | None = None
    from_seq: int = Field(0, description="The verified checkpoint this verification started "
                                         "from; 0 when it recomputed the whole chain")
    checkpoint_seq: int = Field(0, description="The verified checkpoint afterwards")
    checkpoint_at: datetime | None = None
    last_full_check: FullCheckOutcome | None = Field(None, description=(
        "The last full check, the only one that finds an entry altered at or before the "
        "checkpoint; null until one has run"))


@dataclass
class _Walk:
    last_seq: int
    last_hash: str | None
    checked: int = 0
    first_invalid_seq: int | None = None
    problem: str | None = None

    @property
    def valid(self) -> bool:
        return self.problem is None

    def broken(self, seq: int, problem: str) -> "_Walk":
        self.first_invalid_seq, self.problem = seq, problem
        return self


async def verify(session: AsyncSession, principal: Principal) -> ChainVerification:
    require(principal, Capability.audit_read)
    # Seal what has committed so far, so the answer covers every entry up to now.
    while await seal_pending(session):
        pass
    return await verify_since_checkpoint(session, by=principal.sub)


async def verify_since_checkpoint(session: AsyncSession, *, by: str, batch: int = VERIFY_BATCH,
                                  progress: Progress | None = None) -> ChainVerification:
    """Recompute the entries sealed after the checkpoint and move the checkpoint to the head,
    or to the last good entry before a break."""
    start = await _checkpoint(session)
    # Read before the checkpoint row is re-read: the re-read refreshes the same ORM object.
    from_seq, from_hash = start.verified_seq, start.verified_hash
    head_seq, head_hash = await _head(session)
    walk = await _walk(session, from_seq=from_seq, from_hash=from_hash,
                       head_seq=head_seq, head_hash=head_hash, batch=batch, progress=progress)
    moved = walk.last_seq > from_seq
    if moved:
        # Only forward, and only from where this walk started: two verifications may finish
        # in any order, and a full check may have moved the checkpoint back meanwhile.
        await session.execute(
            update(AuditCheckpoint)
            .where(col(AuditCheckpoint.id) == 1,
                   col(AuditCheckpoint.verified_seq) >= from_seq,
                   col(AuditCheckpoint.verified_seq) < walk.last_seq)
            .values(verified_seq=walk.last_seq, verified_hash=walk.last_hash,
                    verified_at=utcnow(), verified_by=by)
            .execution_options(synchronize_session=False))
    await commit(session)
    checkpoint = await _checkpoint(session) if moved else start
    return _result(walk, head_seq, head_hash, from_seq, checkpoint)


async def full_check(
    session: AsyncSession, *, by: str, batch: int = VERIFY_BATCH,
    progress: Progress | None = None,
    on_break: Callable[[AsyncSession, ChainVerification], None] | None = None,
) -> ChainVerification:
    """Recompute the whole chain, record the outcome, and set the checkpoint to the head (or
    back to the last good entry before a break). `on_break` is called, in the transaction
    recording the outcome, for a break the last full check had not already found."""
    previous = await _checkpoint(session)
    head_seq, head_hash = await _head(session)
    walk = await _walk(session, from_seq=0, from_hash=None, head_seq=head_seq,
                       head_hash=head_hash, batch=batch, progress=progress)
    now = utcnow()
    await session.execute(
        update(AuditCheckpoint).where(col(AuditCheckpoint.id) == 1)
        .values(full_checked_at=now, full_check_by=by, full_check_valid=walk.valid,
                full_check_entries=walk.checked, full_check_invalid_seq=walk.first_invalid_seq,
                full_check_problem=walk.problem)
        .execution_options(synchronize_session=False))
    moved = update(AuditCheckpoint).values(
        verified_seq=walk.last_seq, verified_hash=walk.last_hash, verified_at=now,
        verified_by=by).execution_options(synchronize_session=False)
    if walk.valid:
        await session.execute(moved.where(col(AuditCheckpoint.id) == 1,
                                          col(AuditCheckpoint.verified_seq) < walk.last_seq))
    else:
        # The checkpoint may vouch for the broken entry: back to the last good one.
        await session.execute(moved.where(col(AuditCheckpoint.id) == 1))
    result = _result(walk, head_seq, head_hash, 0, None).model_copy(update={
        "last_full_check": FullCheckOutcome(
            checked_at=now, checked_by=by, valid=walk.valid, entries_checked=walk.checked,
            first_invalid_seq=walk.first_invalid_seq, problem=walk.problem)})
    already_known = (previous.full_check_valid is False
                     and previous.full_check_invalid_seq == walk.first_invalid_seq
                     and previous.full_check_problem == walk.problem)
    if not walk.valid and on_break is not None and not already_known:
        on_break(session, result)
    await commit(session)
    checkpoint = await _checkpoint(session)
    return result.model_copy(update={"checkpoint_seq": checkpoint.verified_seq,
                                     "checkpoint_at": checkpoint.verified_at})


async def claim_full_check(session: AsyncSession, *, now: datetime, every: timedelta) -> bool:
    """Whether the scheduled full check is due and this caller now holds it: the first of
    several workers to ask takes it, the others see it taken until `every` has passed."""
    result = cast(CursorResult[Any], await session.execute(
        update(AuditCheckpoint)
        .where(col(AuditCheckpoint.id) == 1,
               or_(col(AuditCheckpoint.full_check_started_at).is_(None),
                   col(AuditCheckpoint.full_check_started_at) <= now - every))
        .values(full_check_started_at=now).execution_options(synchronize_session=False)))
    await commit(session)
    return result.rowcount == 1


async def _walk(session: AsyncSession, *, from_seq: int, from_hash: str | None, head_seq: int,
                head_hash: str | None, batch: int, progress: Progress | None) -> _Walk:
    """Recompute entries from_seq+1 .. head_seq in chain order, each linked to the one
    before; entries sealed after the head was read are left for the next verification."""
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    walk = _Walk(last_seq=from_seq, last_hash=from_hash)
    if from_seq:
        # The entry the checkpoint vouches for must still be the one verified.
        anchor = await session.scalar(select(table.c.hash).where(table.c.seq == from_seq))
        if anchor != from_hash:
            return walk.broken(from_seq, "the entry at the verified checkpoint was altered or "
                                         "removed")
    columns = [table.c.seq, table.c.prev_hash, table.c.hash, *hashed_columns()]
    expected = from_seq + 1
    while expected <= head_seq:
        rows = (await session.execute(
            select(*columns).where(table.c.seq >= expected, table.c.seq <= head_seq)
            .order_by(table.c.seq).limit(batch))).mappings().all()
        if not rows:
            break
        for row in rows:
            seq = row["seq"]
            if seq != expected:
                return walk.broken(expected, f"entry {expected} of the chain is missing")
            if row["prev_hash"] != walk.last_hash:
                return walk.broken(seq, "the link to the previous entry does not match")
            if row["hash"] != row_hash(row, seq=seq, prev_hash=walk.last_hash):
                return walk.broken(seq, "the entry's content does not match its hash")
            walk.last_seq, walk.last_hash, expected = seq, row["hash"], seq + 1
            walk.checked += 1
        if progress is not None:
            progress(walk.checked, max(head_seq - from_seq, walk.checked))
    if walk.last_seq != head_seq or walk.last_hash != head_hash:
        return walk.broken(walk.last_seq + 1, "entries after the last one found have been "
                                              "removed")
    return walk


async def _checkpoint(session: AsyncSession) -> AuditCheckpoint:
    # A fresh read each time: another verification may have moved it.
    checkpoint = (await session.execute(
        select(AuditCheckpoint).where(col(AuditCheckpoint.id) == 1)
        .execution_options(populate_existing=True))).scalar_one()
    return checkpoint


async def _head(session: AsyncSession) -> tuple[int, str | None]:
    state = await session.get(AuditSealState, 1, populate_existing=True)
    return (state.last_seq, state.last_hash) if state else (0, None)


def _full_check_outcome(checkpoint: AuditCheckpoint) -> FullCheckOutcome | None:
    if checkpoint.full_checked_at is None or checkpoint.full_check_valid is None:
        return None
    return FullCheckOutcome(
        checked_at=checkpoint.full_checked_at, checked_by=checkpoint.full_check_by or "",
        valid=checkpoint.full_check_valid, entries_checked=checkpoint.full_check_entries or 0,
        first_invalid_seq=checkpoint.full_check_invalid_seq,
        problem=checkpoint.full_check_problem)


def _result(walk: _Walk, head_seq: int, head_hash: str | None, from_seq: int,
            checkpoint: AuditCheckpoint | None) -> ChainVerification:
    return ChainVerification(
        valid=walk.valid, entries_checked=walk.checked, head_seq=head_seq, head_hash=head_hash,
        first_invalid_seq=walk.first_invalid_seq, problem=walk.problem, from_seq=from_seq,
        checkpoint_seq=checkpoint.verified_seq if checkpoint else walk.last_seq,
        checkpoint_at=checkpoint.verified_at if checkpoint else None,
        last_full_check=_full_check_outcome(checkpoint) if checkpoint else None)
