"""Webhook delivery: claim due messages, send them signed, record what happened.

Any number of dispatchers may run (API process on the embedded default, `salesflow worker`
processes in production). A claim is one statement that takes due rows with `FOR UPDATE
SKIP LOCKED` and leases them (status `sending`, next attempt pushed past the lease), so two
dispatchers never hold the same attempt. A dispatcher that dies mid-batch leaves leased
rows that fall due again when the lease ends, and another delivers them. A result is
recorded only if the row still carries the attempt number it was claimed with, so a
dispatcher that outlived its lease cannot overwrite a newer attempt.
"""

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import structlog
from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col
from standardwebhooks.webhooks import Webhook

from app.core.clock import Clock
from app.core.config import Settings
from app.core.db import commit
from app.events.changes import record_change
from app.events.sequencer import sequence_pending
from app.webhooks import fanout as _registers_fan_out  # noqa: F401
from app.webhooks import metrics
from app.webhooks.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from app.webhooks.secrets import SecretBox
from app.webhooks.targets import WebhookUrlRefused, pinned_request_parts, resolve_target

log = structlog.get_logger("salesflow.webhooks")

USER_AGENT = "salesflow-webhooks/1"
# Beyond the request timeout, so a lease never ends while its attempt may still be running.
LEASE_MARGIN = timedelta(seconds=30)
LONGEST_RETRY_AFTER = timedelta(days=1)
ERROR_LENGTH = 500
BODY_EXCERPT = 200
CONNECTIONS_PER_CLIENT = 8


@dataclass
class Claimed:
    id: int
    subscription_id: int
    event_id: str
    event_occurred_at: datetime
    payload: str
    attempts: int
    attempts_in_schedule: int


@dataclass
class Outcome:
    claimed: Claimed
    status_code: int | None
    error: str | None
    latency_ms: float | None
    retry_after: timedelta | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


@dataclass
class Receiver:
    url: str
    signers: list[Webhook]


class Dispatcher:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock,
                 settings: Settings) -> None:
        self.sessionmaker, self.clock, self.settings = sessionmaker, clock, settings
        self.box = SecretBox.from_settings(settings)
        # One client per receiving host: requests go to a pinned address, and a kept-alive
        # connection whose TLS was verified for one host must not carry another's.
        self.clients: dict[str, list[httpx.AsyncClient]] = {}
        self._turn = 0
        self.lease = timedelta(seconds=settings.webhook_timeout_seconds) + LEASE_MARGIN

    def _client_for(self, host: str) -> httpx.AsyncClient:
        pool = self.clients.get(host)
        if pool is None:
            # Several small pools rather than one large one: httpcore scans every
            # connection of a pool on each request, so its cost grows with the pool size.
            # No redirects and no proxies from the environment: either would send the
            # request somewhere the address checks never saw.
            size = min(CONNECTIONS_PER_CLIENT, self.settings.webhook_concurrency)
            pool = self.clients[host] = [
                httpx.AsyncClient(
                    timeout=self.settings.webhook_timeout_seconds, follow_redirects=False,
                    trust_env=False, limits=httpx.Limits(max_connections=size,
                                                         max_keepalive_connections=size))
                for _ in range(-(-self.settings.webhook_concurrency // size))]
        self._turn = (self._turn + 1) % len(pool)
        return pool[self._turn]

    async def aclose(self) -> None:
        for pool in self.clients.values():
            for client in pool:
                await client.aclose()

    async def run_forever(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception:  # noqa: BLE001 - a transient failure must not stop delivery
                log.exception("webhook_dispatch_failed")
                busy = 0
            if not busy:
                await asyncio.sleep(self.settings.webhook_poll_seconds)

    async def run_once(self) -> int:
        """Sequence what has committed, then send one batch of due messages; returns how
        much was done (0: nothing to do)."""
        async with self.sessionmaker() as session:
            sequenced = await sequence_pending(session, now=self.clock())
        async with self.sessionmaker() as session:
            claimed = await self.claim(session, limit=self.settings.webhook_batch_size)
        if claimed:
            receivers = await self._receivers({c.subscription_id for c in claimed})
            semaphore = asyncio.Semaphore(self.settings.webhook_concurrency)
            outcomes = await asyncio.gather(*[
                self._send(c, receivers.get(c.subscription_id), semaphore) for c in claimed])
            async with self.sessionmaker() as session:
                await self.record(session, list(outcomes))
        return sequenced + len(claimed)

    async def claim(self, session: AsyncSession, *, limit: int) -> list[Claimed]:
        now = self.clock()
        due = (
            select(col(WebhookDelivery.id))
            .join(WebhookSubscription,
                  col(WebhookSubscription.id) == WebhookDelivery.subscription_id)
            .where(col(WebhookDelivery.status).in_([WebhookDeliveryStatus.pending,
                                                    WebhookDeliveryStatus.sending]),
                   col(WebhookDelivery.next_attempt_at) <= now,
                   col(WebhookSubscription.enabled))
            .order_by(col(WebhookDelivery.next_attempt_at)).limit(limit)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
        rows = (await session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id).in_(due.scalar_subquery()))
            .values(status=WebhookDeliveryStatus.sending, attempts=WebhookDelivery.attempts + 1,
                    attempts_in_schedule=WebhookDelivery.attempts_in_schedule + 1,
                    last_attempt_at=now, next_attempt_at=now + self.lease, lease_until=now + self.lease)
            .returning(col(WebhookDelivery.id), col(WebhookDelivery.subscription_id),
                       col(WebhookDelivery.event_id), col(WebhookDelivery.event_occurred_at),
                       col(WebhookDelivery.payload), col(WebhookDelivery.attempts),
                       col(WebhookDelivery.attempts_in_schedule))
            .execution_options(synchronize_session=False))).all()
        await commit(session)
        # The model types `id` as optional (unset before an insert); these rows exist.
        return [Claimed(*row) for row in rows]  # type: ignore[arg-type]

    async def _receivers(self, subscription_ids: set[int]) -> dict[int, Receiver]:
        async with self.sessionmaker() as session:
            subscriptions = (await session.execute(select(WebhookSubscription).where(
                col(WebhookSubscription.id).in_(subscription_ids)))).scalars().all()
        now = self.clock()
        receivers: dict[int, Receiver] = {}
        for s in subscriptions:
            assert s.id is not None
            secrets = [s.sealed_secret]
            # During a rotation's overlap both secrets sign, so receivers can switch late.
            if s.previous_sealed_secret and s.previous_secret_expires_at and \
                    s.previous_secret_expires_at > now:
                secrets.append(s.previous_sealed_secret)
            receivers[s.id] = Receiver(s.url, [Webhook(self.box.open(x)) for x in secrets])
        return receivers

    async def _send(self, claimed: Claimed, receiver: Receiver | None,
                    semaphore: asyncio.Semaphore) -> Outcome:
        if receiver is None:  # deleted since the claim: its deliveries go with it
            return Outcome(claimed, None, "subscription deleted", None)
        async with semaphore:
            try:
                target = await resolve_target(receiver.url, self.settings)
            except WebhookUrlRefused as exc:
                return Outcome(claimed, None, f"target refused: {exc.detail}", None)
            url, host_headers, extensions = pinned_request_parts(target)
            # The signature's timestamp is the wall clock: receivers compare it with theirs.
            sent_at = datetime.now(UTC)
            signature = " ".join(s.sign(claimed.event_id, sent_at, claimed.payload)
                                 for s in receiver.signers)
            headers = {
                **host_headers, "content-type": "application/json", "user-agent": USER_AGENT,
                "webhook-id": claimed.event_id,
                "webhook-timestamp": str(int(sent_at.timestamp())),
                "webhook-signature": signature,
            }
            started = time.perf_counter()
            try:
                async with self._client_for(target.host).stream(
                        "POST", url, content=claimed.payload.encode(), headers=headers,
                        extensions=extensions) as response:
                    excerpt = await _body_excerpt(response)
            except httpx.HTTPError as exc:
                latency = (time.perf_counter() - started) * 1000
                return Outcome(claimed, None, f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH],
                               round(latency, 2))
            latency = (time.perf_counter() - started) * 1000
            metrics.HTTP_LATENCY.observe(latency / 1000)
            error = None if 200 <= response.status_code < 300 else \
                f"HTTP {response.status_code}: {excerpt}"
            return Outcome(claimed, response.status_code, error, round(latency, 2),
                           retry_after=_retry_after(response))

    async def record(self, session: AsyncSession, outcomes: list[Outcome]) -> None:
        now = self.clock()
        schedule = self.settings.webhook_retry_schedule_seconds
        rows = []
        for o in outcomes:
            c = o.claimed
            if o.delivered:
                status, next_at, delivered_at = WebhookDeliveryStatus.delivered, None, now
                metrics.DELIVERED.inc()
                metrics.LAG.observe(max((now - c.event_occurred_at).total_seconds(), 0))
            elif o.gone or c.attempts_in_schedule > len(schedule):
                status, next_at, delivered_at = WebhookDeliveryStatus.failed, None, None
                metrics.FAILED.inc()
            else:
                delay = timedelta(seconds=schedule[c.attempts_in_schedule - 1]
                                  * random.uniform(0.8, 1.2))
                if o.retry_after is not None:
                    delay = o.retry_after
                status, next_at, delivered_at = WebhookDeliveryStatus.pending, now + delay, None
                metrics.RETRIED.inc()
            rows.append({"b_id": c.id, "b_attempts": c.attempts, "status": status,
                         "next_attempt_at": next_at, "lease_until": None,
                         "last_status_code": o.status_code, "last_error": o.error,
                         "last_latency_ms": o.latency_ms, "delivered_at": delivered_at})
        # SQLModel sets `__table__` on table classes but does not declare it.
        deliveries: Table = WebhookDelivery.__table__  # type: ignore[attr-defined]
        await session.execute(
            update(deliveries)
            .where(deliveries.c.id == bindparam("b_id"),
                   deliveries.c.attempts == bindparam("b_attempts"),
                   deliveries.c.status == WebhookDeliveryStatus.sending),
            rows)
        await self._update_subscriptions(session, outcomes, now)
        await commit(session)

    async def _update_subscriptions(self, session: AsyncSession, outcomes: list[Outcome],
                                    now: datetime) -> None:
        """A success ends a run of failures; a 410, or failures for longer than the
        configured time, disables the subscription (with an event saying why)."""
        succeeded = {o.claimed.subscription_id for o in outcomes if o.delivered}
        gone = {o.claimed.subscription_id for o in outcomes if o.gone}
        failed = {o.claimed.subscription_id for o in outcomes if not o.delivered} - succeeded
        if succeeded:
            await session.execute(
                update(WebhookSubscription)
                .where(col(WebhookSubscription.id).in_(succeeded),
                       col(WebhookSubscription.failing_since).is_not(None))
                .values(failing_since=None).execution_options(synchronize_session=False))
        if not failed:
            return
        await session.execute(
            update(WebhookSubscription)
            .where(col(WebhookSubscription.id).in_(failed),
                   col(WebhookSubscription.failing_since).is_(None))
            .values(failing_since=now).execution_options(synchronize_session=False))
        too_long = now - timedelta(hours=self.settings.webhook_disable_after_hours)
        to_disable = (await session.execute(
            select(WebhookSubscription).where(
                col(WebhookSubscription.id).in_(failed), col(WebhookSubscription.enabled),
                or_(col(WebhookSubscription.id).in_(gone),
                    and_(col(WebhookSubscription.failing_since).is_not(None),
                         col(WebhookSubscription.failing_since) < too_long)))
            .with_for_update())).scalars().all()
        for subscription in to_disable:
            reason = ("the receiver answered 410 Gone" if subscription.id in gone else
                      f"deliveries have failed since {subscription.failing_since:%Y-%m-%d %H:%M} UTC")
            disable(session, subscription, reason=reason, now=now)


def disable(session: AsyncSession, subscription: WebhookSubscription, *, reason: str,
            now: datetime) -> None:
    """Stop deliveries to a subscription (by the dispatcher; no person acts)."""
    assert subscription.id is not None
    before = {"id": subscription.id, "enabled": True}
    subscription.enabled, subscription.disabled_at = False, now
    subscription.disabled_reason = reason
    subscription.version += 1
    subscription.updated_at = now
    record_change(session, None, event_type="webhook.subscription_disabled",
                  entity_type="webhook_subscription", entity_id=subscription.id,
                  before=before, after={"id": subscription.id, "enabled": False},
                  event_data={"subscription_id": subscription.id, "url": subscription.url,
                              "reason": reason})
    log.warning("webhook_subscription_disabled", subscription_id=subscription.id, reason=reason)


async def _body_excerpt(response: httpx.Response) -> str:
    """The start of the answer, for the delivery log; the rest is never read (a receiver
    must not be able to make us buffer an endless body)."""
    received = b""
    async for chunk in response.aiter_raw():
        received += chunk
        if len(received) >= BODY_EXCERPT:
            break
    return received[:BODY_EXCERPT].decode("utf-8", "replace")


def _retry_after(response: httpx.Response) -> timedelta | None:
    """`Retry-After` (seconds or an HTTP date) on 429 and 503, within sane bounds."""
    if response.status_code not in (429, 503):
        return None
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        delay = timedelta(seconds=float(value))
    except ValueError:
        try:
            delay = parsedate_to_datetime(value) - datetime.now(UTC)
        except (TypeError, ValueError):
            return None
    return min(max(delay, timedelta(seconds=1)), LONGEST_RETRY_AFTER)
