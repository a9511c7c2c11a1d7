from datetime import datetime
from typing import Any

from pydantic import Field

from app.core.pagination import Page
from app.core.schemas import ReadModel


class AuditEntryRead(ReadModel):
    id: int
    seq: int | None
    occurred_at: datetime
    actor_id: str
    actor_name: str | None = Field(default=None, description=(
        "The actor's name, from the user directory (null for the system or someone not "
        "seen since names were kept)"))
    on_behalf_of_id: str | None
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    prev_hash: str | None
    hash: str | None


class AuditEntryPage(Page[AuditEntryRead]):
    pass
