"""Webhook delivery metrics. Counters and histograms live in the process that delivers (an
API process on the embedded default, or `salesflow worker --metrics-port`); the backlog
gauges are counted from the database, when /metrics is scraped on the API port, or every
15 s by a process serving its metrics on their own port (`SALESFLOW_METRICS_PORT`, whose
server thread cannot reach the app's database sessions)."""

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.webhooks.models import WebhookDelivery, WebhookDeliveryStatus

DELIVERED = Counter("salesflow_webhook_deliveries_delivered_total",
                    "Webhook messages delivered (2xx)")
FAILED = Counter("salesflow_webhook_deliveries_failed_total",
                 "Webhook messages given up on (retries exhausted, or 410 Gone)")
RETRIED = Counter("salesflow_webhook_delivery_retries_total",
                  "Webhook attempts that failed and were scheduled again")
HTTP_LATENCY = Histogram("salesflow_webhook_request_seconds",
                         "Time for a receiver to answer one webhook request",
                         buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
LAG = Histogram("salesflow_webhook_delivery_lag_seconds",
                "From the event to its successful delivery",
                buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400))
BACKLOG = Gauge("salesflow_webhook_deliveries", "Webhook messages by status", ["status"])


async def refresh_backlog(session: AsyncSession) -> None:
    counts = dict((await session.execute(
        select(col(WebhookDelivery.status), func.count())
        .where(col(WebhookDelivery.status).in_([WebhookDeliveryStatus.pending, WebhookDeliveryStatus.sending,
                                                WebhookDeliveryStatus.failed]))
        .group_by(col(WebhookDelivery.status)))).all())
    for status in (WebhookDeliveryStatus.pending, WebhookDeliveryStatus.sending, WebhookDeliveryStatus.failed):
        BACKLOG.labels(status.value).set(counts.get(status, 0))
