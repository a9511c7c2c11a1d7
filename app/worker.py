"""Background work, in two loops side by side:

- housekeeping: seal the audit chain, escalate overdue approval steps, expire quotes past
  their validity, and now and then forget expired idempotency keys and events and
  deliveries past their retention;
- webhook delivery: sequence committed events, fan them out, send what is due.

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
from app.complaints import overdue as complaint_overdue
from app.core.clock import Clock
from app.core.config import Settings
from app.core.db import commit
from app.core.idempotency import purge_expired
from app.events import service as events
from app.quotes import expiry as quote_expiry
from app.receivables import overdue as receivable_overdue
from app.webhooks.dispatcher import Dispatcher
from app.webhooks.models import WebhookDeliveryStatus, WebhookDelivery

log = structlog.get_logger("salesflow.worker")
PURGE_EVERY_PASSES = 600


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


async def run_forever(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock,
                      settings: Settings) -> None:
    dispatcher = Dispatcher(sessionmaker, clock, settings)
    try:
        await asyncio.gather(run_housekeeping(sessionmaker, clock, settings),
                             dispatcher.run_forever())
    finally:
        await dispatcher.aclose()
