"""Background work, in two loops side by side:

- housekeeping: seal the audit chain, escalate overdue approval steps, expire quotes past
  their validity, and now and then forget expired idempotency keys and events and
  deliveries past their retention;
- webhook delivery: sequence committed events, fan them out, send what is due;

and, on its own schedule, the full check of the audit hash chain.

Runs in the API process on the embedded default, and as `salesflow worker` (any number of
them) in production."""

import asyncio
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import CursorResult, delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.approvals import sla
from app.audit import service as audit_service
from app.audit import verification as audit_verification
from app.complaints import overdue as complaint_overdue
from app.core.clock import Clock
from app.core.config import Settings
from app.core.db import commit
from app.core.idempotency import purge_expired
from app.core.security import Principal
from app.events import service as events
from app.events.changes import record_change
from app.quotes import expiry as quote_expiry
from app.receivables import overdue as receivable_overdue
from app.webhooks.dispatcher import Dispatcher
from app.webhooks.models import WebhookDeliveryStatus, WebhookDelivery

log = structlog.get_logger("salesflow.worker")
PURGE_EVERY_PASSES = 600
# How often a worker looks whether the scheduled full check of the audit chain is due.
AUDIT_CHECK_POLL_SECONDS = 60.0
CHAIN_CHECKER = Principal(sub="system:audit-verify", roles=frozenset(),
                          name="Audit chain check")


async def run_pass(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, *,
                   purge_ttl: timedelta | None = None,
                   retention: timedelta | None = None) -> dict[str, int]:
    done = {"audit_sealed": 0, "steps_escalated": 0, "quotes_expired": 0,
            "receivables_overdue": 0, "complaints_ack_overdue": 0,
            "idempotency_purged": 0, "events_purged": 0, "deliveries_purged": 0}
    async with sessionmaker() as session:
        while sealed := await audit_service.seal_pending(session):
            done["audit_sealed"] += sealed
    async with sessionmaker() as session:
        while escalated := await sla.sweep_overdue(session, now=clock()):
            done["steps_escalated"] += escalated
    async with sessionmaker() as session:
        while expired := await quote_expiry.sweep_expired(session, now=clock()):
            done["quotes_expired"] += expired
    async with sessionmaker() as session:
        while overdue := await receivable_overdue.sweep_overdue(session, now=clock()):
            done["receivables_overdue"] += overdue
    async with sessionmaker() as session:
        while late := await complaint_overdue.sweep_ack_overdue(session, now=clock()):
            done["complaints_ack_overdue"] += late
    if purge_ttl is not None:
        async with sessionmaker() as session:
            done["idempotency_purged"] = await purge_expired(session, ttl=purge_ttl)
    if retention is not None:
        cutoff = clock() - retention
        async with sessionmaker() as session:
            done["deliveries_purged"] = await _purge_finished_deliveries(session, cutoff)
        async with sessionmaker() as session:
            done["events_purged"] = await events.purge_older_than(session, cutoff=cutoff)
    return done


async def _purge_finished_deliveries(session: AsyncSession, cutoff: datetime) -> int:
    # Undelivered messages stay however old they are: they are still owed.
    # The session returns a CursorResult for a DELETE without RETURNING; its type says Result.
    result = cast(CursorResult[Any], await session.execute(delete(WebhookDelivery).where(
        col(WebhookDelivery.created_at) < cutoff,
        col(WebhookDelivery.status).in_([WebhookDeliveryStatus.delivered, WebhookDeliveryStatus.failed]))))
    await commit(session)
    return result.rowcount or 0


async def run_housekeeping(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock,
                           settings: Settings) -> None:
    interval = max(settings.worker_interval_seconds, 0.1)
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    retention = timedelta(days=settings.event_retention_days)
    passes = 0
    while True:
        try:
            purge = passes % PURGE_EVERY_PASSES == 0
            done = await run_pass(sessionmaker, clock, purge_ttl=ttl if purge else None,
                                  retention=retention if purge else None)
            if any(done.values()):
                log.info("worker_pass", **done)
        except Exception:  # noqa: BLE001 - a transient failure must not stop the worker
            log.exception("worker_pass_failed")
        passes += 1
        await asyncio.sleep(interval)


def announce_chain_break(session: AsyncSession,
                         result: audit_verification.ChainVerification) -> None:
    """An audit row and an `audit.chain_broken` event for a break a full check found."""
    assert result.first_invalid_seq is not None and result.problem is not None
    found = {"first_invalid_seq": result.first_invalid_seq, "problem": result.problem,
             "head_seq": result.head_seq, "entries_checked": result.entries_checked,
             "checked_by": result.last_full_check.checked_by if result.last_full_check
             else CHAIN_CHECKER.sub}
    record_change(session, CHAIN_CHECKER, event_type="audit.chain_broken",
                  entity_type="audit_chain", entity_id=result.first_invalid_seq, before=None,
                  after=found)


async def run_full_audit_check(
    sessionmaker: async_sessionmaker[AsyncSession], *, by: str,
    batch: int = audit_verification.VERIFY_BATCH,
    progress: audit_verification.Progress | None = None,
) -> audit_verification.ChainVerification:
    """Recompute the whole audit chain and record the outcome; a new break is announced."""
    async with sessionmaker() as session:
        result = await audit_verification.full_check(
            session, by=by, batch=batch, progress=progress, on_break=announce_chain_break)
    if result.valid:
        log.info("audit_full_check", entries_checked=result.entries_checked,
                 head_seq=result.head_seq)
    else:
        log.error("audit_chain_broken", first_invalid_seq=result.first_invalid_seq,
                  problem=result.problem, head_seq=result.head_seq)
    return result


async def run_due_audit_check(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, *,
                              every: timedelta) -> audit_verification.ChainVerification | None:
    """The scheduled full check, when it is due and no other worker has taken it."""
    async with sessionmaker() as session:
        if not await audit_verification.claim_full_check(session, now=clock(), every=every):
            return None
    return await run_full_audit_check(sessionmaker, by="worker")


async def run_audit_checks(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock,
                           settings: Settings) -> None:
    every = timedelta(hours=settings.audit_full_check_hours)
    while True:
        try:
            await run_due_audit_check(sessionmaker, clock, every=every)
        except Exception:  # noqa: BLE001 - a transient failure must not stop the worker
            log.exception("audit_full_check_failed")
        await asyncio.sleep(AUDIT_CHECK_POLL_SECONDS)


async def run_forever(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock,
                      settings: Settings) -> None:
    dispatcher = Dispatcher(sessionmaker, clock, settings)
    loops = [run_housekeeping(sessionmaker, clock, settings), dispatcher.run_forever()]
    if settings.audit_full_check_hours > 0:
        loops.append(run_audit_checks(sessionmaker, clock, settings))
    try:
        await asyncio.gather(*loops)
    finally:
        await dispatcher.aclose()
