from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Integer, column, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals import requests as approvals
from app.approvals.documents import recall_document, submit_document
from app.approvals.models import ApprovalRequest
from app.approvals.policy import DocumentFacts
from app.approvals.registry import SubmittedDocument
from app.calendar.working_time import local_date, local_day_start
from app.contracts.errors import (
    AmendmentExists,
    BaseCurrencyRate,
    ContractForbidden,
    ContractLocked,
    ContractNotFound,
    NoTerminationPending,
    PaymentScheduleInvalid,
    QuoteAlreadyContracted,
    QuoteAlreadyOrdered,
    QuoteNotAccepted,
    TerminationPending,
    UnknownCustomer,
    UnknownProduct,
    UnknownQuote,
)
from app.contracts.models import Contract, ContractLine, ContractStatus
from app.contracts.schemas import (
    ContractCreate,
    ContractLineIn,
    ContractSummary,
    ContractUpdate,
    PaymentMilestone,
    SignBody,
)
from app.contracts.states import EDITABLE, ensure_transition
from app.core.db import commit, flush_or_raise
from app.core.errors import InvalidTransition, UnprocessableEntity
from app.core.filters import where_equal, where_range
from app.core.numbering import next_number, number_is, number_searched
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import SALES_WORKING_ROLES, visible
from app.core.pricing import BASE_CURRENCY, apply_totals, line_amounts
from app.core.search import text_contains
from app.core.security import Principal
from app.core.versioning import bump_version, ensure_version
from app.customers import service as customers
from app.customers.errors import CustomerNotFound
from app.events.changes import record_change
from app.products.service import active_by_ids
from app.quotes import service as quotes
from app.quotes.errors import QuoteNotFound
from app.quotes.models import Quote, QuoteStatus

ENTITY = "contract"
TERMINATION = "contract_termination"
# Orders call off contracts (the orders domain imports this one), so the orders placed from
# a quote directly are read from their table by name, not through the model.
_ORDER = table("sales_order", column("id", Integer), column("quote_id", Integer),
               column("status"))
QUOTED_LINE_FIELDS = ("line_no", "product_id", "description", "quantity", "unit_price",
                      "discount_percent", "tax_rate", "net_amount", "tax_amount", "total_amount")


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=Contract.owner_id,
                   department_column=Contract.department_id)


def may_edit(principal: Principal) -> bool:
    return principal.has(*SALES_WORKING_ROLES)


async def get_visible(session: AsyncSession, principal: Principal, contract_id: int, *,
                      for_update: bool = False) -> Contract:
    statement = select(Contract).where(col(Contract.id) == contract_id, _visible(principal))
    if for_update:
        statement = statement.with_for_update()
    contract = (await session.execute(statement)).scalar_one_or_none()
    if contract is None:
        raise ContractNotFound(f"No contract {contract_id}.")
    return contract


async def lines_of(session: AsyncSession, contract_id: int) -> list[ContractLine]:
    return list((await session.execute(select(ContractLine).where(
        col(ContractLine.contract_id) == contract_id)
        .order_by(col(ContractLine.line_no)))).scalars())


async def lines_by_contract(session: AsyncSession, contract_ids: list[int]
                            ) -> dict[int, list[ContractLine]]:
    grouped: dict[int, list[ContractLine]] = {}
    if contract_ids:
        for line in (await session.execute(select(ContractLine).where(
                col(ContractLine.contract_id).in_(contract_ids))
                .order_by(col(ContractLine.contract_id), col(ContractLine.line_no)))).scalars():
            grouped.setdefault(line.contract_id, []).append(line)
    return grouped


SORTS = Sorts("Contract", {
    "created_at": col(Contract.created_at), "updated_at": col(Contract.updated_at),
    "number": col(Contract.number), "total": col(Contract.total),
    "signed_date": col(Contract.signed_date), "delivery_date": col(Contract.delivery_date),
    "title": col(Contract.title),
}, tiebreaker=col(Contract.id))


async def list_contracts(
    session: AsyncSession, principal: Principal, *, status: ContractStatus | None,
    customer_id: int | None, number: str | None, owner_id: str | None = None,
    department_id: str | None = None, created_from: date | None = None,
    created_to: date | None = None, signed_from: date | None = None,
    signed_to: date | None = None, amount_from: Decimal | None = None,
    amount_to: Decimal | None = None, q: str | None = None, page: ListRequest,
) -> Listed[Contract]:
    statement = select(Contract).where(_visible(principal))
    statement = where_equal(statement, (col(Contract.owner_id), owner_id),
                            (col(Contract.department_id), department_id))
    statement = where_range(
        statement, col(Contract.created_at),
        local_day_start(created_from) if created_from else None,
        local_day_start(created_to + timedelta(days=1)) if created_to else None,
        last_excluded=True)
    statement = where_range(statement, col(Contract.signed_date), signed_from, signed_to)
    statement = where_range(statement, col(Contract.total), amount_from, amount_to)
    if q:
        statement = statement.where(
            text_contains(q, *number_searched(q, Contract.number), Contract.title,
                          Contract.customer_name))
    if status is not None:
        statement = statement.where(col(Contract.status) == status)
    if customer_id is not None:
        statement = statement.where(col(Contract.customer_id) == customer_id)
    if number is not None:
        statement = statement.where(number_is(col(Contract.number), number))
    return await SORTS.page(session, statement, page)


async def create(session: AsyncSession, principal: Principal, *, data: ContractCreate,
                 now: datetime) -> Contract:
    """Draft a contract: directly, or from an accepted quote with its customer, lines and
    currency. It gets the next contract number of the year (HT-2026-000123)."""
    if not may_edit(principal):
        raise ContractForbidden("Your roles do not draft contracts.")
    _ensure_schedule(data.payment_schedule)
    if data.quote_id is not None:
        # The customer's lock before the quote's (the order customers.CustomerLock
        # explains): the contract stores the customer's name.
        await customers.locked_name(session, await quotes.customer_id_of(session, data.quote_id))
        quote, lines = await _from_quote(session, principal, data.quote_id)
        customer_id, title = quote.customer_id, data.title or quote.title
        currency, rate = quote.currency, quote.exchange_rate
    else:
        assert data.customer_id and data.title and data.lines  # the schema requires them
        customer_id, title = data.customer_id, data.title
        currency, rate = data.currency or BASE_CURRENCY, data.exchange_rate or Decimal(1)
        _ensure_rate(currency, rate)
        lines = await _priced_lines(session, data.lines)
    try:
        customer = await customers.get_visible(session, principal, customer_id, lock="share")
    except CustomerNotFound as exc:
        raise UnknownCustomer(f"No customer {customer_id} of yours.") from exc
    assert customer.id is not None  # loaded from the database
    # number: taken below, once every check has passed (it locks the year's counter).
    contract = Contract(  # type: ignore[call-arg]
        customer_id=customer.id, customer_name=customer.name, quote_id=data.quote_id,
        department_id=customer.department_id, owner_id=customer.owner_id, title=title,
        currency=currency, exchange_rate=rate, delivery_date=data.delivery_date,
        clauses=data.clauses, major_interest=data.major_interest,
        payment_schedule=[m.model_dump(mode="json") for m in data.payment_schedule],
        created_by=principal.sub, subtotal=Decimal(0), tax_total=Decimal(0), total=Decimal(0),
        total_base=Decimal(0))
    apply_totals(contract, lines)
    contract.number = await next_number(session, ENTITY, on=local_date(now))
    session.add(contract)
    if data.quote_id is not None:
        # Two drafts from one quote at once: the unique quote_id lets one through.
        await flush_or_raise(session, QuoteAlreadyContracted())
    else:
        await session.flush()
    assert contract.id is not None  # assigned by the flush
    contract.root_id = contract.id
    for line in lines:
        line.contract_id = contract.id
    session.add_all(lines)
    record_change(session, principal, event_type="contract.created", entity_type=ENTITY,
                  entity_id=contract.id, before=None, after=summary(contract),
                  event_data={**summary(contract), "quote_id": contract.quote_id})
    await commit(session)
    return contract


async def _from_quote(session: AsyncSession, principal: Principal, quote_id: int
                      ) -> tuple[Quote, list[ContractLine]]:
    """The accepted quote (locked) and its lines, priced as the customer accepted them."""
    try:
        quote = await quotes.get_visible(session, principal, quote_id, for_update=True)
    except QuoteNotFound as exc:
        raise UnknownQuote(f"No quote {quote_id} of yours.") from exc
    if quote.status != QuoteStatus.accepted:
        raise QuoteNotAccepted(f"Quote {quote_id} is {quote.status.value}.",
                               quote_status=quote.status.value)
    existing = await session.scalar(select(col(Contract.id)).where(
        col(Contract.quote_id) == quote_id))
    if existing is not None:
        raise QuoteAlreadyContracted(f"Contract {existing} was drafted from quote {quote_id}.",
                                     contract_id=existing)
    ordered = await session.scalar(select(_ORDER.c.id).where(
        _ORDER.c.quote_id == quote_id, _ORDER.c.status != literal_column("'cancelled'")).limit(1))
    if ordered is not None:
        # Its goods are being ordered without a contract: a contract would order them twice.
        raise QuoteAlreadyOrdered(f"Order {ordered} was placed from quote {quote_id}.",
                                  order_id=ordered)
    return quote, [ContractLine(**{field: getattr(line, field) for field in QUOTED_LINE_FIELDS})
                   for line in await quotes.lines_of(session, quote_id)]


async def update(session: AsyncSession, principal: Principal, *, contract_id: int,
                 data: ContractUpdate, expected_version: int | None) -> Contract:
    contract = await _editable(session, principal, contract_id, expected_version)
    assert contract.id is not None  # loaded from the database
    if contract.status not in EDITABLE:
        raise ContractLocked(f"The contract is {contract.status.value}.",
                             status_now=contract.status.value)
    changes = data.model_dump(exclude_unset=True, exclude={"lines", "payment_schedule"})
    before = summary(contract)
    currency = changes.get("currency", contract.currency)
    rate = changes.get("exchange_rate", contract.exchange_rate)
    _ensure_rate(currency, rate)
    for field, value in changes.items():
        setattr(contract, field, value)
    if data.payment_schedule is not None:
        _ensure_schedule(data.payment_schedule)
        contract.payment_schedule = [m.model_dump(mode="json") for m in data.payment_schedule]
    lines = await lines_of(session, contract.id)
    if data.lines is not None:
        for old in lines:
            await session.delete(old)
        lines = await _priced_lines(session, data.lines)
        for line in lines:
            line.contract_id = contract.id
        session.add_all(lines)
    apply_totals(contract, lines)
    bump_version(contract)
    record_change(session, principal, event_type="contract.updated", entity_type=ENTITY,
                  entity_id=contract.id, before=before, after=summary(contract))
    await commit(session)
    return contract


async def submit(session: AsyncSession, principal: Principal, *, contract_id: int,
                 expected_version: int | None, now: datetime) -> Contract:
    """Send a draft into approval; the chain comes from the policy as of now."""
    contract = await _editable(session, principal, contract_id, expected_version)
    await submit_document(session, principal, contract, now=now)
    return contract


async def recall(session: AsyncSession, principal: Principal, *, contract_id: int,
                 now: datetime, expected_version: int | None = None) -> Contract:
    # Not locked here (recall_document says why).
    contract = await get_visible(session, principal, contract_id)
    ensure_version(contract.version, expected_version)
    await recall_document(session, principal, contract, now=now)
    return contract


async def sign(session: AsyncSession, principal: Principal, *, contract_id: int, data: SignBody,
               expected_version: int | None, now: datetime) -> Contract:
    """Record the signing of an approved contract; it becomes effective. Signing an
    amendment voids the version it replaces."""
    contract = await _editable(session, principal, contract_id, expected_version)
    ensure_transition(contract.status, ContractStatus.signed)
    if data.signed_date > now.date():
        raise UnprocessableEntity("The signing date cannot be in the future.")
    if {s.party for s in data.signatories} != {"customer", "company"}:
        raise UnprocessableEntity("Both the customer and the company must sign.")
    assert contract.id is not None  # loaded from the database
    before = summary(contract)
    contract.status, contract.signed_date = ContractStatus.signed, data.signed_date
    contract.signatories = [s.model_dump(mode="json") for s in data.signatories]
    bump_version(contract)
    record_change(session, principal, event_type="contract.signed", entity_type=ENTITY,
                  entity_id=contract.id, before=before, after=summary(contract))
    if contract.predecessor_id is not None:
        await _void(session, principal, contract.predecessor_id, successor=contract, now=now)
    await commit(session)
    return contract


async def _void(session: AsyncSession, principal: Principal, contract_id: int, *,
                successor: Contract, now: datetime) -> None:
    previous = await session.get(Contract, contract_id, with_for_update=True)
    assert previous is not None and previous.id is not None
    ensure_transition(previous.status, ContractStatus.voided)
    before = summary(previous)
    previous.status, previous.voided_at, previous.successor_id = (
        ContractStatus.voided, now, successor.id)
    bump_version(previous)
    record_change(session, principal, event_type="contract.voided", entity_type=ENTITY,
                  entity_id=previous.id, before=before, after=summary(previous),
                  event_data={**summary(previous), "successor_id": successor.id})


async def amend(session: AsyncSession, principal: Principal, *, contract_id: int,
                expected_version: int | None) -> Contract:
    """Copy a signed contract into revision n+1, a draft that goes through approval on its
    new total; when it is signed, revision n is voided. It keeps the contract's number."""
    # The customer's lock before the contract's (the order customers.CustomerLock explains):
    # the amendment stores the customer's name.
    customer_name = await customers.locked_name(session, await session.scalar(
        select(col(Contract.customer_id)).where(col(Contract.id) == contract_id)))
    contract = await _editable(session, principal, contract_id, expected_version)
    assert contract.id is not None  # loaded from the database
    if contract.status != ContractStatus.signed:
        raise InvalidTransition(f"Only a signed contract can be amended; this one is "
                                f"{contract.status.value}.", current_status=contract.status.value)
    if contract.termination_reason is not None:
        raise TerminationPending()
    if await session.scalar(select(col(Contract.id)).where(
            col(Contract.predecessor_id) == contract.id)):
        raise AmendmentExists()
    amendment = Contract(**{
        field: getattr(contract, field) for field in (
            "number", "customer_id", "department_id", "owner_id", "title", "currency",
            "exchange_rate", "subtotal", "tax_total", "total", "total_base", "delivery_date",
            "clauses", "major_interest", "payment_schedule", "root_id")},
        customer_name=customer_name or contract.customer_name, revision=contract.revision + 1,
        predecessor_id=contract.id, created_by=principal.sub)
    session.add(amendment)
    await session.flush()
    assert amendment.id is not None  # assigned by the flush
    session.add_all([ContractLine(**{k: getattr(line, k) for k in (
        "line_no", "product_id", "description", "quantity", "unit_price", "discount_percent",
        "tax_rate", "net_amount", "tax_amount", "total_amount")}, contract_id=amendment.id)
        for line in await lines_of(session, contract.id)])
    record_change(session, principal, event_type="contract.amended", entity_type=ENTITY,
                  entity_id=contract.id, before=None, after=summary(amendment),
                  event_data={**summary(contract), "amendment_id": amendment.id,
                              "amendment_revision": amendment.revision})
    await commit(session)
    return amendment


async def history(session: AsyncSession, principal: Principal, *, contract_id: int
                  ) -> list[Contract]:
    contract = await get_visible(session, principal, contract_id)
    return list((await session.execute(select(Contract).where(
        col(Contract.root_id) == contract.root_id).order_by(col(Contract.revision)))).scalars())


async def request_termination(session: AsyncSession, principal: Principal, *, contract_id: int,
                              reason: str, expected_version: int | None,
                              now: datetime) -> Contract:
    """Ask to terminate a signed contract: dept head → finance ∥ legal → GM by default.
    The contract stays signed (and in force) until the termination is approved."""
    contract = await _editable(session, principal, contract_id, expected_version)
    if contract.status != ContractStatus.signed:
        raise InvalidTransition(f"Only a signed contract can be terminated; this one is "
                                f"{contract.status.value}.", current_status=contract.status.value)
    if contract.termination_reason is not None:
        raise TerminationPending()
    before = summary(contract)
    contract.termination_reason = reason
    bump_version(contract)

    def requested(request: ApprovalRequest) -> None:
        assert contract.id is not None  # loaded from the database
        contract.termination_request_id = request.id
        record_change(session, principal, event_type="contract.termination_requested",
                      entity_type=ENTITY, entity_id=contract.id, before=before,
                      after=summary(contract),
                      event_data={**summary(contract), "termination_request_id": request.id,
                                  "reason": reason})

    await approvals.open_request(session, principal, document=describe_termination(contract),
                                 now=now, opened=requested)
    await commit(session)
    return contract


async def recall_termination(session: AsyncSession, principal: Principal, *, contract_id: int,
                             now: datetime, expected_version: int | None = None) -> Contract:
    """The requester takes a pending termination back; the contract stays in force."""
    # Not locked here, as in `recall`: the request is locked first and the contract after
    # it (by the adapter), in the order every decision takes them.
    contract = await get_visible(session, principal, contract_id)
    ensure_version(contract.version, expected_version)
    if not _termination_pending(contract):
        raise NoTerminationPending()
    assert contract.termination_request_id is not None
    await approvals.withdraw(session, principal, request_id=contract.termination_request_id,
                             now=now)
    await commit(session)
    return contract


def _termination_pending(contract: Contract) -> bool:
    return contract.status == ContractStatus.signed and contract.termination_reason is not None


def describe_termination(contract: Contract) -> SubmittedDocument:
    assert contract.id is not None  # loaded from the database
    return SubmittedDocument(
        document_type=TERMINATION, document_id=contract.id, document_version=contract.version,
        title=f"解除: {contract.title}", owner_id=contract.owner_id,
        facts=DocumentFacts(policy_key="contract_termination", amount=contract.total_base,
                            department_id=contract.department_id))


def allowed_actions(contract: Contract, principal: Principal, approval_actions: list[str],
                    termination_actions: list[str]) -> list[str]:
    """What the caller may do now: the same rules the commands enforce. The approval
    actions are the caller's on the contract's approval request and on its termination's."""
    actions: list[str] = []
    editor = may_edit(principal)
    status = contract.status
    if editor and status == ContractStatus.draft:
        actions += ["update", "submit"]
    if status == ContractStatus.pending_approval:
        actions += [a for a in approval_actions if a in ("approve", "reject", "recall")]
    if editor and status == ContractStatus.approved:
        actions.append("sign")
    if editor and status == ContractStatus.signed and contract.termination_reason is None:
        actions += ["amend", "terminate"]
    if _termination_pending(contract) and "recall" in termination_actions:
        actions.append("recall_termination")
    return actions


async def _editable(session: AsyncSession, principal: Principal, contract_id: int,
                    expected_version: int | None) -> Contract:
    contract = await get_visible(session, principal, contract_id, for_update=True)
    if not may_edit(principal):
        raise ContractForbidden()
    ensure_version(contract.version, expected_version)
    return contract


async def _priced_lines(session: AsyncSession, lines: list[ContractLineIn]) -> list[ContractLine]:
    products, missing = await active_by_ids(session, {line.product_id for line in lines})
    if missing:
        raise UnknownProduct(f"Unknown or inactive products: {missing}.", product_ids=missing)
    priced = []
    for number, line in enumerate(lines, 1):
        product = products[line.product_id]
        unit_price = line.unit_price if line.unit_price is not None else product.list_price
        tax_rate = line.tax_rate if line.tax_rate is not None else product.tax_rate
        amounts = line_amounts(quantity=line.quantity, unit_price=unit_price,
                               discount_percent=line.discount_percent, tax_rate=tax_rate)
        assert product.id is not None  # loaded from the database
        # contract_id: the caller sets it once the contract has its id.
        priced.append(ContractLine(  # type: ignore[call-arg]
            line_no=number, product_id=product.id, description=line.description or product.name,
            quantity=line.quantity, unit_price=unit_price, discount_percent=line.discount_percent,
            tax_rate=tax_rate, net_amount=amounts.net, tax_amount=amounts.tax,
            total_amount=amounts.total))
    return priced


def _ensure_schedule(milestones: list[PaymentMilestone]) -> None:
    total = sum((m.percent for m in milestones), Decimal(0))
    if total != 100:
        raise PaymentScheduleInvalid(f"The milestones add up to {total} %, not 100 %.",
                                     percent_total=f"{total:.2f}")


def _ensure_rate(currency: str, rate: Decimal) -> None:
    if currency == BASE_CURRENCY and rate != 1:
        raise BaseCurrencyRate()



def summary(contract: Contract) -> dict:
    assert contract.id is not None  # flushed or loaded
    return ContractSummary(id=contract.id, number=contract.number, status=contract.status,
                           revision=contract.revision, total=f"{contract.total:.2f}",
                           total_base=f"{contract.total_base:.2f}",
                           version=contract.version).model_dump(mode="json")


