from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.audit import exports, service, verification
from app.audit.schemas import AuditEntryPage, AuditEntryRead
from app.audit.verification import ChainVerification
from app.core.clock import Now
from app.core.db import SessionDep
from app.core.directory import user_names
from app.core.errors import Forbidden, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.pagination import CursorQuery, LimitQuery, Listed, ListRequest
from app.core.security import CurrentPrincipal

router = APIRouter(prefix="/audit-log", tags=["audit"])
Filter = Annotated[str | None, Query(max_length=128)]


@router.get("", response_model=AuditEntryPage,
            responses={**file_responses(), **errors_doc(Forbidden)})
async def list_audit_entries(
    request: Request, session: SessionDep, principal: CurrentPrincipal, now: Now,
    limit: LimitQuery = 50, cursor: CursorQuery = None, entity_type: Filter = None,
    entity_id: Filter = None, actor_id: Filter = None, action: Filter = None,
    format: FormatQuery = None,
) -> AuditEntryPage | StreamingResponse:
    """The audit log, newest first (auditor, admin); all of it as CSV or XLSX with
    `format`."""

    async def page_of(wanted: ListRequest) -> Listed[AuditEntryRead]:
        items, next_cursor = await service.list_entries(
            session, principal, entity_type=entity_type, entity_id=entity_id,
            actor_id=actor_id, action=action, limit=wanted.limit, cursor=wanted.cursor)
        reads = [AuditEntryRead.model_validate(e) for e in items]
        names = await user_names(session, {read.actor_id for read in reads})
        for read in reads:
            read.actor_name = names.get(read.actor_id)
        return Listed(reads, next_cursor)

    page = ListRequest(limit=limit, cursor=cursor)
    file = await exports.AUDIT_LOG.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return AuditEntryPage(items=listed.items, next_cursor=listed.next_cursor)


@router.get("/verify", response_model=ChainVerification, responses=errors_doc(Forbidden))
async def verify_audit_log(session: SessionDep, principal: CurrentPrincipal) -> ChainVerification:
    """Recompute the hash chain from the verified checkpoint to the head: proves no entry
    sealed since was altered or removed, and moves the checkpoint. Entries at or before the
    checkpoint are covered by the scheduled full check, whose last outcome is included."""
    return await verification.verify(session, principal)
