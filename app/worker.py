"""Background work: seal the audit chain, escalate overdue approval steps, expire quotes past
their validity, forget expired idempotency keys. Runs in the API process on the embedded
default, and as `salesflow worker` (any number of them) in production."""

import asyncio
from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.approvals import sla
from app.audit import service as audit_service
from app.core.clock import Clock
from app.core.config import Settings
from app.core.idempotency import purge_expired
from app.quotes import expiry as quote_expiry

log = structlog.get_logger("salesflow.worker")
PURGE_EVERY_PASSES = 600


async def run_pass(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock, *,
                   purge_ttl: timedelta | None = None) -> dict[str, int]:
    done = {"audit_sealed": 0, "steps_escalated": 0, "quotes_expired": 0,
            "idempotency_purged": 0}
    async with sessionmaker() as session:
        while sealed := await audit_service.seal_pending(session):
            done["audit_sealed"] += sealed
    async with sessionmaker() as session:
        while escalated := await sla.sweep_overdue(session, now=clock()):
            done["steps_escalated"] += escalated
    async with sessionmaker() as session:
        while expired := await quote_expiry.sweep_expired(session, now=clock()):
            done["quotes_expired"] += expired
    if purge_ttl is not None:
        async with sessionmaker() as session:
            done["idempotency_purged"] = await purge_expired(session, ttl=purge_ttl)
    return done


async def run_forever(sessionmaker: async_sessionmaker[AsyncSession], clock: Clock,
                      settings: Settings) -> None:
    interval = max(settings.worker_interval_seconds, 0.1)
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    passes = 0
    while True:
        try:
            purge = ttl if passes % PURGE_EVERY_PASSES == 0 else None
            done = await run_pass(sessionmaker, clock, purge_ttl=purge)
            if any(done.values()):
                log.info("worker_pass", **done)
        except Exception:  # noqa: BLE001 - a transient failure must not stop the worker
            log.exception("worker_pass_failed")
        passes += 1
        await asyncio.sleep(interval)
