"""Webhook subscriptions (admin), their delivery log, tests, retries and replays."""

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.audit import service as audit
from app.core.config import Settings
from app.core.db import commit
from app.core.pagination import paginate
from app.core.permissions import Capability, require
from app.core.schemas import snapshot
from app.core.security import Principal
from app.core.versioning import apply_changes, bump_version, ensure_version
from app.events.models import Event
from app.events.service import SCHEMA_VERSION, message, new_event_id
from app.events.types import EVENT_TYPES
from app.webhooks.errors import (
    DeliveryInFlight,
    DeliveryNotFound,
    SubscriptionDisabled,
    SubscriptionNotFound,
    UnknownEventType,
)
from app.webhooks.fanout import delivery_row
from app.webhooks.matching import matches
from app.webhooks.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription
from app.webhooks.schemas import (
    ReplayBody,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
)
from app.webhooks.secrets import SecretBox, new_signing_secret
from app.webhooks.targets import resolve_target

ENTITY = "webhook_subscription"
# Changes to subscriptions are audited but are not events: the feed and other integrators'
# subscriptions must not show who else integrates, at which URL.
REPLAY_BATCH = 1000


async def create(session: AsyncSession, principal: Principal, settings: Settings, *,
                 data: WebhookCreate, now: datetime) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (returned once, stored sealed)."""
    require(principal, Capability.webhooks_manage)
    target = await resolve_target(data.url, settings)
    secret = new_signing_secret()
    subscription = WebhookSubscription(
        url=target.url, description=data.description,
        event_types=_checked_event_types(data.event_types), enabled=data.enabled,
        sealed_secret=SecretBox.from_settings(settings).seal(secret),
        starts_after_event_id=await session.scalar(select(func.max(col(Event.id)))) or 0,
        created_by=principal.sub, created_at=now, updated_at=now)
    session.add(subscription)
    await session.flush()
    assert subscription.id is not None
    audit.record(session, principal, action="webhook.subscription_created",
                 entity_type=ENTITY, entity_id=subscription.id,
                 before=None, after=snapshot(WebhookRead, subscription))
    await commit(session)
    return subscription, secret


async def list_subscriptions(session: AsyncSession, principal: Principal, *, limit: int,
                             cursor: str | None) -> tuple[list[WebhookSubscription], str | None]:
    require(principal, Capability.webhooks_manage)
    return await paginate(session, select(WebhookSubscription),
                          keys=[WebhookSubscription.id], limit=limit, cursor=cursor)


async def get(session: AsyncSession, principal: Principal, subscription_id: int, *,
              for_update: bool = False) -> WebhookSubscription:
    require(principal, Capability.webhooks_manage)
    statement = select(WebhookSubscription).where(col(WebhookSubscription.id) == subscription_id)
    if for_update:
        statement = statement.with_for_update()
    subscription = (await session.execute(statement)).scalar_one_or_none()
    if subscription is None:
        raise SubscriptionNotFound()
    return subscription


async def update_subscription(
    session: AsyncSession, principal: Principal, settings: Settings, *, subscription_id: int,
    data: WebhookUpdate, expected_version: int | None, now: datetime,
) -> WebhookSubscription:
    subscription = await get(session, principal, subscription_id, for_update=True)
    ensure_version(subscription.version, expected_version)
    changes = data.model_dump(exclude_unset=True)
    if "url" in changes:
        changes["url"] = (await resolve_target(changes["url"], settings)).url
    if "event_types" in changes:
        changes["event_types"] = _checked_event_types(changes["event_types"])
    if changes.get("enabled") is True and not subscription.enabled:
        # A fresh start: the failures that disabled it are history.
        changes.update(disabled_at=None, disabled_reason=None, failing_since=None)
    elif changes.get("enabled") is False and subscription.enabled:
        changes.update(disabled_at=now, disabled_reason=f"disabled by {principal.sub}")
    before = snapshot(WebhookRead, subscription)
    apply_changes(subscription, changes)
    audit.record(session, principal, action="webhook.subscription_updated",
                 entity_type=ENTITY, entity_id=subscription_id, before=before,
                 after=snapshot(WebhookRead, subscription))
    await commit(session)
    return subscription


async def delete(session: AsyncSession, principal: Principal, *, subscription_id: int,
                 expected_version: int | None) -> None:
    """Remove a subscription with its delivery log (undelivered messages are dropped)."""
    subscription = await get(session, principal, subscription_id, for_update=True)
    ensure_version(subscription.version, expected_version)
    before = snapshot(WebhookRead, subscription)
    await session.delete(subscription)
    audit.record(session, principal, action="webhook.subscription_deleted",
                 entity_type=ENTITY, entity_id=subscription_id, before=before, after=None)
    await commit(session)


async def rotate_secret(
    session: AsyncSession, principal: Principal, settings: Settings, *, subscription_id: int,
    overlap: timedelta, now: datetime,
) -> tuple[WebhookSubscription, str]:
    """A new secret signs from now on; the current one keeps signing beside it for
    `overlap`, so the receiver can switch without rejecting anything."""
    subscription = await get(session, principal, subscription_id, for_update=True)
    box = SecretBox.from_settings(settings)
    secret = new_signing_secret()
    before = snapshot(WebhookRead, subscription)
    if overlap > timedelta(0):
        subscription.previous_sealed_secret = subscription.sealed_secret
        subscription.previous_secret_expires_at = now + overlap
    else:
        subscription.previous_sealed_secret = subscription.previous_secret_expires_at = None
    subscription.sealed_secret = box.seal(secret)
    bump_version(subscription)
    audit.record(session, principal, action="webhook.secret_rotated", entity_type=ENTITY,
                 entity_id=subscription_id, before=before,
                 after=snapshot(WebhookRead, subscription))
    await commit(session)
    return subscription, secret


async def send_test(session: AsyncSession, principal: Principal, *, subscription_id: int,
                    now: datetime) -> WebhookDelivery:
    """Queue a `webhook.test` message to this subscription only, due at once."""
    subscription = await get(session, principal, subscription_id)
    if not subscription.enabled:
        raise SubscriptionDisabled()
    event_id = new_event_id()
    test_message = {
        "id": event_id, "type": "webhook.test",
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        # Its own subject: a test is not part of any record's history.
        "subject": f"webhook_test:{event_id}", "sequence": 1, "schema_version": SCHEMA_VERSION,
        "data": {"subscription_id": subscription_id,
                 "message": f"Test message requested by {principal.sub}"},
    }
    delivery = WebhookDelivery(**delivery_row(subscription_id, test_message, now, now))
    session.add(delivery)
    await commit(session)
    return delivery


async def list_deliveries(
    session: AsyncSession, principal: Principal, *, subscription_id: int,
    status: WebhookDeliveryStatus | None, limit: int, cursor: str | None,
) -> tuple[list[WebhookDelivery], str | None]:
    """A subscription's delivery log, newest first."""
    await get(session, principal, subscription_id)
    statement = select(WebhookDelivery).where(
        col(WebhookDelivery.subscription_id) == subscription_id)
    if status is not None:
        statement = statement.where(col(WebhookDelivery.status) == status)
    return await paginate(session, statement, keys=[WebhookDelivery.id], limit=limit,
                          cursor=cursor, descending=True)


async def get_delivery(session: AsyncSession, principal: Principal, delivery_id: int, *,
                       for_update: bool = False) -> WebhookDelivery:
    require(principal, Capability.webhooks_manage)
    statement = select(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id)
    if for_update:
        statement = statement.with_for_update()
    delivery = (await session.execute(statement)).scalar_one_or_none()
    if delivery is None:
        raise DeliveryNotFound()
    return delivery


async def retry_delivery(session: AsyncSession, principal: Principal, *, delivery_id: int,
                         now: datetime) -> WebhookDelivery:
    """Send a message again now, with a fresh retry schedule (failed ones included; a
    delivered one is sent again too, e.g. for a receiver that lost it)."""
    delivery = await get_delivery(session, principal, delivery_id, for_update=True)
    if delivery.status == WebhookDeliveryStatus.sending:
        raise DeliveryInFlight()
    delivery.status, delivery.next_attempt_at = WebhookDeliveryStatus.pending, now
    delivery.attempts_in_schedule, delivery.lease_until = 0, None
    audit.record(session, principal, action="webhook.delivery_retried",
                 entity_type="webhook_delivery", entity_id=delivery_id, before=None,
                 after={"id": delivery_id, "subscription_id": delivery.subscription_id,
                        "event_id": delivery.event_id})
    await commit(session)
    return delivery


async def replay(session: AsyncSession, principal: Principal, *, subscription_id: int,
                 data: ReplayBody, now: datetime) -> int:
    """Queue again every event of the range this subscription receives: messages it
    already has are re-sent as they were (same id, so receivers can de-duplicate); events
    it never got (e.g. from before it existed) get new messages."""
    subscription = await get(session, principal, subscription_id, for_update=True)
    in_range = (col(WebhookDelivery.subscription_id) == subscription_id,
                col(WebhookDelivery.event_occurred_at) >= data.since,
                col(WebhookDelivery.event_occurred_at) < data.until,
                col(WebhookDelivery.status) != WebhookDeliveryStatus.sending,
                col(WebhookDelivery.event_type) != "webhook.test")
    # The session returns a CursorResult for an UPDATE without RETURNING; its type says Result.
    requeued = cast(CursorResult[Any], await session.execute(
        update(WebhookDelivery).where(*in_range)
        .values(status=WebhookDeliveryStatus.pending, next_attempt_at=now, attempts_in_schedule=0,
                lease_until=None)
        .execution_options(synchronize_session=False))).rowcount or 0
    added, after_position = 0, 0
    while True:
        missing = list((await session.execute(
            select(Event).where(
                col(Event.position) > after_position,
                col(Event.occurred_at) >= data.since, col(Event.occurred_at) < data.until,
                _types_filter(subscription.event_types),
                ~exists(select(col(WebhookDelivery.id)).where(
                    col(WebhookDelivery.subscription_id) == subscription_id,
                    col(WebhookDelivery.event_id) == Event.event_id)))
            .order_by(col(Event.position)).limit(REPLAY_BATCH))).scalars())
        if not missing:
            break
        rows = [delivery_row(subscription_id, message(e), e.occurred_at, now) for e in missing
                if matches(subscription.event_types, e.type)]
        if rows:
            await session.execute(insert(WebhookDelivery), rows)
        added += len(rows)
        last_position = missing[-1].position
        assert last_position is not None  # only sequenced events are above a position
        after_position = last_position
    queued = requeued + added
    audit.record(session, principal, action="webhook.replay_requested", entity_type=ENTITY,
                 entity_id=subscription_id, before=None,
                 after={"id": subscription_id, "since": data.since.isoformat(),
                         "until": data.until.isoformat(), "queued": queued})
    await commit(session)
    return queued


def _types_filter(patterns: list[str]) -> ColumnElement[bool]:
    if "*" in patterns:
        return col(Event.position).is_not(None)
    exact = [p for p in patterns if not p.endswith(".*")]
    families = [p[:-1] for p in patterns if p.endswith(".*")]
    return or_(col(Event.type).in_(exact),
               *[col(Event.type).startswith(prefix) for prefix in families])


def _checked_event_types(patterns: list[str]) -> list[str]:
    known = EVENT_TYPES
    families = {t.split(".", 1)[0] for t in known}
    for pattern in patterns:
        if pattern == "*" or pattern in known:
            continue
        if pattern.endswith(".*") and pattern[:-2] in families:
            continue
        raise UnknownEventType(
            f"{pattern!r} is not an event type (see the webhooks section of the OpenAPI "
            "document), a family such as 'contract.*', or '*'.")
    return sorted(set(patterns))
