"""The one way a command records a state change: its audit row and its event, both
added to the command's own transaction so they commit or roll back with the change."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core.security import Principal
from app.events import service as events


def record_change(
    session: AsyncSession,
    principal: Principal | None,
    *,
    event_type: str,
    entity_type: str,
    entity_id: str | int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    event_data: dict[str, Any] | None = None,
    on_behalf_of_id: str | None = None,
) -> None:
    audit.record(
        session, principal, action=event_type, entity_type=entity_type, entity_id=entity_id,
        before=before, after=after, on_behalf_of_id=on_behalf_of_id,
    )
    events.emit(
        session, principal, type=event_type, subject=f"{entity_type}:{entity_id}",
        data=event_data if event_data is not None else (after or before or {}),
    )
