"""Payments (回款): open → partially_paid → paid, never above the balance, identified by the
payer's reference, allocated across one customer's receivables; the exposure follows."""

from sqlalchemy import func, select

from app.receivables.models import Payment
from tests.factories.confirmed_orders import Line
from tests.receivables.conftest import PAYMENTS, ok, refused


class TestPayOneReceivable:
    async def test_part_then_the_rest(self, desk):
        receivable = await desk.shipped_receivable()  # 1130.00
        first = ok(await desk.pay(receivable["id"], "130.00", "B-1", received_on="2026-03-09"),
                   201)
        assert first["number"].startswith("HK-2026-")
        assert (first["amount"], first["received_on"], first["allocations"][0]["amount"]) == (
            "130.00", "2026-03-09", "130.00")
        now = await desk.read(receivable["id"])
        assert (now["status"], now["balance"], now["version"]) == ("partially_paid", "1000.00", 2)
        assert await desk.receivables_open() == "1000.00"
        ok(await desk.pay(receivable["id"], "1000.00", "B-2"), 201)
        paid = await desk.read(receivable["id"])
        assert (paid["status"], paid["balance"], paid["balance_base"]) == ("paid", "0.00", "0.00")
        assert paid["paid_at"] is not None
        assert [p["amount"] for p in paid["payments"]] == ["130.00", "1000.00"]
        assert paid["allowed_actions"] == []
        assert await desk.receivables_open() == "0.00"
        events = await desk.events(f"payment:{first['id']}")
        assert [e.type for e in events] == ["payment.received"]
        assert events[0].data["allocations"][0]["status"] == "partially_paid"

    async def test_the_whole_balance_is_accepted_one_cent_more_is_refused(self, desk):
        receivable = await desk.shipped_receivable()
        problem = refused(await desk.pay(receivable["id"], "1130.01"), 409,
                          "receivable.overpayment")
        assert (problem["balance"], problem["receivable_id"]) == ("1130.00", receivable["id"])
        assert (await desk.read(receivable["id"]))["balance"] == "1130.00"
        ok(await desk.pay(receivable["id"], "1130.00"), 201)
        refused(await desk.pay(receivable["id"], "0.01", "B-late"), 409, "receivable.not_payable")

    async def test_the_bank_feed_pays_a_rep_may_not(self, desk):
        receivable = await desk.shipped_receivable()
        refused(await desk.pay(receivable["id"], "10.00", headers=desk.company.rep), 403,
                "forbidden")
        ok(await desk.pay(receivable["id"], "10.00", headers=desk.bank), 201)

    async def test_a_future_date_and_a_stale_version_are_refused(self, desk):
        receivable = await desk.shipped_receivable()
        refused(await desk.pay(receivable["id"], "10.00", received_on="2026-03-11"), 422,
                "receivable.date_in_future")
        stale = await desk.client.post(
            f"/api/v1/receivables/{receivable['id']}/payments",
            headers={**desk.company.finance, "If-Match": '"7"'},
            json={"amount": "10.00", "method": "cash", "external_reference": "C-1"})
        refused(stale, 412, "precondition_failed")
        assert (await desk.read(receivable["id"]))["balance"] == "1130.00"


class TestTheReference:
    async def test_the_same_reference_again_is_the_first_payment(self, desk, session):
        receivable = await desk.shipped_receivable()
        first = await desk.pay(receivable["id"], "500.00", "SERIAL-42", headers=desk.bank)
        again = await desk.pay(receivable["id"], "500.00", "SERIAL-42", headers=desk.bank)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert (await desk.read(receivable["id"]))["balance"] == "630.00"
        assert await session.scalar(select(func.count()).select_from(Payment)) == 1
        assert len(await desk.events(f"payment:{first.json()['id']}")) == 1

    async def test_a_replay_after_the_receivable_is_paid_still_answers_it(self, desk):
        receivable = await desk.shipped_receivable()
        first = ok(await desk.pay(receivable["id"], "1130.00", "ALL"), 201)
        assert ok(await desk.pay(receivable["id"], "1130.00", "ALL")) == first

    async def test_another_amount_under_the_same_reference_is_a_conflict(self, desk):
        receivable = await desk.shipped_receivable()
        first = ok(await desk.pay(receivable["id"], "500.00", "SERIAL-43"), 201)
        problem = refused(await desk.pay(receivable["id"], "600.00", "SERIAL-43"), 409,
                          "payment.reference_reused")
        assert problem["payment_id"] == first["id"]
        assert (await desk.read(receivable["id"]))["balance"] == "630.00"


class TestAllocations:
    async def test_one_payment_settles_several_receivables(self, desk):
        a = await desk.shipped_receivable()
        b = await desk.shipped_receivable(Line(quantity="1"))  # 113.00
        payment = ok(await desk.client.post(PAYMENTS, headers=desk.bank, json={
            "amount": "1243.00", "method": "acceptance_bill", "external_reference": "BILL-9",
            "allocations": [{"receivable_id": b["id"], "amount": "113.00"},
                            {"receivable_id": a["id"], "amount": "1130.00"}]}), 201)
        assert sorted((x["receivable_id"], x["amount"]) for x in payment["allocations"]) == \
            sorted([(a["id"], "1130.00"), (b["id"], "113.00")])
        assert [(await desk.read(r["id"]))["status"] for r in (a, b)] == ["paid", "paid"]
        listed = ok(await desk.client.get(PAYMENTS, headers=desk.company.finance,
                                          params={"external_reference": "BILL-9"}))["items"]
        assert [p["id"] for p in listed] == [payment["id"]]

    async def test_lines_must_add_up_and_none_may_overpay(self, desk):
        a = await desk.shipped_receivable()
        b = await desk.shipped_receivable(Line(quantity="1"))
        refused(await desk.client.post(PAYMENTS, headers=desk.bank, json={
            "amount": "1000.00", "method": "bank_transfer", "external_reference": "X-1",
            "allocations": [{"receivable_id": a["id"], "amount": "900.00"},
                            {"receivable_id": b["id"], "amount": "50.00"}]}), 422,
            "payment.allocation_mismatch")
        problem = refused(await desk.client.post(PAYMENTS, headers=desk.bank, json={
            "amount": "1000.00", "method": "bank_transfer", "external_reference": "X-2",
            "allocations": [{"receivable_id": a["id"], "amount": "886.99"},
                            {"receivable_id": b["id"], "amount": "113.01"}]}), 409,
            "receivable.overpayment")
        assert (problem["receivable_id"], problem["balance"]) == (b["id"], "113.00")
        assert [(await desk.read(r["id"]))["balance"] for r in (a, b)] == ["1130.00", "113.00"]

    async def test_an_unknown_receivable_is_named(self, desk):
        a = await desk.shipped_receivable()
        problem = refused(await desk.client.post(PAYMENTS, headers=desk.bank, json={
            "amount": "2.00", "method": "cash", "external_reference": "X-3",
            "allocations": [{"receivable_id": a["id"], "amount": "1.00"},
                            {"receivable_id": 999999, "amount": "1.00"}]}), 422,
            "payment.unknown_receivable")
        assert problem["receivable_ids"] == [999999]


class TestVisibility:
    async def test_another_rep_sees_neither_receivable_nor_payment(self, desk, headers_for):
        receivable = await desk.shipped_receivable()
        payment = ok(await desk.pay(receivable["id"], "1.00"), 201)
        assert (await desk.get(receivable["id"], headers=desk.company.rep)).status_code == 200
        stranger = headers_for("sales_rep", sub="rep.west", dept="west")
        refused(await desk.get(receivable["id"], headers=stranger), 404,
                "receivable.not_found")
        refused(await desk.client.get(f"{PAYMENTS}/{payment['id']}", headers=stranger), 404,
                "payment.not_found")
        assert ok(await desk.client.get("/api/v1/receivables", headers=stranger))["items"] == []
        assert ok(await desk.client.get(PAYMENTS, headers=stranger))["items"] == []
        head = ok(await desk.client.get("/api/v1/receivables", headers=desk.company.head))
        assert [r["id"] for r in head["items"]] == [receivable["id"]]
