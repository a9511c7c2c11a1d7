"""The rollup of open balances (app/receivables/open_balances.py) stays equal to a fresh
aggregate over the receivables after every kind of movement: issuance by a shipment and by
finance, payments of one and of several receivables, credits by a return and by hand, a
write-off requested, recalled, rejected and approved; and aging reads it."""

from decimal import Decimal

from sqlalchemy import func, select

from app.receivables.models import Receivable, ReceivableOpenBalance, ReceivableStatus
from tests.receivables.conftest import PAYMENTS, ok
from tests.receivables.test_credits import _return, _shipped
from tests.receivables.test_write_off import _decide

OWED = (ReceivableStatus.open, ReceivableStatus.partially_paid)


async def rollup_matches(session) -> dict:
    """The rollup's rows, asserted equal to what the receivables say now."""
    kept = {(row.department_id, row.owner_id, row.due_date): (row.receivables,
                                                             row.balance_base)
            for row in (await session.execute(
                select(ReceivableOpenBalance).execution_options(populate_existing=True)))
            .scalars()}
    fresh = {(department, owner, due): (count, Decimal(total))
             for department, owner, due, count, total in (await session.execute(
                 select(Receivable.department_id, Receivable.owner_id, Receivable.due_date,
                        func.count(), func.sum(Receivable.balance_base))
                 .where(Receivable.status.in_(OWED))
                 .group_by(Receivable.department_id, Receivable.owner_id,
                           Receivable.due_date))).all()}
    assert kept == fresh
    return kept


async def test_every_movement_keeps_the_rollup_equal_to_the_receivables(desk):
    session = desk.session
    assert await rollup_matches(session) == {}
    delivery, first = await _shipped(desk)
    _, second = await _shipped(desk)
    _, third = await _shipped(desk)
    # Three receivables of one rep due on one day: one row.
    [(key, figures)] = (await rollup_matches(session)).items()
    assert figures == (3, Decimal("3390.00"))
    ok(await desk.pay(first["id"], "130.00", "B-1"), 201)
    await rollup_matches(session)
    await _return(desk, delivery, "1")  # credited 113.00
    await rollup_matches(session)
    ok(await desk.post(second["id"], "credits", {"amount": "30.00", "reason": "折让"}))
    await rollup_matches(session)
    ok(await desk.client.post(PAYMENTS, headers=desk.company.finance, json={
        "amount": "1987.00", "method": "bank_transfer", "external_reference": "B-2",
        "allocations": [{"receivable_id": first["id"], "amount": "887.00"},
                        {"receivable_id": second["id"], "amount": "1100.00"}]}), 201)
    # Both paid: only the third still owes on the key.
    assert (await rollup_matches(session))[key] == (1, Decimal("1130.00"))
    pending = ok(await desk.post(third["id"], "write-off", {"reason": "客户失联"}))
    assert await rollup_matches(session) == {}  # in approval: out of collection
    ok(await desk.post(third["id"], "write-off/recall"))
    assert (await rollup_matches(session))[key] == (1, Decimal("1130.00"))
    pending = ok(await desk.post(third["id"], "write-off", {"reason": "客户失联"}))
    await _decide(desk, pending, "reject", desk.company.finance2)
    assert (await rollup_matches(session))[key] == (1, Decimal("1130.00"))
    pending = ok(await desk.post(third["id"], "write-off", {"reason": "客户破产"}))
    await _decide(desk, pending, "approve", desk.company.finance2, desk.company.gm)
    assert await rollup_matches(session) == {}


async def test_a_refused_movement_leaves_the_rollup_as_it_was(desk):
    _, receivable = await _shipped(desk)
    before = await rollup_matches(desk.session)
    assert (await desk.pay(receivable["id"], "1130.01", "B-1")).status_code == 409
    assert (await desk.post(receivable["id"], "credits", {
        "amount": "1130.01", "reason": "x"})).status_code == 409
    assert await rollup_matches(desk.session) == before


async def test_aging_by_rep_sums_the_rollup(desk):
    _, receivable = await _shipped(desk)
    ok(await desk.pay(receivable["id"], "130.00", "B-1"), 201)
    await _shipped(desk)
    report = ok(await desk.client.get("/api/v1/reports/receivables-aging",
                                      headers=desk.company.gm, params={"group_by": "owner"}))
    [row] = report["items"]
    assert (row["key"], row["receivables"], row["total"]) == (
        receivable["owner_id"], 2, "2130.00")
    by_customer = ok(await desk.client.get("/api/v1/reports/receivables-aging",
                                           headers=desk.company.gm,
                                           params={"group_by": "customer"}))
    assert by_customer["total"] == report["total"]
