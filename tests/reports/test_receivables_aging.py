"""GET /reports/receivables-aging: open balances bucketed by days overdue on a date
(current, 1-30, 31-60, 61-90, over 90), by customer, rep or department, in SQL."""

from datetime import date, timedelta

import pytest

from app.receivables.models import ReceivableStatus
from app.reports.indexes import OPEN_RECEIVABLE
from tests.factories.ledger import create_receivable

AGING = "/api/v1/reports/receivables-aging"
AS_OF = date(2026, 6, 30)


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


@pytest.fixture
async def balances(session, ledger):
    """rep.zhang: every bucket's edges; rep.liu: 1,000.00 45 days overdue; west: 5,000.00
    not yet due. Paid, written-off and in-approval receivables owe nothing here."""
    for due, amount in [(0, "100.00"), (-15, "200.00"), (1, "1.00"), (30, "30.00"),
                        (31, "31.00"), (60, "60.00"), (61, "61.00"), (90, "90.00"),
                        (91, "91.00")]:
        await create_receivable(session, customer=ledger.zhang, due_date=days_ago(due),
                                amount=amount)
    # Partly paid: its balance counts, not its amount.
    await create_receivable(session, customer=ledger.zhang, due_date=days_ago(100),
                            amount="1000.00", balance="400.00")
    await create_receivable(session, customer=ledger.zhang, due_date=days_ago(95),
                            amount="700.00", balance="0.00")
    for status in (ReceivableStatus.written_off, ReceivableStatus.pending_write_off):
        await create_receivable(session, customer=ledger.zhang, due_date=days_ago(200),
                                amount="500.00", status=status)
    await create_receivable(session, customer=ledger.liu, due_date=days_ago(45),
                            amount="1000.00")
    await create_receivable(session, customer=ledger.west, due_date=days_ago(-3),
                            amount="5000.00")


def buckets(block: dict) -> tuple:
    return (block["current"], block["days_1_30"], block["days_31_60"], block["days_61_90"],
            block["over_90"], block["overdue"], block["total"], block["receivables"])


async def test_each_bucket_takes_its_days_and_the_edges_fall_right(client, company, ledger,
                                                                   balances):
    report = (await client.get(AGING, headers=company.gm, params={
        "as_of": str(AS_OF), "group_by": "customer"})).json()
    assert report["as_of"] == "2026-06-30" and report["currency"] == "CNY"
    rows = {row["key"]: row for row in report["items"]}
    zhang = rows[str(ledger.zhang.id)]
    # Due today is current; 30 days overdue is still 1-30, 31 is 31-60; 60|61 and 90|91
    # likewise.
    assert buckets(zhang) == ("300.00", "31.00", "91.00", "151.00", "491.00", "764.00",
                              "1064.00", 10)
    assert zhang["customer_name"] == ledger.zhang.name
    assert buckets(rows[str(ledger.liu.id)]) == (
        "0.00", "0.00", "1000.00", "0.00", "0.00", "1000.00", "1000.00", 1)
    assert buckets(rows[str(ledger.west.id)])[0] == "5000.00"
    assert buckets(report["total"]) == ("5300.00", "31.00", "1091.00", "151.00", "491.00",
                                        "1764.00", "7064.00", 12)


async def test_a_day_later_every_edge_moves_one_bucket_on(client, company, ledger, balances):
    report = (await client.get(AGING, headers=company.rep, params={
        "as_of": str(AS_OF + timedelta(days=1))})).json()
    # 100.00 is 1 day overdue now, 30.00 is 31 days, 60.00 61 days and 90.00 91 days.
    assert buckets(report["total"]) == ("200.00", "101.00", "61.00", "121.00", "581.00",
                                        "864.00", "1064.00", 10)


async def test_grouped_by_rep_and_by_department(client, company, ledger, balances):
    by_owner = (await client.get(AGING, headers=company.gm, params={
        "as_of": str(AS_OF), "group_by": "owner"})).json()
    assert [(row["key"], row["total"]) for row in by_owner["items"]] == [
        ("rep.liu", "1000.00"), ("rep.west", "5000.00"), ("rep.zhang", "1064.00")]
    assert all(row["customer_name"] is None for row in by_owner["items"])
    by_department = (await client.get(AGING, headers=company.gm, params={
        "as_of": str(AS_OF), "group_by": "department"})).json()
    assert [(row["key"], row["overdue"], row["total"]) for row in by_department["items"]] == [
        ("east", "1764.00", "2064.00"), ("west", "0.00", "5000.00")]
    east_only = (await client.get(AGING, headers=company.gm, params={
        "as_of": str(AS_OF), "group_by": "owner", "department_id": "east"})).json()
    assert [row["key"] for row in east_only["items"]] == ["rep.liu", "rep.zhang"]
    assert east_only["total"]["total"] == "2064.00"


@pytest.mark.parametrize("who, owners, total", [
    ("rep", ["rep.zhang"], "1064.00"),
    ("other_rep", ["rep.liu"], "1000.00"),
    ("head", ["rep.liu", "rep.zhang"], "2064.00"),
    ("vp", ["rep.liu", "rep.zhang"], "2064.00"),
    ("finance", ["rep.liu", "rep.west", "rep.zhang"], "7064.00"),
])
async def test_each_sees_what_they_may(client, company, ledger, balances, who, owners, total):
    report = (await client.get(AGING, headers=getattr(company, who), params={
        "as_of": str(AS_OF), "group_by": "owner"})).json()
    assert [row["key"] for row in report["items"]] == owners
    assert report["total"]["total"] == total


async def test_another_department_filtered_for_is_simply_empty(client, company, ledger,
                                                               balances):
    report = (await client.get(AGING, headers=company.head, params={
        "as_of": str(AS_OF), "department_id": "west"})).json()
    assert report["items"] == [] and report["total"]["total"] == "0.00"


async def test_groups_come_in_pages_and_the_total_covers_them_all(client, company, ledger,
                                                                  balances):
    params = {"as_of": str(AS_OF), "group_by": "owner", "limit": 2}
    first = (await client.get(AGING, headers=company.gm, params=params)).json()
    assert [row["key"] for row in first["items"]] == ["rep.liu", "rep.west"]
    second = (await client.get(AGING, headers=company.gm,
                               params=params | {"cursor": first["next_cursor"]})).json()
    assert [row["key"] for row in second["items"]] == ["rep.zhang"]
    assert second["next_cursor"] is None
    assert first["total"] == second["total"]
    assert first["total"]["total"] == "7064.00"

    # A cursor is the grouping's own: another grouping's, or a forged one, is refused.
    for params, cursor in [({"group_by": "customer"}, first["next_cursor"]),
                           ({"group_by": "owner"}, "bm90LWEtY3Vyc29y")]:
        response = await client.get(AGING, headers=company.gm,
                                    params=params | {"cursor": cursor})
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "pagination.invalid_cursor"


async def test_a_grouping_it_does_not_know_is_refused(client, company):
    response = await client.get(AGING, headers=company.gm, params={"group_by": "product"})
    assert response.status_code == 422


async def test_nothing_owed_is_all_zero(client, company):
    report = (await client.get(AGING, headers=company.gm)).json()
    assert report["items"] == [] and report["next_cursor"] is None
    assert buckets(report["total"]) == ("0.00",) * 7 + (0,)


def test_the_open_statuses_of_the_indexes_are_the_statuses_that_owe():
    """The partial indexes and the reports name the open statuses in SQL: a status added
    to the model must be placed on one side or the other here."""
    owing = {ReceivableStatus.open, ReceivableStatus.partially_paid}
    closed = {ReceivableStatus.paid, ReceivableStatus.written_off,
              ReceivableStatus.pending_write_off}
    assert owing | closed == set(ReceivableStatus)
    assert OPEN_RECEIVABLE == "status IN ({})".format(
        ", ".join(f"'{status}'" for status in sorted(owing)))


async def test_foreign_currency_balances_count_in_cny(client, company, ledger, session):
    await create_receivable(session, customer=ledger.zhang, due_date=days_ago(3),
                            amount="100.00", balance="40.00", currency="USD",
                            exchange_rate="7.1")
    report = (await client.get(AGING, headers=company.rep, params={"as_of": str(AS_OF)})).json()
    assert buckets(report["total"]) == ("0.00", "284.00", "0.00", "0.00", "0.00", "284.00",
                                        "284.00", 1)
    [item] = (await client.get("/api/v1/reports/collection-schedule", headers=company.rep,
                               params={"date": str(AS_OF)})).json()["items"]
    assert (item["currency"], item["balance"], item["balance_base"]) == ("USD", "40.00",
                                                                         "284.00")
