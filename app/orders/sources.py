"""Where an order's lines come from, and how much of it is left.

An order calls off a signed contract, or (where the approval policy's `orders_from_quotes`
allows) is placed from a quote. Each line names the contract or quote line it takes, and
only its quantity: price, discount and tax are that line's.

What remains of a contract is what its orders that are not cancelled, drafts included,
have not taken: per line in quantity, and in amount. An amendment (revision n+1) restates
the whole contract, so the orders of every revision count against it, per product in
quantity and in amount; quotes and their revisions likewise. The contract's (or quote's)
row is locked while this is counted and the order written, so two call-offs at once cannot
both take the last units.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals.requests import current_policy
from app.contracts import service as contracts
from app.contracts.errors import ContractNotFound
from app.contracts.models import Contract, ContractLine, ContractStatus
from app.core.money import format_decimal
from app.core.pricing import LineAmounts, line_amounts
from app.core.security import Principal
from app.orders.errors import (
    AmountExceedsRemaining,
    ContractNotOpen,
    QuantityExceedsRemaining,
    QuoteContracted,
    QuoteNotOrderable,
    UnknownContract,
    UnknownQuote,
    UnknownSourceLine,
)
from app.orders.models import Order, OrderLine, OrderStatus
from app.orders.schemas import OrderLineIn
from app.quotes import service as quotes
from app.quotes.errors import QuoteNotFound
from app.quotes.models import Quote, QuoteLine
from app.quotes.states import status_on

ZERO = Decimal("0")
# Copied from the source line onto the order line.
PRICE_FIELDS = ("product_id", "description", "unit_price", "discount_percent", "tax_rate")


@dataclass
class Source:
    """The contract or quote an order draws on, loaded (and locked) with its lines."""

    document: Contract | Quote
    lines: dict[int, ContractLine | QuoteLine]
    revision_ids: list[int] = field(default_factory=list)  # every revision of the document

    @property
    def is_contract(self) -> bool:
        return isinstance(self.document, Contract)

    @property
    def line_column(self) -> Any:
        return col(OrderLine.contract_line_id) if self.is_contract else col(OrderLine.quote_line_id)

    @property
    def order_column(self) -> Any:
        return col(Order.contract_id) if self.is_contract else col(Order.quote_id)

    def prepayment_percent(self) -> Decimal:
        """A contract's prepayment milestones; an order from a quote pays nothing before."""
        if not isinstance(self.document, Contract):
            return ZERO
        return sum((Decimal(str(m["percent"])) for m in self.document.payment_schedule
                    if m.get("kind") == "prepayment"), ZERO)


async def load(session: AsyncSession, principal: Principal, *, contract_id: int | None,
               quote_id: int | None, today: date, lock: bool = True) -> Source:
    """The contract or quote (locked), if the caller may see it and it takes orders now."""
    if contract_id is not None:
        try:
            contract = await contracts.get_visible(session, principal, contract_id,
                                                   for_update=lock)
        except ContractNotFound as exc:
            raise UnknownContract(f"No contract {contract_id} of yours.") from exc
        ensure_contract_open(contract)
        lines: list[Any] = await contracts.lines_of(session, contract_id)
        document: Contract | Quote = contract
    else:
        assert quote_id is not None  # the schema requires one of them
        try:
            quote = await quotes.get_visible(session, principal, quote_id, for_update=lock)
        except QuoteNotFound as exc:
            raise UnknownQuote(f"No quote {quote_id} of yours.") from exc
        await ensure_quote_orderable(session, quote, today)
        lines = await quotes.lines_of(session, quote_id)
        document = quote
    assert document.id is not None  # loaded from the database
    source = Source(document, {line.id: line for line in lines}, [document.id])
    if document.revision > 1:
        model: Any = type(document)
        source.revision_ids = list((await session.execute(select(model.id).where(
            model.root_id == document.root_id))).scalars())
    return source


def ensure_contract_open(contract: Contract) -> None:
    if contract.status != ContractStatus.signed or contract.termination_reason is not None:
        state = ("being terminated" if contract.status == ContractStatus.signed
                 else contract.status.value)
        raise ContractNotOpen(f"Contract {contract.id} is {state}.",
                              contract_status=contract.status.value)


async def ensure_quote_orderable(session: AsyncSession, quote: Quote, today: date) -> None:
    """The policy's `orders_from_quotes` names the quote's state (as of today: a sent quote
    past its validity is expired), and no contract was drafted from it."""
    _, policy = await current_policy(session)
    state = status_on(quote, today)
    if state.value not in policy.orders_from_quotes:
        raise QuoteNotOrderable(
            f"Quote {quote.id} is {state.value}; the policy allows orders from quotes that "
            f"are {', '.join(policy.orders_from_quotes) or 'never'}.",
            quote_status=state.value, orderable_states=list(policy.orders_from_quotes))
    assert quote.id is not None  # loaded from the database
    contract_id = (await quotes.contract_ids(session, [quote.id])).get(quote.id)
    if contract_id is not None:
        raise QuoteContracted(f"Contract {contract_id} was drafted from quote {quote.id}.",
                              contract_id=contract_id)


async def ensure_still_open(session: AsyncSession, order: Order, today: date) -> None:
    """At submission: the order's contract is still in force, or its quote still orderable
    (nothing is counted again: the draft's lines already took their share)."""
    if order.contract_id is not None:
        contract = await session.get(Contract, order.contract_id)
        assert contract is not None  # a foreign key
        ensure_contract_open(contract)
    elif order.quote_id is not None:
        quote = await session.get(Quote, order.quote_id)
        assert quote is not None  # a foreign key
        await ensure_quote_orderable(session, quote, today)


async def price_lines(session: AsyncSession, source: Source, lines: list[OrderLineIn], *,
                      order_id: int | None = None) -> list[OrderLine]:
    """The order's lines priced from their source lines, refused (409) where a quantity is
    more than remains. `order_id`: the draft being edited, whose own lines do not count.

    A line that takes all that remains of its source line takes the rest of its amounts
    too, so that call-offs add up to the contract to the cent whatever their rounding."""
    misnamed = [number for number, line in enumerate(lines, 1)
                if (line.contract_line_id is not None) != source.is_contract]
    if misnamed:
        raise UnknownSourceLine(f"Lines {misnamed} name a line of another kind: this order is "
                                f"from a {_kind(source)}.", line_nos=misnamed)
    wanted = [_source_line_id(line) for line in lines]
    unknown = sorted({i for i in wanted if i not in source.lines})
    if unknown:
        raise UnknownSourceLine(f"Not lines of this {_kind(source)}: {unknown}.",
                                line_ids=unknown)
    taken = await _taken_by_line(session, source, wanted, order_id)
    priced, short = [], []
    for number, (line, source_id) in enumerate(zip(lines, wanted, strict=True), 1):
        origin = source.lines[source_id]
        quantity, net, tax = taken.get(source_id, (ZERO, ZERO, ZERO))
        remaining = origin.quantity - quantity
        if line.quantity > remaining:
            short.append(_shortage(number, source_id, line.quantity, remaining))
        amounts = line_amounts(quantity=line.quantity, unit_price=origin.unit_price,
                               discount_percent=origin.discount_percent,
                               tax_rate=origin.tax_rate)
        rest = LineAmounts(net=origin.net_amount - net, tax=origin.tax_amount - tax,
                           total=origin.total_amount - net - tax)
        if line.quantity == remaining and rest.net >= 0 and rest.tax >= 0:
            amounts = rest
        # order_id: the caller sets it once the order has its id.
        priced.append(OrderLine(
            line_no=number, quantity=line.quantity,
            contract_line_id=line.contract_line_id, quote_line_id=line.quote_line_id,
            net_amount=amounts.net, tax_amount=amounts.tax, total_amount=amounts.total,
            **{name: getattr(origin, name) for name in PRICE_FIELDS}))
    short += await _product_shortages(session, source, priced, order_id)
    if short:
        raise QuantityExceedsRemaining(
            f"{len(short)} line(s) order more than remains of this {_kind(source)}.",
            lines=short)
    return priced


async def ensure_amount_remains(session: AsyncSession, source: Source, total: Decimal, *,
                                order_id: int | None = None) -> None:
    """The orders of the contract (every revision) that are not cancelled, with this one,
    stay within its total."""
    ordered = await session.scalar(select(func.sum(col(Order.total))).where(
        source.order_column.in_(source.revision_ids), *_counted(order_id))) or ZERO
    remaining = source.document.total - ordered
    if total > remaining:
        raise AmountExceedsRemaining(
            f"The order's total {total:,.2f} is more than the {remaining:,.2f} {_currency(source)} "
            f"that remains of {_kind(source)} {source.document.id}.",
            total=format_decimal(total, 2), remaining=format_decimal(remaining, 2))


def _counted(order_id: int | None) -> list[ColumnElement[bool]]:
    clauses = [col(Order.status) != OrderStatus.cancelled]
    if order_id is not None:
        clauses.append(col(Order.id) != order_id)
    return clauses


async def _taken_by_line(session: AsyncSession, source: Source, line_ids: list[int],
                         order_id: int | None) -> dict[int, tuple[Decimal, Decimal, Decimal]]:
    rows = await session.execute(
        select(source.line_column, func.sum(col(OrderLine.quantity)),
               func.sum(col(OrderLine.net_amount)), func.sum(col(OrderLine.tax_amount)))
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(source.line_column.in_(sorted(set(line_ids))), *_counted(order_id))
        .group_by(source.line_column))
    return {line_id: (quantity, net, tax) for line_id, quantity, net, tax in rows.all()}


async def _product_shortages(session: AsyncSession, source: Source, priced: list[OrderLine],
                             order_id: int | None) -> list[dict[str, Any]]:
    """Across revisions: per product, what every revision's orders took, against what this
    revision holds. (Within one revision the per-line count already says it all.)"""
    if len(source.revision_ids) < 2:
        return []
    held: dict[int, Decimal] = defaultdict(Decimal)
    for origin in source.lines.values():
        held[origin.product_id] += origin.quantity
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    for line in priced:
        wanted[line.product_id] += line.quantity
    rows = (await session.execute(
        select(col(OrderLine.product_id), func.sum(col(OrderLine.quantity)))
        .join(Order, col(Order.id) == col(OrderLine.order_id))
        .where(source.order_column.in_(source.revision_ids), *_counted(order_id),
               col(OrderLine.product_id).in_(sorted(wanted)))
        .group_by(col(OrderLine.product_id)))).all()
    taken: dict[int, Decimal] = {product_id: quantity for product_id, quantity in rows}
    short = []
    for product_id, quantity in sorted(wanted.items()):
        remaining = held[product_id] - taken.get(product_id, ZERO)
        if quantity > remaining:
            short.append({"product_id": product_id, "quantity": format_decimal(quantity, 3),
                          "remaining": format_decimal(max(remaining, ZERO), 3)})
    return short


def _shortage(line_no: int, source_line_id: int, quantity: Decimal,
              remaining: Decimal) -> dict[str, Any]:
    return {"line_no": line_no, "source_line_id": source_line_id,
            "quantity": format_decimal(quantity, 3),
            "remaining": format_decimal(max(remaining, ZERO), 3)}


def _source_line_id(line: OrderLineIn) -> int:
    source_id = line.contract_line_id or line.quote_line_id
    assert source_id is not None  # the schema requires one
    return source_id


def _kind(source: Source) -> str:
    return "contract" if source.is_contract else "quote"


def _currency(source: Source) -> str:
    return source.document.currency

