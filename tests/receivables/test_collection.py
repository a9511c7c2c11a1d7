"""Overdue is derived from the due date; the collection step suggested by days overdue
(1–30 reminder letter, 31–60 visit, > 60 legal); collection actions logged; the list's
overdue and due-date filters; the sweep announcing each receivable overdue once."""

from datetime import timedelta

import pytest

from app import worker
from tests.receivables.conftest import RECEIVABLES, ok, refused

# Shipped 2026-03-10 on 30 days' terms: due 2026-04-09, overdue from 2026-04-10.


@pytest.mark.parametrize(("days_after_due", "expected"), [
    (0, None), (1, "reminder_letter"), (30, "reminder_letter"), (31, "visit"), (60, "visit"),
    (61, "legal")])
async def test_the_suggested_step_by_days_overdue(desk, days_after_due, expected):
    receivable = await desk.shipped_receivable()
    assert receivable["due_date"] == "2026-04-09"
    desk.days_later(30 + days_after_due)
    now = await desk.read(receivable["id"])
    assert (now["days_overdue"], now["overdue"], now["suggested_action"]) == (
        days_after_due, days_after_due > 0, expected)


async def test_a_paid_receivable_is_never_overdue(desk):
    receivable = await desk.shipped_receivable()
    ok(await desk.pay(receivable["id"], "1130.00"), 201)
    desk.days_later(100)
    now = await desk.read(receivable["id"])
    assert (now["overdue"], now["days_overdue"], now["suggested_action"]) == (False, 0, None)


async def test_collection_actions_are_logged_with_the_days_overdue(desk):
    receivable = await desk.shipped_receivable()
    desk.days_later(45)  # 15 days overdue
    after = ok(await desk.post(receivable["id"], "dunning", {
        "action": "reminder_letter", "notes": "寄出催款函", "promised_on": "2026-05-01"},
        headers=desk.company.rep))
    [entry] = after["dunning"]
    assert (entry["action"], entry["days_overdue"], entry["promised_on"], entry["recorded_by"]) \
        == ("reminder_letter", 15, "2026-05-01", "rep.zhang")
    assert after["version"] == 2
    events = await desk.events(f"receivable:{receivable['id']}")
    assert events[-1].type == "receivable.dunning_recorded"
    assert events[-1].data["suggested_action"] == "reminder_letter"
    ok(await desk.pay(receivable["id"], "1130.00"), 201)
    refused(await desk.post(receivable["id"], "dunning", {"action": "visit"}), 409,
            "receivable.nothing_owed")


async def test_logistics_does_not_collect(desk):
    receivable = await desk.shipped_receivable()
    refused(await desk.post(receivable["id"], "dunning", {"action": "visit"},
                            headers=desk.shop.logistics), 403, "forbidden")


async def test_the_list_filters_overdue_and_due_dates(desk):
    early = await desk.shipped_receivable(shipped_on="2026-03-01")  # due 2026-03-31
    late = await desk.shipped_receivable()  # due 2026-04-09
    desk.days_later(25)  # 2026-04-04
    finance = desk.company.finance

    async def ids(**params) -> list[int]:
        return [r["id"] for r in ok(await desk.client.get(RECEIVABLES, headers=finance,
                                                          params=params))["items"]]

    assert await ids(overdue="true") == [early["id"]]
    assert await ids(overdue="false") == [late["id"]]
    assert await ids(due_from="2026-04-01", due_to="2026-04-30") == [late["id"]]
    assert await ids(number=early["number"]) == [early["id"]]
    assert await ids(status="open", customer_id=desk.company.customer_id) == [late["id"],
                                                                              early["id"]]


async def test_the_sweep_announces_each_receivable_overdue_once(desk, sessionmaker):
    receivable = await desk.shipped_receivable()
    subject = f"receivable:{receivable['id']}"
    on_due_date = desk.clock.now + timedelta(days=30)
    done = await worker.run_pass(sessionmaker, lambda: on_due_date)
    assert done["receivables_overdue"] == 0
    next_day = on_due_date + timedelta(days=1)
    assert (await worker.run_pass(sessionmaker, lambda: next_day))["receivables_overdue"] == 1
    later = next_day + timedelta(days=40)
    assert (await worker.run_pass(sessionmaker, lambda: later))["receivables_overdue"] == 0
    overdue = [e for e in await desk.events(subject) if e.type == "receivable.overdue"]
    assert len(overdue) == 1
    assert (overdue[0].data["days_overdue"], overdue[0].data["suggested_action"]) == (
        1, "reminder_letter")


async def test_the_list_pages_by_cursor_newest_first(desk):
    made = [await desk.shipped_receivable() for _ in range(3)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ok(await desk.client.get(RECEIVABLES, headers=desk.company.finance,
                                        params=params))
        seen += [r["id"] for r in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == sorted((r["id"] for r in made), reverse=True)
