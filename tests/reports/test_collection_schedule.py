"""GET /reports/collection-schedule (排期清欠表): per rep, the open receivables due on or
before the date, the most overdue first, with the last dunning action and the suggested
next one (1-30 reminder_letter, 31-60 visit, over 60 legal)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from app.receivables.models import DunningAction
from tests.factories.ledger import create_dunning, create_receivable

SCHEDULE = "/api/v1/reports/collection-schedule"
ON = date(2026, 6, 30)


def days_ago(n: int) -> date:
    return ON - timedelta(days=n)


@pytest.fixture
async def owed(session, ledger):
    """rep.zhang: not yet due tomorrow, due today, 1, 30, 31, 60 and 61 days overdue (two
    on day 61), a paid one; rep.liu: 10 days; rep.west: 5 days."""
    made = {}
    for days in (-1, 0, 1, 30, 31, 60, 61):
        made[days] = await create_receivable(session, customer=ledger.zhang,
                                             due_date=days_ago(days), amount=f"{days + 2}.00")
    made["61b"] = await create_receivable(session, customer=ledger.zhang,
                                          due_date=days_ago(61), amount="1000.00",
                                          balance="250.50")
    await create_receivable(session, customer=ledger.zhang, due_date=days_ago(90),
                            amount="90.00", balance="0.00")
    made["liu"] = await create_receivable(session, customer=ledger.liu,
                                          due_date=days_ago(10), amount="10.00")
    made["west"] = await create_receivable(session, customer=ledger.west,
                                           due_date=days_ago(5), amount="5.00")
    return made


def rows(schedule: dict) -> list[tuple]:
    return [(item["owner_id"], item["days_overdue"], item["balance"], item["suggested_action"])
            for item in schedule["items"]]


ZHANG = [("rep.zhang", 61, "63.00", "legal"), ("rep.zhang", 61, "250.50", "legal"),
         ("rep.zhang", 60, "62.00", "visit"), ("rep.zhang", 31, "33.00", "visit"),
         ("rep.zhang", 30, "32.00", "reminder_letter"),
         ("rep.zhang", 1, "3.00", "reminder_letter"), ("rep.zhang", 0, "2.00", None)]


async def test_by_rep_the_most_overdue_first_with_the_suggested_action(client, company,
                                                                       ledger, owed):
    schedule = (await client.get(SCHEDULE, headers=company.gm,
                                 params={"date": str(ON)})).json()
    assert schedule["date"] == "2026-06-30"
    assert rows(schedule) == [("rep.liu", 10, "10.00", "reminder_letter"),
                              ("rep.west", 5, "5.00", "reminder_letter"), *ZHANG]
    first = schedule["items"][2]
    assert (first["receivable_id"], first["customer_id"], first["customer_name"],
            first["department_id"], first["due_date"], first["currency"],
            first["balance_base"]) == (owed[61].id, ledger.zhang.id, ledger.zhang.name,
                                       "east", "2026-04-30", "CNY", "63.00")
    assert first["number"].startswith("YS-") and first["invoice_number"]


async def test_one_reps_schedule_and_what_each_may_see(client, company, ledger, owed):
    assert rows((await client.get(SCHEDULE, headers=company.head, params={
        "date": str(ON), "owner_id": "rep.zhang"})).json()) == ZHANG
    assert rows((await client.get(SCHEDULE, headers=company.rep,
                                  params={"date": str(ON)})).json()) == ZHANG
    # Another rep's schedule is not theirs to read: it is empty, not refused.
    assert (await client.get(SCHEDULE, headers=company.other_rep, params={
        "date": str(ON), "owner_id": "rep.zhang"})).json()["items"] == []
    east = (await client.get(SCHEDULE, headers=company.vp, params={"date": str(ON)})).json()
    assert {item["owner_id"] for item in east["items"]} == {"rep.liu", "rep.zhang"}
    assert [item["owner_id"] for item in (await client.get(SCHEDULE, headers=ledger.west_head,
                                          params={"date": str(ON)})).json()["items"]] == [
        "rep.west"]
    assert [item["owner_id"] for item in (await client.get(SCHEDULE, headers=company.gm, params={
        "date": str(ON), "department_id": "west"})).json()["items"]] == ["rep.west"]


async def test_an_earlier_date_holds_only_what_was_due_by_then(client, company, ledger, owed):
    schedule = (await client.get(SCHEDULE, headers=company.rep,
                                 params={"date": str(days_ago(31))})).json()
    assert rows(schedule) == [("rep.zhang", 30, "63.00", "reminder_letter"),
                              ("rep.zhang", 30, "250.50", "reminder_letter"),
                              ("rep.zhang", 29, "62.00", "reminder_letter"),
                              ("rep.zhang", 0, "33.00", None)]


async def test_the_last_dunning_action_is_shown(client, company, ledger, owed, session):
    target = owed[61]
    await create_dunning(session, receivable=target, action=DunningAction.reminder_letter,
                         days_overdue=20, at=datetime(2026, 5, 20, 2, tzinfo=UTC))
    await create_dunning(session, receivable=target, action=DunningAction.visit,
                         days_overdue=45, promised_on=date(2026, 7, 10),
                         at=datetime(2026, 6, 14, 3, tzinfo=UTC))
    await create_dunning(session, receivable=owed[1], action=DunningAction.reminder_letter,
                         days_overdue=1, at=datetime(2026, 6, 30, 1, tzinfo=UTC))
    items = (await client.get(SCHEDULE, headers=company.rep,
                              params={"date": str(ON)})).json()["items"]
    by_id = {item["receivable_id"]: item["last_dunning"] for item in items}
    assert by_id[target.id] == {"action": "visit", "at": "2026-06-14T03:00:00Z",
                                "days_overdue": 45, "promised_on": "2026-07-10",
                                "recorded_by": "rep.zhang"}
    assert by_id[owed[1].id]["action"] == "reminder_letter"
    assert by_id[owed[30].id] is None


async def test_pages_walk_the_whole_schedule_once(client, company, ledger, owed):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"date": str(ON), "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(SCHEDULE, headers=company.gm, params=params)).json()
        seen += [item["receivable_id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = (await client.get(SCHEDULE, headers=company.gm,
                                   params={"date": str(ON)})).json()
    assert seen == [item["receivable_id"] for item in everything["items"]]
    assert (len(seen), pages) == (9, 5)


@pytest.mark.parametrize("cursor", ["bm9wZQ", "WyJyZXAiLCJub3QtYS1kYXRlIiwxXQ",
                                    "WyJyZXAiLCIyMDI2LTA2LTMwIiwiMSJd"])
async def test_a_forged_cursor_is_refused(client, company, cursor):
    response = await client.get(SCHEDULE, headers=company.gm, params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "pagination.invalid_cursor"
