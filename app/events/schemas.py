from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.core.schemas import ReadModel


class EventRead(ReadModel):
    position: int = Field(description="Position in the feed; increases with each event")
    event_id: str = Field(description="Stable id; the `webhook-id` of deliveries")
    type: str
    subject: str = Field(examples=["customer:42"])
    sequence: int = Field(description="Order within the subject, from 1; with `subject`, "
                                      "lets a receiver order and de-duplicate")
    occurred_at: datetime
    actor_id: str | None
    request_id: str | None
    data: dict[str, Any]


class EventFeedPage(BaseModel):
    items: list[EventRead]
    next_cursor: str | None = Field(
        description="Pass as `after` to continue; null when the feed was empty after the "
                    "given position (poll again with the same `after`)")
