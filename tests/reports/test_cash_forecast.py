"""GET /reports/cash-forecast: expected cash by ISO week for 13 weeks, from open
receivables by due date and signed contracts' milestones not yet invoiced (prepayment from
the signing date, the others from the delivery date, plus their due days); the overdue,
what comes later and what cannot be dated yet apart."""

from datetime import date
from decimal import Decimal

import pytest

from app.contracts.models import Contract, ContractStatus
from app.core.db import commit
from app.receivables.models import ReceivableStatus
from tests.factories.ledger import create_receivable

FORECAST = "/api/v1/reports/cash-forecast"
AS_OF = date(2026, 6, 3)  # a Wednesday of ISO week 23


async def contract(session, customer, total: str, schedule: list[tuple[str, str, int]], *,
                   status=ContractStatus.signed, signed: date | None = date(2026, 6, 1),
                   delivery: date | None = None) -> Contract:
    made = Contract(
        number=f"HT-T-{customer.id}-{total}", customer_id=customer.id, customer_name=customer.name,
        department_id=customer.department_id, owner_id=customer.owner_id, title="合同",
        payment_schedule=[{"kind": kind, "percent": percent, "due_days": days}
                          for kind, percent, days in schedule],
        status=status, signed_date=signed, delivery_date=delivery, created_by="factory",
        subtotal=Decimal(total), tax_total=Decimal(0), total=Decimal(total),
        total_base=Decimal(total))
    session.add(made)
    await commit(session)
    return made


@pytest.fixture
async def expected(session, ledger):
    zhang, west = ledger.zhang, ledger.west
    for due, amount in [(date(2026, 6, 2), "1.00"), (date(2026, 6, 3), "2.00"),
                        (date(2026, 6, 7), "4.00"), (date(2026, 6, 8), "8.00"),
                        (date(2026, 8, 30), "16.00"), (date(2026, 8, 31), "32.00")]:
        await create_receivable(session, customer=zhang, due_date=due, amount=amount)
    await create_receivable(session, customer=zhang, due_date=date(2026, 6, 4),
                            amount="64.00", status=ReceivableStatus.written_off)
    await create_receivable(session, customer=zhang, due_date=date(2026, 6, 4),
                            amount="128.00", balance="0.00")
    # 30 % prepayment (invoiced already: its receivable counts, not the milestone), 60 %
    # 10 days after delivery on 15 July, 10 % retention a year after delivery.
    a = await contract(session, zhang, "10000.00", [
        ("prepayment", "30", 0), ("on_delivery", "60", 10), ("retention", "10", 365)],
        delivery=date(2026, 7, 15))
    await create_receivable(session, customer=zhang, due_date=date(2026, 6, 10),
                            amount="3000.00", contract_id=a.id, milestone_index=0)
    # No delivery date yet, and 2,000.00 already invoiced per delivery: 3,000.00 left.
    b = await contract(session, zhang, "5000.00", [("on_delivery", "100", 0)])
    await create_receivable(session, customer=zhang, due_date=date(2026, 9, 30),
                            amount="2000.00", balance="0.00", contract_id=b.id)
    # A prepayment whose date passed uninvoiced, and one due this week.
    await contract(session, zhang, "700.00", [("prepayment", "100", 0)],
                   signed=date(2026, 5, 20))
    await contract(session, zhang, "600.00", [("prepayment", "50", 4), ("other", "50", 0)],
                   signed=date(2026, 6, 1), delivery=date(2026, 6, 15))
    await contract(session, zhang, "999.00", [("prepayment", "100", 0)],
                   status=ContractStatus.approved)
    await contract(session, zhang, "888.00", [("prepayment", "100", 0)],
                   status=ContractStatus.completed)
    await contract(session, west, "5555.00", [("prepayment", "100", 10)])


def amounts(block: dict) -> tuple:
    return block["receivables"], block["milestones"], block["total"]


async def test_thirteen_weeks_of_expected_cash(client, company, expected):
    report = (await client.get(FORECAST, headers=company.rep,
                               params={"as_of": str(AS_OF)})).json()
    weeks = report["weeks"]
    assert len(weeks) == 13
    assert (weeks[0]["week"], weeks[0]["starts_on"], weeks[0]["ends_on"]) == (
        "2026-W23", "2026-06-03", "2026-06-07")
    assert (weeks[1]["week"], weeks[1]["starts_on"], weeks[1]["ends_on"]) == (
        "2026-W24", "2026-06-08", "2026-06-14")
    assert (weeks[12]["week"], weeks[12]["starts_on"], weeks[12]["ends_on"]) == (
        "2026-W35", "2026-08-24", "2026-08-30")
    by_week = {week["week"]: amounts(week) for week in weeks
               if week["total"] != "0.00"}
    assert by_week == {
        # Due on as_of and on Sunday; the 600.00 contract's prepayment 4 days after 1 June.
        "2026-W23": ("6.00", "300.00", "306.00"),
        # 8 June, and the invoiced prepayment of 3,000.00 due 10 June.
        "2026-W24": ("3008.00", "0.00", "3008.00"),
        "2026-W25": ("0.00", "300.00", "300.00"),   # the other 50 % on delivery, 15 June
        "2026-W30": ("0.00", "6000.00", "6000.00"),  # 15 July + 10 days
        "2026-W35": ("16.00", "0.00", "16.00"),     # 30 August, the last day
    }
    assert amounts(report["overdue"]) == ("1.00", "700.00", "701.00")
    assert amounts(report["later"]) == ("32.00", "1000.00", "1032.00")
    assert amounts(report["undated"]) == ("0.00", "3000.00", "3000.00")
    assert amounts(report["total"]) == ("3063.00", "11300.00", "14363.00")


async def test_each_sees_the_cash_of_what_they_may_see(client, company, ledger, expected):
    west = (await client.get(FORECAST, headers=ledger.west_rep,
                             params={"as_of": str(AS_OF)})).json()
    assert amounts(west["total"]) == ("0.00", "5555.00", "5555.00")
    assert [week["week"] for week in west["weeks"] if week["total"] != "0.00"] == ["2026-W24"]
    gm = (await client.get(FORECAST, headers=company.gm, params={"as_of": str(AS_OF)})).json()
    assert gm["total"]["total"] == "19918.00"
    nothing = (await client.get(FORECAST, headers=company.other_rep,
                                params={"as_of": str(AS_OF)})).json()
    assert nothing["total"]["total"] == "0.00" and len(nothing["weeks"]) == 13


async def test_a_monday_starts_a_whole_week(client, company):
    report = (await client.get(FORECAST, headers=company.gm,
                               params={"as_of": "2026-06-08"})).json()
    assert [(w["starts_on"], w["ends_on"]) for w in report["weeks"][:2]] == [
        ("2026-06-08", "2026-06-14"), ("2026-06-15", "2026-06-21")]
