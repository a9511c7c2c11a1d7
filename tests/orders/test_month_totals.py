"""The running monthly totals (`sales_month_total`) that plan progress and the deviation
report read: after every kind of change made through the API, the rows are what a fresh
aggregate of the raw orders and payments gives (the statements the reports ran before
the rollup, kept here as the reference), and so are the reports' figures, to the cent. The
migration's backfill gives the same rows, at the edges of months on the company calendar."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_date
from app.core.db import utcnow
from app.orders import month_totals
from app.orders.models import Order, OrderStatus, SalesMonthTotal
from app.receivables.models import Payment, Receivable
from tests.factories.confirmed_orders import Line, create_confirmed_order
from tests.factories.customers import create_customer
from tests.factories.ledger import create_payment
from tests.factories.orders import ORDERS, Shop
from tests.factories.plans import PROGRESS, Planner, ok, target

DEVIATION = "/api/v1/reports/deviation"
DELIVERIES = "/api/v1/deliveries"
SHIP = {"carrier": "顺丰速运", "tracking_number": "SF1234567890"}
ZERO = Decimal("0.00")
# What plan progress counted as sold: confirmed or later, not cancelled.
SOLD = (OrderStatus.confirmed, OrderStatus.partially_delivered, OrderStatus.delivered,
        OrderStatus.closed)

Totals = dict[tuple[str, str, date], tuple[int, Decimal, int, Decimal]]


async def fresh_month_totals(session: AsyncSession, departments: list[str]) -> Totals:
    """The reference: every order and payment of the departments read afresh, with the
    filters the reports used on the raw rows, summed per rep and company calendar month."""
    totals: dict[tuple[str, str, date], list] = defaultdict(lambda: [0, ZERO, 0, ZERO])
    sold = await session.execute(
        select(col(Order.department_id), col(Order.owner_id), col(Order.confirmed_at),
               col(Order.total_base))
        .where(col(Order.confirmed_at).is_not(None), col(Order.status).in_(SOLD),
               col(Order.department_id).in_(departments)))
    for department_id, owner_id, confirmed_at, amount in sold.all():
        figures = totals[department_id, owner_id, local_date(confirmed_at).replace(day=1)]
        figures[0] += 1
        figures[1] += amount
    paid = await session.execute(
        select(col(Payment.department_id), col(Payment.owner_id), col(Payment.received_on),
               col(Payment.amount_base)).where(col(Payment.department_id).in_(departments)))
    for department_id, owner_id, received_on, amount in paid.all():
        figures = totals[department_id, owner_id, received_on.replace(day=1)]
        figures[2] += 1
        figures[3] += amount
    return {key: tuple(figures) for key, figures in totals.items()}  # type: ignore[misc]


async def rollup(session: AsyncSession, departments: list[str]) -> Totals:
    rows = await session.execute(
        select(col(SalesMonthTotal.department_id), col(SalesMonthTotal.owner_id),
               col(SalesMonthTotal.month), col(SalesMonthTotal.orders),
               col(SalesMonthTotal.confirmed_base), col(SalesMonthTotal.payments),
               col(SalesMonthTotal.collected_base))
        .where(col(SalesMonthTotal.department_id).in_(departments)))
    return {(d, o, m): (orders, confirmed, payments, collected)
            for d, o, m, orders, confirmed, payments, collected in rows.all()}


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


class Books:
    """Compares the rollup and the reports with the fresh aggregate after each change."""

    def __init__(self, shop: Shop, session: AsyncSession) -> None:
        self.shop, self.session, self.client = shop, session, shop.client
        self.company = shop.company
        self.today = local_date(utcnow())
        self.checks = 0

    async def check(self) -> None:
        fresh = await fresh_month_totals(self.session, ["east"])
        assert await rollup(self.session, ["east"]) == fresh
        year, month = self.today.year, self.today.month
        progress = ok(await self.client.get(PROGRESS, headers=self.company.head,
                                            params={"period": str(year)}))
        got = {(item["owner_id"], m["month"]): (m["confirmed"], m["collected"])
               for item in progress["items"] for m in item["months"]}
        assert got == {
            (owner, m): tuple(_money(fresh.get(("east", owner, date(year, m, 1)),
                                               (0, ZERO, 0, ZERO))[i]) for i in (1, 3))
            for owner in ("rep.liu", "rep.zhang") for m in range(1, 13)}
        for period, months in ((str(year), range(1, 13)), (f"{year}-{month:02d}", [month])):
            report = ok(await self.client.get(DEVIATION, headers=self.company.gm,
                                              params={"period": period}))
            [east] = [row for row in report["departments"] if row["department_id"] == "east"]
            assert east["actual"] == _money(sum(
                (figures[1] for (_, _, first), figures in fresh.items()
                 if first.year == year and first.month in months), start=ZERO))
        self.checks += 1

    async def confirmed(self, contract: dict, quantity: str) -> dict:
        order = await self.shop.submit(await self.shop.place(contract, quantity))
        await self.shop.approve_all(order["approval"]["id"])
        return await self.shop.get(order)

    async def receivable_of(self, order: dict, quantity: str) -> int:
        """Ships `quantity` of the order's first line: the delivery's receivable."""
        planned = ok(await self.client.post(DELIVERIES, headers=self.shop.logistics, json={
            "order_id": order["id"],
            "lines": [{"order_line_id": order["lines"][0]["id"], "quantity": quantity}]}), 201)
        ok(await self.client.post(f"{DELIVERIES}/{planned['id']}/ship",
                                  headers=self.shop.logistics, json=SHIP))
        return (await self.session.execute(select(col(Receivable.id)).where(
            col(Receivable.delivery_id) == planned["id"]))).scalar_one()


@pytest.fixture
async def books(shop, session, company, client) -> Books:
    await shop.set_credit("10000000")
    await Planner(client, company).approved(
        str(local_date(utcnow()).year), "1000000.00", target("rep.zhang", "600000.00"),
        target("rep.liu", "400000.00"))
    return Books(shop, session)


async def test_every_change_keeps_the_totals_and_the_reports_exact(books, client, company):
    await books.check()
    contract = await books.shop.signed_contract(("100", "123.45"))
    # Confirmed by its review: it counts.
    first = await books.confirmed(contract, "5")
    assert first["status"] == "confirmed"
    await books.check()
    # Rejected back to draft, submitted again and recalled: it never counts.
    rejected = await books.shop.submit(await books.shop.place(contract, "7"))
    ok(await client.post(f"/api/v1/approvals/{rejected['approval']['id']}/reject",
                         headers=company.finance, json={"comment": "付款条件不清"}))
    await books.check()
    await books.shop.submit(await books.shop.get(rejected))
    ok(await client.post(f"{ORDERS}/{rejected['id']}/recall", headers=company.rep))
    await books.check()
    # Cancelled in review, and cancelled once confirmed: the second leaves the totals.
    in_review = await books.shop.submit(await books.shop.place(contract, "2"))
    ok(await client.post(f"{ORDERS}/{in_review['id']}/cancel", headers=company.head,
                         json={"reason": "客户取消"}))
    await books.check()
    second = await books.confirmed(contract, "3")
    await books.check()
    ok(await client.post(f"{ORDERS}/{second['id']}/cancel", headers=company.rep,
                         json={"reason": "客户取消"}))
    await books.check()
    # Delivered in part: still the same sale.
    receivable_id = await books.receivable_of(first, "2")
    assert (await books.shop.get(first))["status"] == "partially_delivered"
    await books.check()
    # Paid today against the receivable, and earlier against it with a payment of lines:
    # each counts in its own month; the bank's retry of the second moves nothing.
    ok(await client.post(f"/api/v1/receivables/{receivable_id}/payments",
                         headers=company.finance, json={
                             "amount": "100.00", "method": "bank_transfer",
                             "external_reference": "CMB-ROLLUP-1"}), 201)
    await books.check()
    earlier = max(books.today - timedelta(days=40), date(books.today.year, 1, 1))
    body = {"amount": "46.90", "method": "bank_transfer", "external_reference": "CMB-ROLLUP-2",
            "received_on": earlier.isoformat(),
            "allocations": [{"receivable_id": receivable_id, "amount": "46.90"}]}
    ok(await client.post("/api/v1/payments", headers=company.finance, json=body), 201)
    await books.check()
    assert (await client.post("/api/v1/payments", headers=company.finance,
                              json=body)).status_code in (200, 201)
    await books.check()
    # Closed short: still the same sale.
    ok(await client.post(f"{ORDERS}/{first['id']}/close", headers=books.shop.logistics,
                         json={"reason": "客户不再需要其余的"}))
    await books.check()
    fresh = await fresh_month_totals(books.session, ["east"])
    month = books.today.replace(day=1)
    assert fresh["east", "rep.zhang", month][:2] == (1, Decimal("617.25"))
    assert sum(figures[2] for figures in fresh.values()) == 2
    assert books.checks == 12


def shanghai_edge(year: int, month: int) -> datetime:
    """The last instant of the month before, and midnight of `month`, in Beijing time."""
    return datetime(year, month, 1, tzinfo=UTC) - timedelta(hours=8)


async def test_the_backfill_gives_what_the_commands_kept(session, company):
    """The migration's statement (SQL months, on each database) against the rows the
    factories kept as the commands do, at the edges of months in Beijing time."""
    zhang = await create_customer(session, owner_id="rep.zhang")
    liu = await create_customer(session, owner_id="rep.liu")
    for customer, amount, at, status in [
        (zhang, "1000.00", shanghai_edge(2026, 2) - timedelta(microseconds=1),
         OrderStatus.confirmed),                                   # 31 Jan 23:59:59.999999
        (zhang, "2000.01", shanghai_edge(2026, 2), OrderStatus.delivered),   # 1 Feb 00:00
        (zhang, "3000.00", shanghai_edge(2026, 1), OrderStatus.closed),      # 1 Jan 2026
        (zhang, "4000.00", shanghai_edge(2026, 1) - timedelta(seconds=1),
         OrderStatus.confirmed),                                   # 31 Dec 2025
        (zhang, "5000.00", shanghai_edge(2026, 2), OrderStatus.cancelled),
        (liu, "6000.00", shanghai_edge(2026, 3), OrderStatus.partially_delivered),
    ]:
        await create_confirmed_order(session, customer=customer, status=status,
                                     confirmed_at=at, lines=[
                                         Line(quantity="1", unit_price=amount, tax_rate="0")])
    await create_confirmed_order(session, customer=zhang, status=OrderStatus.draft)
    for customer, amount, day in [(zhang, "10.00", date(2026, 1, 31)),
                                  (zhang, "20.00", date(2026, 2, 1)),
                                  (liu, "30.00", date(2025, 12, 31))]:
        await create_payment(session, customer=customer, received_on=day, amount=amount)
    departments = [zhang.department_id]
    kept = await rollup(session, departments)
    assert kept == await fresh_month_totals(session, departments)
    assert kept[zhang.department_id, "rep.zhang", date(2026, 1, 1)] == (
        2, Decimal("4000.00"), 1, Decimal("10.00"))
    assert kept[zhang.department_id, "rep.zhang", date(2026, 2, 1)] == (
        1, Decimal("2000.01"), 1, Decimal("20.00"))
    await month_totals.rebuild(session)
    await session.commit()
    assert await rollup(session, departments) == kept
