"""GET /reports/daily (工作日报): a company calendar day's confirmed sales, collections,
overdue money collected and new customers, per department, within what the caller sees."""

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from app.calendar.working_time import local_day_start
from app.customers.models import Customer
from app.departments.models import Department
from app.orders.models import OrderStatus
from tests.factories.confirmed_orders import Line, create_confirmed_order
from tests.factories.customers import create_customer
from tests.factories.ledger import create_payment, create_receivable

DAILY = "/api/v1/reports/daily"
DAY = date(2026, 3, 10)
START, END = local_day_start(DAY), local_day_start(DAY + timedelta(days=1))
TICK = timedelta(microseconds=1)


@pytest.fixture
async def day(session, ledger):
    """East: orders confirmed at the first and the last instant of the day (Beijing time),
    one the instant before and one confirmed then cancelled; payments that day settling an
    overdue and a not-yet-overdue receivable, one the day before; a customer created that
    day. West: one order and one payment that day."""
    async def order(customer, price, at, status=OrderStatus.confirmed):
        await create_confirmed_order(session, customer=customer, status=status,
                                     confirmed_at=at, lines=[Line(quantity="1", unit_price=price,
                                                                  tax_rate="0")])

    await order(ledger.zhang, "1000.00", START)
    await order(ledger.liu, "234.56", END - TICK)
    await order(ledger.zhang, "9999.00", START - TICK)
    await order(ledger.zhang, "8888.00", START + timedelta(hours=1), OrderStatus.cancelled)
    await order(ledger.west, "50.00", START + timedelta(hours=2))

    overdue = await create_receivable(session, customer=ledger.zhang,
                                      due_date=DAY - timedelta(days=1), amount="500.00")
    due_today = await create_receivable(session, customer=ledger.zhang, due_date=DAY,
                                        amount="300.00")
    await create_payment(session, customer=ledger.zhang, received_on=DAY,
                         allocations=[(overdue, "400.00"), (due_today, "300.00")])
    await create_payment(session, customer=ledger.liu, received_on=DAY, amount="99.99")
    await create_payment(session, customer=ledger.zhang, received_on=DAY - timedelta(days=1),
                         allocations=[(overdue, "100.00")])
    west_due = await create_receivable(session, customer=ledger.west,
                                       due_date=DAY - timedelta(days=40), amount="70.00")
    await create_payment(session, customer=ledger.west, received_on=DAY,
                         allocations=[(west_due, "70.00")])

    east_customer = await create_customer(session, owner_id="rep.zhang",
                                          department=await session.get(Department, "east"))
    await session.execute(update(Customer).where(Customer.id == east_customer.id)
                          .values(created_at=END - TICK))
    await session.commit()


def figures(block: dict) -> tuple:
    return (block["confirmed_orders"], block["confirmed_amount"], block["payments"],
            block["collected"], block["overdue_collected"], block["new_customers"],
            block["open_complaints"])


async def test_the_days_figures_by_department(client, company, day):
    report = (await client.get(DAILY, headers=company.gm, params={"date": str(DAY)})).json()
    assert report["date"] == "2026-03-10" and report["currency"] == "CNY"
    assert [d["department_id"] for d in report["departments"]] == ["east", "west"]
    east, west = report["departments"]
    # The day is Beijing's: both its first and its last instant count, the instant before
    # does not; a cancelled order is not a sale; money settling a receivable due that day
    # is not overdue money.
    assert figures(east) == (2, "1234.56", 2, "799.99", "400.00", 1, 0)
    assert figures(west) == (1, "50.00", 1, "70.00", "70.00", 0, 0)
    assert figures(report["total"]) == (3, "1284.56", 3, "869.99", "470.00", 1, 0)


async def test_one_department_and_what_each_may_see(client, company, ledger, day):
    only_west = (await client.get(DAILY, headers=company.gm, params={
        "date": str(DAY), "department_id": "west"})).json()
    assert [d["department_id"] for d in only_west["departments"]] == ["west"]
    assert figures(only_west["total"]) == (1, "50.00", 1, "70.00", "70.00", 0, 0)

    head = (await client.get(DAILY, headers=company.head, params={"date": str(DAY)})).json()
    assert [d["department_id"] for d in head["departments"]] == ["east"]
    # A rep's day is their own: rep.liu's order and payment, not rep.zhang's.
    liu = (await client.get(DAILY, headers=company.other_rep, params={"date": str(DAY)})).json()
    assert figures(liu["total"]) == (1, "234.56", 1, "99.99", "0.00", 0, 0)
    west_rep = (await client.get(DAILY, headers=ledger.west_rep,
                                 params={"date": str(DAY), "department_id": "east"})).json()
    assert west_rep["departments"] == [] and figures(west_rep["total"]) == (
        0, "0.00", 0, "0.00", "0.00", 0, 0)


async def test_another_day_is_its_own(client, company, day):
    before = (await client.get(DAILY, headers=company.gm, params={
        "date": str(DAY - timedelta(days=1))})).json()
    assert figures(before["total"]) == (1, "9999.00", 1, "100.00", "0.00", 0, 0)


async def test_a_date_out_of_range_is_refused(client, company):
    response = await client.get(DAILY, headers=company.gm, params={"date": "10000-01-01"})
    assert response.status_code == 422
