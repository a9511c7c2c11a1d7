"""A customer's running exposure (SPEC §5), and the check an order's submission makes.

Exposure = `receivables_open` + `orders_uninvoiced` + `orders_in_review`, kept in one row
per customer (`customer_credit`) by the commands that move amounts between those
components. A check reads and locks that row, never the customer's orders or receivables,
so it costs the same for a customer with ten orders as for one with ten thousand, and two
submissions for one customer are checked one after the other (while other customers' go on
in parallel).

The movements, each inside the caller's transaction:

    reserve             an order submitted                 + orders_in_review
    confirm             its review approved                orders_in_review → orders_uninvoiced
    release_review      rejected, recalled, or cancelled   − orders_in_review
                        in review
    release_uninvoiced  a confirmed order cancelled, or    − orders_uninvoiced
                        closed: its rest not invoiced
    invoice             a receivable issued (receivables)  + receivables_open, − the part of
                                                           it an order still held uninvoiced
    settle              a receivable paid, written off     − receivables_open
                        or credited (receivables)

Lock order: a document's row first (the order, the receivable), then the customer's credit
row, never the other way round.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import utcnow
from app.core.money import round_money
from app.core.permissions import Role
from app.core.security import Principal
from app.credit.models import CustomerCredit
from app.credit.schemas import CreditCheck, ExposureRead, HoldReason
from app.customers import service as customers
from app.customers.models import CreditRating, Customer

ZERO = Decimal("0.00")
FULL_PREPAYMENT = Decimal(100)
_CREDIT: Table = CustomerCredit.__table__  # type: ignore[attr-defined]
_COMPONENTS = (_CREDIT.c.receivables_open, _CREDIT.c.orders_uninvoiced,
               _CREDIT.c.orders_in_review, _CREDIT.c.updated_at)


@dataclass(frozen=True)
class Figures:
    receivables_open: Decimal = ZERO
    orders_uninvoiced: Decimal = ZERO
    orders_in_review: Decimal = ZERO
    updated_at: datetime | None = None

    @property
    def exposure(self) -> Decimal:
        return self.receivables_open + self.orders_uninvoiced + self.orders_in_review


# ---- reading ----------------------------------------------------------------------------


async def figures(session: AsyncSession, customer_id: int, *, lock: bool = False) -> Figures:
    """The customer's components now (zero before any movement). With `lock`, the row is
    created if missing and held until the transaction ends: what a credit check reads."""
    statement = select(*_COMPONENTS).where(_CREDIT.c.customer_id == customer_id)
    if lock:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).one_or_none()
    if row is None and lock:
        await _ensure_row(session, customer_id)
        row = (await session.execute(statement)).one()
    return Figures(*row) if row is not None else Figures()


async def exposure(session: AsyncSession, principal: Principal, *, customer_id: int
                   ) -> ExposureRead:
    """The credit position of a customer the caller may see (404 otherwise)."""
    customer = await customers.get_visible(session, principal, customer_id)
    assert customer.id is not None  # loaded from the database
    now = await figures(session, customer.id)
    return ExposureRead(
        customer_id=customer.id, credit_rating=customer.credit_rating,
        credit_limit=customer.credit_limit, receivables_open=now.receivables_open,
        orders_uninvoiced=now.orders_uninvoiced, orders_in_review=now.orders_in_review,
        exposure=now.exposure, available_credit=max(customer.credit_limit - now.exposure, ZERO),
        amount_over_limit=max(now.exposure - customer.credit_limit, ZERO),
        updated_at=now.updated_at)


# ---- the check at an order's submission --------------------------------------------------


async def check_and_reserve(session: AsyncSession, customer: Customer, *, amount: Decimal,
                            prepayment_percent: Decimal, releasable_by: list[Role],
                            now: datetime) -> CreditCheck:
    """Check an order of `amount` (CNY) against the customer's limit and rating, under the
    lock of the customer's credit row, and reserve it in `orders_in_review` whatever the
    outcome: a second order checked while this one is in review counts it.

    Held when the exposure with this order would be above the limit (equal is within it),
    or when the customer is rated D; never when the order is paid in full beforehand."""
    assert customer.id is not None  # loaded from the database
    before = await figures(session, customer.id, lock=True)
    after = before.exposure + amount
    reasons: list[HoldReason] = []
    if after > customer.credit_limit:
        reasons.append("over_limit")
    if customer.credit_rating == CreditRating.D:
        reasons.append("rating_d")
    waived = bool(reasons) and prepayment_percent >= FULL_PREPAYMENT
    await reserve(session, customer.id, amount)
    return CreditCheck(
        outcome="held" if reasons and not waived else "passed", reasons=reasons,
        waived_by_prepayment=waived, credit_rating=customer.credit_rating,
        credit_limit=customer.credit_limit, receivables_open=before.receivables_open,
        orders_uninvoiced=before.orders_uninvoiced, orders_in_review=before.orders_in_review,
        exposure=before.exposure, order_amount=amount, exposure_after=after,
        amount_over=max(after - customer.credit_limit, ZERO),
        prepayment_percent=prepayment_percent, releasable_by=releasable_by, checked_at=now)


# ---- movements --------------------------------------------------------------------------


async def reserve(session: AsyncSession, customer_id: int, amount: Decimal) -> None:
    await _move(session, customer_id, orders_in_review=amount)


async def confirm(session: AsyncSession, customer_id: int, amount: Decimal) -> None:
    await _move(session, customer_id, orders_in_review=-amount, orders_uninvoiced=amount)


async def release_review(session: AsyncSession, customer_id: int, amount: Decimal) -> None:
    await _move(session, customer_id, orders_in_review=-amount)


async def release_uninvoiced(session: AsyncSession, customer_id: int, amount: Decimal) -> None:
    await _move(session, customer_id, orders_uninvoiced=-amount)


async def invoice(session: AsyncSession, customer_id: int, *, amount: Decimal,
                  from_orders: Decimal) -> None:
    """A receivable of `amount` (CNY) issued: it opens, and `from_orders` of it leaves the
    uninvoiced rest of the order it bills (the caller raises that order's `invoiced_base`
    by as much; nothing when the order was closed or cancelled, or it bills no order)."""
    await _move(session, customer_id, receivables_open=amount, orders_uninvoiced=-from_orders)


async def settle(session: AsyncSession, customer_id: int, amount: Decimal) -> None:
    """`amount` (CNY) of open receivables is no longer owed: paid, written off or credited."""
    await _move(session, customer_id, receivables_open=-amount)


async def _move(session: AsyncSession, customer_id: int, **deltas: Decimal) -> None:
    # One statement that adds to the columns as they are, so it needs no read first; it
    # takes the row's lock itself (the lock order above keeps that safe).
    statement = (update(_CREDIT).where(_CREDIT.c.customer_id == customer_id)
                 .values({_CREDIT.c[name]: _CREDIT.c[name] + round_money(delta)
                          for name, delta in deltas.items()} | {"updated_at": utcnow()}))
    if (await session.execute(statement)).rowcount == 0:  # type: ignore[attr-defined]
        await _ensure_row(session, customer_id)
        await session.execute(statement)


async def _ensure_row(session: AsyncSession, customer_id: int) -> None:
    """Create the customer's row if it is missing. Two transactions may both find it
    missing: the primary key lets one insert it, and the other's insert does nothing
    (after waiting for the first to commit, on PostgreSQL), so both then lock one row."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(_CREDIT).values(customer_id=customer_id, receivables_open=ZERO,
                                       orders_uninvoiced=ZERO, orders_in_review=ZERO,
                                       updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=[_CREDIT.c.customer_id]))
