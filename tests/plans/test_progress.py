"""Progress against the targets (SPEC §4): orders confirmed and payments received per rep
and company calendar month (Asia/Shanghai), at the edges of months and years, against each
target, within what the caller may see."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.customers.models import Customer
from app.departments.models import Department
from app.orders.models import OrderStatus
from tests.factories.confirmed_orders import Line, create_confirmed_order
from tests.factories.customers import create_customer
from tests.factories.ledger import create_payment
from tests.factories.plans import PLANS, ok, target


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def sold(session, customer: Customer, amount: str, at: datetime | None,
               status: OrderStatus = OrderStatus.confirmed) -> None:
    """An order of `amount` (no tax) confirmed at `at`, in `status` now."""
    order = await create_confirmed_order(session, customer=customer, status=status,
                                         confirmed_at=at, lines=[
        Line(quantity="1", unit_price=amount, tax_rate="0")])
    assert order.total_base == Decimal(amount)


@pytest.fixture
async def ledger(session, company):
    """Rep Zhang's and rep Liu's sales and collections in department east around 2026, and
    Zhang's in department west (not east's)."""
    zhang = await session.get(Customer, company.customer_id)
    liu = await create_customer(session, department=await session.get(Department, "east"),
                                owner_id="rep.liu")
    west = await create_customer(session, department=await session.get(Department, "west"),
                                 owner_id="rep.zhang")
    for amount, at, status in [
        ("1000.00", utc(2025, 12, 31, 15, 59, 59), OrderStatus.confirmed),  # 2025 locally
        ("2345.00", utc(2025, 12, 31, 16), OrderStatus.delivered),          # 1 Jan locally
        ("10000.00", utc(2026, 1, 31, 15, 59, 59), OrderStatus.confirmed),  # 31 Jan 23:59:59
        ("20000.00", utc(2026, 1, 31, 16), OrderStatus.partially_delivered),  # 1 Feb 00:00
        ("1234.56", utc(2026, 2, 14, 2), OrderStatus.closed),
        ("5000.00", utc(2026, 1, 10, 2), OrderStatus.cancelled),  # cancelled since
        ("40000.00", utc(2026, 12, 31, 15, 59, 59), OrderStatus.confirmed),  # 31 Dec
        ("80000.00", utc(2026, 12, 31, 16), OrderStatus.confirmed),  # 2027 locally
    ]:
        await sold(session, zhang, amount, at, status)
    await sold(session, zhang, "99.00", None, OrderStatus.draft)
    await sold(session, west, "7000.00", utc(2026, 1, 10, 2))
    await sold(session, liu, "30000.00", utc(2026, 3, 3, 3))
    for amount, day in [("500.00", date(2025, 12, 31)), ("600.00", date(2026, 1, 1)),
                        ("700.00", date(2026, 1, 31)), ("800.00", date(2026, 2, 1)),
                        ("900.00", date(2026, 12, 31)), ("1000.00", date(2027, 1, 1))]:
        await create_payment(session, customer=zhang, received_on=day, amount=amount)
    await create_payment(session, customer=west, received_on=date(2026, 1, 5), amount="3.00")


@pytest.fixture
async def year_plan(planner, ledger) -> dict:
    return await planner.approved(
        "2026", "1500000.00",
        target("rep.zhang", "1200000.00", {1: "100000.00", 2: "100000.00", 12: "1000000.00"}),
        target("rep.liu", "300000.00"))


def _month(item: dict, month: int) -> tuple:
    [row] = [m for m in item["months"] if m["month"] == month]
    return (row["target"], row["confirmed"], row["collected"], row["confirmed_percent"],
            row["collected_percent"])


class TestArithmetic:
    async def test_month_and_year_edges(self, company, planner, year_plan):
        report = await planner.progress(company.head, period="2026")
        assert (report["period"], report["currency"]) == ("2026", "CNY")
        liu, zhang = report["items"]
        assert (zhang["owner_id"], zhang["plan_number"], zhang["acknowledged"]) == (
            "rep.zhang", year_plan["number"], False)
        assert [m["month"] for m in zhang["months"]] == list(range(1, 13))
        # January: 1 Jan 00:00 and 31 Jan 23:59:59 Beijing time; 12,345.00 of 100,000.00
        # is 12.345 %, shown half-up.
        assert _month(zhang, 1) == ("100000.00", "12345.00", "1300.00", "12.35", "1.30")
        # February: from 1 Feb 00:00, a closed order counts; a cancelled one never does.
        assert _month(zhang, 2) == ("100000.00", "21234.56", "800.00", "21.23", "0.80")
        assert _month(zhang, 3) == ("0.00", "0.00", "0.00", None, None)
        # December ends at 31 Dec 23:59:59 Beijing time.
        assert _month(zhang, 12) == ("1000000.00", "40000.00", "900.00", "4.00", "0.09")
        assert (zhang["target"], zhang["confirmed"], zhang["collected"],
                zhang["confirmed_percent"], zhang["collected_percent"]) == (
            "1200000.00", "73579.56", "3000.00", "6.13", "0.25")
        # Liu's yearly target is not split: the months have none, the year has it.
        assert _month(liu, 3) == (None, "30000.00", "0.00", None, None)
        assert (liu["target"], liu["confirmed"], liu["confirmed_percent"]) == (
            "300000.00", "30000.00", "10.00")
        assert report["total"] == {
            "target": "1500000.00", "confirmed": "103579.56", "collected": "3000.00",
            "confirmed_percent": "6.91", "collected_percent": "0.20"}

    async def test_a_monthly_plan(self, company, planner, ledger):
        plan = await planner.approved("2026-02", "20000.00", target("rep.zhang", "20000.00"))
        report = await planner.progress(company.head, period="2026-02")
        [zhang] = report["items"]
        assert [m["month"] for m in zhang["months"]] == [2]
        assert (zhang["plan_id"], zhang["target"], zhang["confirmed"], zhang["collected"],
                zhang["confirmed_percent"]) == (plan["id"], "20000.00", "21234.56",
                                                "800.00", "106.17")
        assert _month(zhang, 2) == ("20000.00", "21234.56", "800.00", "106.17", "4.00")

    async def test_a_plan_of_its_own(self, client, company, year_plan):
        report = ok(await client.get(f"{PLANS}/{year_plan['id']}/progress",
                                     headers=company.head))
        assert report["total"]["confirmed"] == "103579.56"
        assert [i["owner_id"] for i in report["items"]] == ["rep.liu", "rep.zhang"]

    async def test_nothing_planned(self, company, planner):
        report = await planner.progress(company.head, period="2031")
        assert report["items"] == [] and report["total"]["target"] == "0.00"
        assert report["total"]["confirmed_percent"] is None

    @pytest.mark.parametrize("period", ["2026-13", "2026-1", "x"])
    async def test_period_checked(self, client, company, period):
        response = await client.get("/api/v1/reports/plan-progress", headers=company.head,
                                    params={"period": period})
        assert response.status_code == 422


class TestVisibility:
    @pytest.mark.parametrize(("who", "owners"), [
        ("rep", ["rep.zhang"]), ("other_rep", ["rep.liu"]), ("head", ["rep.liu", "rep.zhang"]),
        ("vp", ["rep.liu", "rep.zhang"]), ("gm", ["rep.liu", "rep.zhang"]),
        ("finance", ["rep.liu", "rep.zhang"]),
    ])
    async def test_each_sees_their_targets(self, company, planner, year_plan, who, owners):
        report = await planner.progress(getattr(company, who), period="2026")
        assert [i["owner_id"] for i in report["items"]] == owners

    async def test_another_department_sees_nothing(self, planner, headers_for, year_plan):
        for headers in (headers_for("dept_head", dept="west"),
                        headers_for("deputy_gm", depts=["west"]),
                        headers_for("logistics")):
            assert (await planner.progress(headers, period="2026"))["items"] == []

    async def test_filters(self, company, planner, year_plan):
        only = await planner.progress(company.head, period="2026", owner_id="rep.liu")
        assert [i["owner_id"] for i in only["items"]] == ["rep.liu"]
        assert only["total"]["confirmed"] == "30000.00"
        other = await planner.progress(company.gm, period="2026", department_id="west")
        assert other["items"] == []

    async def test_a_rep_cannot_read_the_plan_progress(self, client, company, year_plan):
        response = await client.get(f"{PLANS}/{year_plan['id']}/progress", headers=company.rep)
        assert response.status_code == 404
