import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from app.core.schemas import ReadModel, UpdateModel, WriteModel
from app.webhooks.models import WebhookDeliveryStatus

Url = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
EventTypePattern = Annotated[str, StringConstraints(min_length=1, max_length=64)]
EventTypes = Annotated[list[EventTypePattern], Field(
    min_length=1, max_length=100,
    description='Event types to receive: exact types, a family such as `"contract.*"`, or '
                '`"*"` for all.', examples=[["contract.approved", "customer.*"]])]


class WebhookCreate(WriteModel):
    url: Url = Field(description="https URL of the receiver; it must resolve to public "
                                 "addresses unless the server's allow-list names them")
    event_types: EventTypes
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    enabled: bool = True


class WebhookUpdate(UpdateModel):
    clearable = frozenset({"description"})

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    enabled: bool | None = Field(default=None, description=(
        "Enabling again clears the reason it was disabled and sends what was still owed; "
        "events that happened while it was disabled were not queued for it: replay their "
        "time range"))


class WebhookRead(ReadModel):
    id: int
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None = Field(
        description="Start of the current run of failed attempts; null when the last "
                    "attempt succeeded")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then the previous secret signs too (after a rotation)")
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class WebhookWithSecret(WebhookRead):
    secret: str = Field(description="The signing secret (`whsec_…`). Shown only now: store it "
                                    "where the receiver verifies signatures.")


class WebhookPage(BaseModel):
    items: list[WebhookRead]
    next_cursor: str | None = None


class RotateSecretBody(WriteModel):
    overlap_hours: int = Field(default=24, ge=0, le=168, description=(
        "How long the previous secret keeps signing beside the new one, so the receiver "
        "can switch without rejecting messages"))


class ReplayBody(WriteModel):
    since: datetime = Field(description="Events that happened at or after this time")
    until: datetime = Field(description="and before this time")

    @model_validator(mode="after")
    def _ordered(self) -> "ReplayBody":
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("since and until need a time zone (e.g. Z)")
        if self.until <= self.since:
            raise ValueError("until must be after since")
        return self


class ReplayResult(BaseModel):
    queued: int = Field(description="Messages queued for delivery (again)")


class WebhookDeliveryRead(ReadModel):
    id: int
    subscription_id: int
    event_id: str = Field(description="The `webhook-id` header; the same on every attempt")
    event_type: str
    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    last_latency_ms: float | None
    delivered_at: datetime | None
    created_at: datetime
    body: dict[str, Any] = Field(validation_alias="payload", description="The JSON sent")

    @field_validator("body", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDeliveryRead]
    next_cursor: str | None = None
