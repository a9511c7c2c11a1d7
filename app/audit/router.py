from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service, verification
from app.audit.schemas import AuditEntryPage, AuditEntryRead
from app.audit.verification import ChainVerification
from app.core.db import SessionDep
from app.core.errors import Forbidden, errors_doc
from app.core.pagination import CursorQuery, LimitQuery
from app.core.security import CurrentPrincipal

router = APIRouter(prefix="/audit-log", tags=["audit"])
Filter = Annotated[str | None, Query(max_length=128)]


@router.get("", response_model=AuditEntryPage, responses=errors_doc(Forbidden))
async def list_audit_entries(
    session: SessionDep, principal: CurrentPrincipal, limit: LimitQuery = 50,
    cursor: CursorQuery = None, entity_type: Filter = None, entity_id: Filter = None,
    actor_id: Filter = None, action: Filter = None,
) -> AuditEntryPage:
    """The audit log, newest first (auditor, admin)."""
    items, next_cursor = await service.list_entries(
        session, principal, entity_type=entity_type, entity_id=entity_id, actor_id=actor_id,
        action=action, limit=limit, cursor=cursor)
    return AuditEntryPage(items=[AuditEntryRead.model_validate(e) for e in items],
                          next_cursor=next_cursor)


@router.get("/verify", response_model=ChainVerification, responses=errors_doc(Forbidden))
async def verify_audit_log(session: SessionDep, principal: CurrentPrincipal) -> ChainVerification:
    """Recompute the hash chain from the verified checkpoint to the head: proves no entry
    sealed since was altered or removed, and moves the checkpoint. Entries at or before the
    checkpoint are covered by the scheduled full check, whose last outcome is included."""
    return await verification.verify(session, principal)
