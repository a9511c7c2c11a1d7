"""Newly sequenced events become one delivery per matching subscription, in the
sequencer's transaction: each event is fanned out exactly once."""

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.events import service as events
from app.events.models import Event
from app.events.sequencer import on_sequenced
from app.webhooks.matching import matches
from app.webhooks.models import WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription


def body_of(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def delivery_row(subscription_id: int, message: dict[str, Any], occurred_at: datetime,
                 now: datetime) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id, "event_id": message["id"],
        "event_type": message["type"], "event_occurred_at": occurred_at,
        "payload": body_of(message), "status": WebhookDeliveryStatus.pending, "attempts": 0,
        "attempts_in_schedule": 0, "next_attempt_at": now, "created_at": now,
    }


@on_sequenced
async def fan_out(session: AsyncSession, sequenced: list[Event], now: datetime) -> None:
    subscriptions = (await session.execute(
        select(col(WebhookSubscription.id), col(WebhookSubscription.event_types),
               col(WebhookSubscription.starts_after_event_id))
        .where(col(WebhookSubscription.enabled)))).all()
    if not subscriptions:
        return
    rows = []
    for event in sequenced:
        assert event.id is not None  # sequenced events are stored rows
        message = None
        for subscription_id, patterns, starts_after in subscriptions:
            if event.id > starts_after and matches(patterns, event.type):
                assert subscription_id is not None  # a stored row's primary key
                message = message or events.message(event)
                rows.append(delivery_row(subscription_id, message, event.occurred_at, now))
    if rows:
        await session.execute(insert(WebhookDelivery), rows)
