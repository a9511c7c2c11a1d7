from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class WebhookSubscription(SQLModel, table=True):
    """An ERP endpoint and the event types it receives. Secrets are stored sealed
    (app/webhooks/secrets.py); during a rotation's overlap the previous one signs too."""

    __tablename__ = "webhook_subscription"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] = Field(sa_type=JSON)  # ["*"] for every type
    enabled: bool = Field(default=True)
    # Receives events written after it was created (the outbox's last id then); earlier
    # ones are a replay's business.
    starts_after_event_id: int = Field(default=0, sa_type=BigInteger)
    sealed_secret: str = Field(sa_type=Text)
    previous_sealed_secret: str | None = Field(default=None, sa_type=Text)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set by the first failure of a run of failures, cleared by a success.
    failing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = Field(default=None, max_length=500)
    created_by: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = Field(default=1)


class WebhookDeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt
    sending = "sending"  # claimed by a worker until `lease_until`
    delivered = "delivered"
    failed = "failed"  # retries exhausted, refused target, or the receiver said 410 Gone


class WebhookDelivery(SQLModel, table=True):
    """One message to one subscription, with the outcome of its latest attempt. The body
    is fixed when the message is created, so every retry sends the same signed bytes."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_subscription", "subscription_id", "id"),
        Index("ix_webhook_delivery_created_at", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True))
    subscription_id: int = Field(sa_column=Column(
        Integer, ForeignKey("webhook_subscription.id", ondelete="CASCADE"), nullable=False))
    event_id: str = Field(max_length=40)  # the message id: `webhook-id`, stable across retries
    event_type: str = Field(max_length=64)
    event_occurred_at: datetime = Field(sa_type=UTCDateTime)
    payload: str = Field(sa_type=Text)
    # The PostgreSQL type keeps the name it was created with.
    status: WebhookDeliveryStatus = Field(
        default=WebhookDeliveryStatus.pending, max_length=16,
        sa_type=SAEnum(WebhookDeliveryStatus, name="deliverystatus"))
    attempts: int = Field(default=0)
    # Attempts since the message was last queued (a manual retry starts a new schedule).
    attempts_in_schedule: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    last_latency_ms: float | None = None
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

