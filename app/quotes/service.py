from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Integer, and_, column, or_, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals.documents import recall_document, submit_document
from app.calendar.working_time import local_date, local_day_start
from app.core.db import commit
from app.core.filters import where_equal, where_range
from app.core.numbering import next_number, number_is, number_searched
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import SALES_WORKING_ROLES, visible
from app.core.pricing import BASE_CURRENCY
from app.core.schemas import snapshot
from app.core.search import text_contains
from app.core.security import Principal
from app.core.versioning import apply_changes, bump_version, ensure_version
from app.customers import service as customers
from app.customers.errors import CustomerNotFound
from app.events.changes import record_change
from app.opportunities import service as opportunities
from app.opportunities.errors import OpportunityNotFound
from app.opportunities.states import OPEN as OPEN_STAGES
from app.quotes.errors import (
    BaseCurrencyRate,
    LinesRequired,
    OpportunityMismatch,
    QuoteExpired,
    QuoteForbidden,
    QuoteLocked,
    QuoteNotFound,
    UnknownCustomer,
    ValidityInPast,
)
from app.quotes.models import Quote, QuoteLine, QuoteStatus
from app.quotes.pricing import apply_quote_totals, price_lines
from app.quotes.schemas import QuoteCreate, QuoteSnapshot, QuoteUpdate
from app.quotes.states import EDITABLE, EXPIRING, ensure_transition, status_on

ENTITY = "quote"
POLICY_KEY = "quote_discount"
DEFAULT_VALIDITY = timedelta(days=30)
# A quote is revised into version n+1 once the customer has it, or once it can no longer
# be sent as it is.
REVISABLE = frozenset({QuoteStatus.approved, QuoteStatus.sent, QuoteStatus.declined,
                       QuoteStatus.expired})
LINE_FIELDS = ("line_no", "product_id", "description", "quantity", "list_price", "unit_price",
               "discount_percent", "effective_discount_percent", "floor_price", "below_floor",
               "tax_rate", "net_amount", "tax_amount", "total_amount")


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=Quote.owner_id, department_column=Quote.department_id)


# The contracts domain imports this one (a contract is drafted from an accepted quote), so
# the contract drafted from each quote is read from its table by name, not through the model.
_CONTRACT = table("contract", column("id", Integer), column("quote_id", Integer))


def may_edit(principal: Principal) -> bool:
    return principal.has(*SALES_WORKING_ROLES)


def summary(quote: Quote) -> dict:
    return snapshot(QuoteSnapshot, quote)


async def get_visible(session: AsyncSession, principal: Principal, quote_id: int, *,
                      for_update: bool = False) -> Quote:
    statement = select(Quote).where(col(Quote.id) == quote_id, _visible(principal))
    if for_update:
        statement = statement.with_for_update()
    quote = (await session.execute(statement)).scalar_one_or_none()
    if quote is None:
        raise QuoteNotFound(f"No quote {quote_id}.")
    return quote


async def customer_id_of(session: AsyncSession, quote_id: int) -> int | None:
    """Whose quote it is (never changes), read without a lock: to lock the customer first."""
    return await session.scalar(select(col(Quote.customer_id)).where(col(Quote.id) == quote_id))


async def lines_of(session: AsyncSession, quote_id: int) -> list[QuoteLine]:
    return (await lines_by_quote(session, [quote_id])).get(quote_id, [])


async def lines_by_quote(session: AsyncSession, quote_ids: list[int]
                         ) -> dict[int, list[QuoteLine]]:
    grouped: dict[int, list[QuoteLine]] = {}
    if quote_ids:
        for line in (await session.execute(select(QuoteLine).where(
                col(QuoteLine.quote_id).in_(quote_ids))
                .order_by(col(QuoteLine.quote_id), col(QuoteLine.line_no)))).scalars():
            grouped.setdefault(line.quote_id, []).append(line)
    return grouped


async def contract_ids(session: AsyncSession, quote_ids: list[int]) -> dict[int, int]:
    """The contract drafted from each accepted quote of a page, in one query."""
    if not quote_ids:
        return {}
    rows = await session.execute(select(_CONTRACT.c.quote_id, _CONTRACT.c.id).where(
        _CONTRACT.c.quote_id.in_(quote_ids)))
    return {quote_id: contract_id for quote_id, contract_id in rows.all()}


SORTS = Sorts("Quote", {
    "created_at": col(Quote.created_at), "updated_at": col(Quote.updated_at),
    "number": col(Quote.number), "valid_until": col(Quote.valid_until),
    "total": col(Quote.total), "title": col(Quote.title),
}, tiebreaker=col(Quote.id))


async def list_quotes(
    session: AsyncSession, principal: Principal, *, status: QuoteStatus | None,
    customer_id: int | None, opportunity_id: int | None, owner_id: str | None,
    number: str | None, now: datetime, department_id: str | None = None,
    created_from: date | None = None, created_to: date | None = None,
    amount_from: Decimal | None = None, amount_to: Decimal | None = None,
    q: str | None = None, page: ListRequest,
) -> Listed[Quote]:
    """Visible quotes, newest first. The status filter uses the status as of today, so a
    sent quote past its validity is listed as expired before the sweep gets to it."""
    statement = select(Quote).where(_visible(principal))
    if status is not None:
        today = local_date(now)
        lapsed = and_(col(Quote.status).in_(EXPIRING), col(Quote.valid_until) < today)
        if status == QuoteStatus.expired:
            statement = statement.where(or_(col(Quote.status) == status, lapsed))
        elif status in EXPIRING:
            statement = statement.where(col(Quote.status) == status,
                                        col(Quote.valid_until) >= today)
        else:
            statement = statement.where(col(Quote.status) == status)
    if customer_id is not None:
        statement = statement.where(col(Quote.customer_id) == customer_id)
    if opportunity_id is not None:
        statement = statement.where(col(Quote.opportunity_id) == opportunity_id)
    if owner_id is not None:
        statement = statement.where(col(Quote.owner_id) == owner_id)
    if number is not None:
        statement = statement.where(number_is(col(Quote.number), number))
    statement = where_equal(statement, (col(Quote.department_id), department_id))
    statement = where_range(
        statement, col(Quote.created_at),
        local_day_start(created_from) if created_from else None,
        local_day_start(created_to + timedelta(days=1)) if created_to else None,
        last_excluded=True)
    statement = where_range(statement, col(Quote.total), amount_from, amount_to)
    if q:
        statement = statement.where(
            text_contains(q, *number_searched(q, Quote.number), Quote.title,
                          Quote.customer_name))
    return await SORTS.page(session, statement, page)


async def create(session: AsyncSession, principal: Principal, *, data: QuoteCreate,
                 now: datetime) -> Quote:
    """Draft a quote for one of the caller's customers; prices default to the list. It gets
    the year's next quote number (BJ-2026-000001)."""
    if not may_edit(principal):
        raise QuoteForbidden("Your roles do not draft quotes.")
    try:
        # Locked for its name, which the quote stores (customers.CustomerLock).
        customer = await customers.get_visible(session, principal, data.customer_id,
                                               lock="share")
    except CustomerNotFound as exc:
        raise UnknownCustomer(f"No customer {data.customer_id} of yours.") from exc
    assert customer.id is not None  # loaded from the database
    if data.opportunity_id is not None:
        await _ensure_opportunity(session, principal, data.opportunity_id, customer.id)
    _ensure_rate(data.currency, data.exchange_rate)
    today = local_date(now)
    valid_until = data.valid_until or today + DEFAULT_VALIDITY
    _ensure_valid_from(valid_until, today)
    lines = await price_lines(session, data.lines, data.exchange_rate)
    # number: taken below, once every check has passed (it locks the year's counter).
    quote = Quote(  # type: ignore[call-arg]
        customer_id=customer.id, customer_name=customer.name,
        opportunity_id=data.opportunity_id, department_id=customer.department_id,
        owner_id=customer.owner_id, title=data.title,
        currency=data.currency, exchange_rate=data.exchange_rate, valid_until=valid_until,
        notes=data.notes, created_by=principal.sub, subtotal=Decimal(0), tax_total=Decimal(0),
        total=Decimal(0), total_base=Decimal(0), max_discount_percent=Decimal(0))
    apply_quote_totals(quote, lines)
    quote.number = await next_number(session, ENTITY, on=today)
    await _insert(session, quote, lines)
    assert quote.id is not None  # assigned by the flush
    quote.root_id = quote.id
    record_change(session, principal, event_type="quote.created", entity_type=ENTITY,
                  entity_id=quote.id, before=None, after=summary(quote))
    await commit(session)
    return quote


async def update(session: AsyncSession, principal: Principal, *, quote_id: int,
                 data: QuoteUpdate, expected_version: int | None, now: datetime) -> Quote:
    quote = await _editable(session, principal, quote_id, expected_version)
    if quote.status not in EDITABLE:
        raise QuoteLocked(f"The quote is {quote.status.value}.", status_now=quote.status.value)
    changes = {field: value for field, value in
               data.model_dump(exclude_unset=True, exclude={"lines"}).items()
               if getattr(quote, field) != value}
    if not changes and data.lines is None:
        return quote  # nothing to change: no new version, no event
    currency = changes.get("currency", quote.currency)
    rate = changes.get("exchange_rate", quote.exchange_rate)
    if (currency, rate) != (quote.currency, quote.exchange_rate) and data.lines is None:
        raise LinesRequired()
    _ensure_rate(currency, rate)
    if "valid_until" in changes:
        _ensure_valid_from(changes["valid_until"], local_date(now))
    before = summary(quote)
    for field, value in changes.items():
        setattr(quote, field, value)
    assert quote.id is not None  # loaded from the database
    if data.lines is not None:
        for old in await lines_of(session, quote.id):
            await session.delete(old)
        lines = await price_lines(session, data.lines, rate)
        for line in lines:
            line.quote_id = quote.id
        session.add_all(lines)
        apply_quote_totals(quote, lines)
    bump_version(quote)
    record_change(session, principal, event_type="quote.updated", entity_type=ENTITY,
                  entity_id=quote.id, before=before, after=summary(quote))
    await commit(session)
    return quote


async def submit(session: AsyncSession, principal: Principal, *, quote_id: int,
                 expected_version: int | None, now: datetime) -> Quote:
    """Send a draft into discount approval. Within the rep's own authority the engine
    approves it at once; otherwise the band's approver (the GM for a line below its
    floor price) decides."""
    quote = await _editable(session, principal, quote_id, expected_version)
    ensure_transition(quote.status, QuoteStatus.pending_approval)
    if quote.valid_until < local_date(now):
        raise QuoteExpired(f"The quote was valid until {quote.valid_until}; move the date "
                           "first.")
    await submit_document(session, principal, quote, now=now)
    return quote


async def recall(session: AsyncSession, principal: Principal, *, quote_id: int,
                 now: datetime, expected_version: int | None = None) -> Quote:
    # Not locked here (recall_document says why).
    quote = await get_visible(session, principal, quote_id)
    ensure_version(quote.version, expected_version)
    await recall_document(session, principal, quote, now=now)
    return quote


async def send(session: AsyncSession, principal: Principal, *, quote_id: int,
               expected_version: int | None, now: datetime) -> Quote:
    """The approved quote has gone to the customer."""
    quote = await _live(session, principal, quote_id, expected_version, now)
    move(session, principal, quote, QuoteStatus.sent, "quote.sent", sent_at=now)
    await commit(session)
    return quote


async def accept(session: AsyncSession, principal: Principal, *, quote_id: int,
                 expected_version: int | None, now: datetime) -> Quote:
    """The customer accepted the quote within its validity; a contract can be drafted
    from it."""
    quote = await _live(session, principal, quote_id, expected_version, now)
    move(session, principal, quote, QuoteStatus.accepted, "quote.accepted", accepted_at=now)
    await commit(session)
    return quote


async def decline(session: AsyncSession, principal: Principal, *, quote_id: int, reason: str,
                  expected_version: int | None, now: datetime) -> Quote:
    quote = await _live(session, principal, quote_id, expected_version, now)
    move(session, principal, quote, QuoteStatus.declined, "quote.declined", declined_at=now,
         decline_reason=reason)
    await commit(session)
    return quote


async def revise(session: AsyncSession, principal: Principal, *, quote_id: int,
                 expected_version: int | None, now: datetime) -> Quote:
    """Copy the quote into version n+1, a draft with the same lines that goes through
    approval again; version n is superseded and can no longer be accepted. The quote keeps
    its number."""
    # The customer's lock before the quote's (the order customers.CustomerLock explains): the
    # revision stores the customer's name.
    customer_name = await customers.locked_name(session, await customer_id_of(session, quote_id))
    quote = await _editable(session, principal, quote_id, expected_version)
    assert quote.id is not None  # loaded from the database
    today = local_date(now)
    current = status_on(quote, today)
    if current not in REVISABLE:
        ensure_transition(current, QuoteStatus.superseded)  # says what is allowed instead
    revision = Quote(**{field: getattr(quote, field) for field in (
        "number", "customer_id", "opportunity_id", "department_id", "owner_id", "title",
        "currency", "exchange_rate", "subtotal", "tax_total", "total", "total_base",
        "max_discount_percent", "below_floor", "notes", "root_id")},
        customer_name=customer_name or quote.customer_name,
        valid_until=quote.valid_until if quote.valid_until >= today
        else today + DEFAULT_VALIDITY,
        revision=quote.revision + 1, predecessor_id=quote.id, created_by=principal.sub)
    await _insert(session, revision, [QuoteLine(**{k: getattr(line, k) for k in LINE_FIELDS})
                                      for line in await lines_of(session, quote.id)])
    assert revision.id is not None  # assigned by the flush
    move(session, principal, quote, QuoteStatus.superseded, "quote.superseded",
         successor_id=revision.id, event_extra={"successor_id": revision.id})
    record_change(session, principal, event_type="quote.revised", entity_type=ENTITY,
                  entity_id=revision.id, before=None, after=summary(revision),
                  event_data={**summary(revision), "predecessor_id": quote.id})
    await commit(session)
    return revision


async def history(session: AsyncSession, principal: Principal, *, quote_id: int) -> list[Quote]:
    quote = await get_visible(session, principal, quote_id)
    return list((await session.execute(select(Quote).where(
        col(Quote.root_id) == quote.root_id).order_by(col(Quote.revision)))).scalars())


def move(session: AsyncSession, principal: Principal, quote: Quote, target: QuoteStatus,
         event_type: str, *, event_extra: dict | None = None, **fields: object) -> None:
    """Move the quote to `target` with its audit row and event, in the caller's transaction
    (commands, the approval adapter and the expiry sweep)."""
    ensure_transition(quote.status, target)
    assert quote.id is not None  # loaded from the database
    before = summary(quote)
    apply_changes(quote, {"status": target, **fields})
    after = summary(quote)
    record_change(session, principal, event_type=event_type, entity_type=ENTITY,
                  entity_id=quote.id, before=before, after=after,
                  event_data={**after, **event_extra} if event_extra else None)


def allowed_actions(quote: Quote, principal: Principal, approval_actions: list[str], *,
                    today: date, has_contract: bool) -> list[str]:
    """What the caller may do now: the same rules the commands enforce."""
    status = status_on(quote, today)
    actions: list[str] = []
    if status == QuoteStatus.pending_approval:
        actions += [a for a in approval_actions if a in ("approve", "reject", "recall")]
    if not may_edit(principal):
        return actions
    if status == QuoteStatus.draft:
        actions += ["update", "submit"]
    if status == QuoteStatus.approved:
        actions.append("send")
    if status == QuoteStatus.sent:
        actions += ["accept", "decline"]
    if status in REVISABLE:
        actions.append("revise")
    if status == QuoteStatus.accepted and not has_contract:
        actions.append("create_contract")
    return actions


async def _insert(session: AsyncSession, quote: Quote, lines: list[QuoteLine]) -> None:
    session.add(quote)
    await session.flush()
    assert quote.id is not None  # assigned by the flush
    for line in lines:
        line.quote_id = quote.id
    session.add_all(lines)


async def _editable(session: AsyncSession, principal: Principal, quote_id: int,
                    expected_version: int | None) -> Quote:
    quote = await get_visible(session, principal, quote_id, for_update=True)
    if not may_edit(principal):
        raise QuoteForbidden()
    ensure_version(quote.version, expected_version)
    return quote


async def _live(session: AsyncSession, principal: Principal, quote_id: int,
                expected_version: int | None, now: datetime) -> Quote:
    """An editable quote that has not lapsed: past valid_until it can be neither sent,
    accepted nor declined, only revised."""
    quote = await _editable(session, principal, quote_id, expected_version)
    if status_on(quote, local_date(now)) == QuoteStatus.expired:
        raise QuoteExpired(f"The quote was valid until {quote.valid_until}.",
                           valid_until=quote.valid_until.isoformat())
    return quote


async def _ensure_opportunity(session: AsyncSession, principal: Principal, opportunity_id: int,
                              customer_id: int) -> None:
    try:
        opportunity = await opportunities.get_visible(session, principal, opportunity_id)
    except OpportunityNotFound as exc:
        raise OpportunityMismatch(f"No opportunity {opportunity_id} of yours.") from exc
    if opportunity.customer_id != customer_id or opportunity.stage not in OPEN_STAGES:
        raise OpportunityMismatch(
            f"Opportunity {opportunity_id} is {opportunity.stage.value}, for customer "
            f"{opportunity.customer_id}.")


def _ensure_rate(currency: str, rate: Decimal) -> None:
    if currency == BASE_CURRENCY and rate != 1:
        raise BaseCurrencyRate()


def _ensure_valid_from(valid_until: date, today: date) -> None:
    if valid_until < today:
        raise ValidityInPast(f"valid_until {valid_until} is before today ({today}).")
