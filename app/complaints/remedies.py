"""Remedies of a complaint (补救): a repair or a replacement (recorded), goods taken back (a
delivery return of the complaint's delivery, through the deliveries service) or money
refunded (a credit note on the related receivable, through the receivables' credits: never
below its balance). Each is recorded with the complaint's change in one transaction."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.complaints import service
from app.complaints.errors import AlreadyRefunded, NotRemediable, RemedyTargetMissing
from app.complaints.models import Complaint, ComplaintRemedy, RemedyKind
from app.complaints.schemas import RemedyCreate, remedy_summary
from app.complaints.states import REMEDIABLE
from app.core.db import commit
from app.core.permissions import Capability, can
from app.core.security import Principal
from app.core.versioning import bump_version, ensure_version
from app.deliveries import shipping
from app.deliveries.schemas import ReturnCreate
from app.events.changes import record_change
from app.receivables import credits
from app.receivables import service as receivables
from app.receivables.errors import ReceivableNotFound
from app.receivables.models import CreditSource, Receivable


async def record(session: AsyncSession, principal: Principal, *, complaint_id: int,
                 data: RemedyCreate, expected_version: int | None,
                 now: datetime) -> Complaint:
    complaint = await service.get_visible(session, principal, complaint_id, for_update=True)
    if not can(principal, Capability.complaint_remedy):
        raise service.ComplaintForbidden("Your roles do not record remedies.")
    ensure_version(complaint.version, expected_version)
    if complaint.status not in REMEDIABLE:
        raise NotRemediable(f"The complaint is {complaint.status.value}.",
                            current_status=complaint.status.value)
    assert complaint.id is not None  # loaded from the database
    remedy = ComplaintRemedy(complaint_id=complaint.id, kind=data.kind,
                             description=data.description, recorded_by=principal.sub,
                             recorded_at=now)
    if data.kind == RemedyKind.refund:
        assert data.amount is not None  # the schema requires it
        receivable = await _receivable(session, principal, complaint, data.receivable_id)
        assert receivable.id is not None  # loaded from the database
        # `credit` would answer the earlier note for the same source: a second refund of
        # one complaint on one receivable is refused instead of recorded twice.
        if await credits.earlier_credit(session, receivable.id, CreditSource.complaint_refund,
                                        complaint.id) is not None:
            raise AlreadyRefunded(f"Complaint {complaint.number} already refunded against "
                                  f"receivable {receivable.number}.",
                                  receivable_id=receivable.id)
        note = await credits.credit(
            session, principal, receivable, amount=data.amount,
            reason=f"{complaint.number}: {data.description}"[:2000],
            source=CreditSource.complaint_refund, source_id=complaint.id, now=now)
        remedy.amount, remedy.receivable_id, remedy.credit_id = (data.amount, receivable.id,
                                                                 note.id)
    elif data.kind == RemedyKind.return_:
        if complaint.delivery_id is None:
            raise RemedyTargetMissing("The complaint names no delivery to take goods back "
                                      "from.")
        assert data.lines is not None  # the schema requires them
        _, taken = await shipping.take_back_goods(
            session, principal, delivery_id=complaint.delivery_id,
            data=ReturnCreate(lines=data.lines,
                              reason=f"{complaint.number}: {data.description}"[:2000]),
            expected_version=None, now=now)
        remedy.delivery_id, remedy.delivery_return_id = complaint.delivery_id, taken.id
    session.add(remedy)
    await session.flush()
    before = service.summary(complaint)
    complaint.updated_at = now
    bump_version(complaint)
    record_change(session, principal, event_type="complaint.remedy_recorded",
                  entity_type=service.ENTITY, entity_id=complaint.id, before=before,
                  after=service.summary(complaint),
                  event_data={**service.event_data(complaint),
                              "remedy": remedy_summary(remedy)})
    await commit(session)
    return complaint


async def _receivable(session: AsyncSession, principal: Principal, complaint: Complaint,
                      receivable_id: int | None) -> Receivable:
    """The receivable a refund credits, locked: the one named, else the one the
    complaint's delivery issued; the complaint's customer's either way."""
    if receivable_id is None and complaint.delivery_id is not None:
        receivable_id = (await session.execute(select(col(Receivable.id)).where(
            col(Receivable.delivery_id) == complaint.delivery_id))).scalar_one_or_none()
    if receivable_id is None:
        raise RemedyTargetMissing("Name the receivable to refund against (`receivable_id`).")
    try:
        receivable = await receivables.get_visible(session, principal, receivable_id,
                                                   for_update=True)
    except ReceivableNotFound:
        receivable = None
    if receivable is None or receivable.customer_id != complaint.customer_id:
        raise RemedyTargetMissing(f"Receivable {receivable_id} is not the customer's.")
    return receivable
