"""Remedies: a refund credits the related receivable, never below zero (exactly the balance
is fine, a cent more is refused and changes nothing); a return is a delivery return of the
complaint's delivery, made by the deliveries service in the complaint's transaction."""

from sqlalchemy import select

from app.events.models import Event
from app.receivables.models import ReceivableCredit
from tests.complaints.conftest import ok, refused
from tests.webhooks.test_catalog import assert_events_match_catalog


async def _shipped(helpdesk) -> dict:
    """A shipped delivery (10 × 100.00 at 13 %): its receivable of 1130.00."""
    return await helpdesk.desk.shipped_receivable()


class TestRefund:
    async def test_exactly_the_balance_is_credited(self, helpdesk, session):
        receivable = await _shipped(helpdesk)
        complaint = await helpdesk.implementing(delivery_id=receivable["delivery_id"])
        refunded = ok(await helpdesk.act(complaint, "remedies", {
            "kind": "refund", "description": "全额退款", "amount": "1130.00"}), 201)
        [remedy] = refunded["remedies"]
        assert (remedy["kind"], remedy["amount"], remedy["receivable_id"]) == (
            "refund", "1130.00", receivable["id"])
        after = await helpdesk.desk.read(receivable["id"])
        assert (after["balance"], after["credited"], after["status"]) == (
            "0.00", "1130.00", "paid")
        note = (await session.execute(select(ReceivableCredit).where(
            ReceivableCredit.id == remedy["credit_id"]))).scalar_one()
        assert (note.source.value, note.source_id) == ("complaint_refund", complaint["id"])
        types = [e.type for e in (await session.execute(select(Event).order_by(Event.id)))
                 .scalars()]
        assert types[-2:] == ["receivable.credited", "complaint.remedy_recorded"]
        await assert_events_match_catalog(session, since=0)

    async def test_a_cent_more_than_the_balance_is_refused(self, helpdesk):
        receivable = await _shipped(helpdesk)
        complaint = await helpdesk.implementing(delivery_id=receivable["delivery_id"])
        problem = refused(await helpdesk.act(complaint, "remedies", {
            "kind": "refund", "description": "退款", "amount": "1130.01"}), 409,
            "receivable.credit_exceeds_balance")
        assert problem["balance"] == "1130.00"
        assert (await helpdesk.read(complaint["id"]))["remedies"] == []
        assert (await helpdesk.desk.read(receivable["id"]))["balance"] == "1130.00"

    async def test_after_a_payment_only_what_is_owed(self, helpdesk):
        receivable = await _shipped(helpdesk)
        ok(await helpdesk.desk.pay(receivable["id"], "1000.00"), 201)
        complaint = await helpdesk.implementing(delivery_id=receivable["delivery_id"])
        refused(await helpdesk.act(complaint, "remedies", {
            "kind": "refund", "description": "退款", "amount": "130.01"}), 409,
            "receivable.credit_exceeds_balance")
        ok(await helpdesk.act(complaint, "remedies", {
            "kind": "refund", "description": "退款", "amount": "130.00"}), 201)
        assert (await helpdesk.desk.read(receivable["id"]))["balance"] == "0.00"

    async def test_one_refund_per_receivable_and_complaint(self, helpdesk):
        receivable = await _shipped(helpdesk)
        complaint = await helpdesk.implementing(delivery_id=receivable["delivery_id"])
        ok(await helpdesk.act(complaint, "remedies", {
            "kind": "refund", "description": "部分退款", "amount": "100.00"}), 201)
        problem = refused(await helpdesk.act(complaint, "remedies", {
            "kind": "refund", "description": "再退", "amount": "100.00"}), 409,
            "complaint.already_refunded")
        assert problem["receivable_id"] == receivable["id"]
        assert len((await helpdesk.read(complaint["id"]))["remedies"]) == 1
        assert (await helpdesk.desk.read(receivable["id"]))["balance"] == "1030.00"

    async def test_a_named_receivable_must_be_the_customers(self, helpdesk):
        complaint = await helpdesk.implementing()
        refused(await helpdesk.act(complaint, "remedies", {
            "kind": "refund", "description": "退款", "amount": "10.00"}), 422,
            "complaint.remedy_target_missing")
        refused(await helpdesk.act(complaint, "remedies", {
            "kind": "refund", "description": "退款", "amount": "10.00",
            "receivable_id": 999999}), 422, "complaint.remedy_target_missing")
        receivable = await _shipped(helpdesk)
        ok(await helpdesk.act(complaint, "remedies", {
            "kind": "refund", "description": "退款", "amount": "10.00",
            "receivable_id": receivable["id"]}), 201)

    async def test_finance_may_refund_a_reps_cannot(self, helpdesk):
        receivable = await _shipped(helpdesk)
        complaint = await helpdesk.implementing(delivery_id=receivable["delivery_id"])
        refused(await helpdesk.act(complaint, "remedies", {
            "kind": "refund", "description": "退款", "amount": "1.00"},
            headers=helpdesk.company.rep), 403, "forbidden")
        ok(await helpdesk.act(complaint, "remedies", {
            "kind": "refund", "description": "退款", "amount": "1.00"},
            headers=helpdesk.company.finance), 201)


class TestReturn:
    async def test_goods_come_back_as_a_delivery_return(self, helpdesk, session):
        receivable = await _shipped(helpdesk)
        delivery = ok(await helpdesk.desk.shop.get(receivable["delivery_id"]))
        [line] = delivery["lines"]
        complaint = await helpdesk.implementing(delivery_id=delivery["id"])
        assert complaint["order_id"] == delivery["order_id"]
        returned = ok(await helpdesk.act(complaint, "remedies", {
            "kind": "return", "description": "退回三只漏水阀门",
            "lines": [{"delivery_line_id": line["id"], "quantity": "3"}]}), 201)
        [remedy] = returned["remedies"]
        assert remedy["delivery_id"] == delivery["id"]
        after = ok(await helpdesk.desk.shop.get(delivery["id"]))
        [taken] = after["returns"]
        assert taken["id"] == remedy["delivery_return_id"]
        assert taken["reason"].startswith(complaint["number"])
        assert after["lines"][0]["returned_quantity"] == "3.000"
        types = [e.type for e in (await session.execute(select(Event).order_by(Event.id)))
                 .scalars()]
        assert "delivery.returned" in types[-4:] and types[-1] == "complaint.remedy_recorded"
        await assert_events_match_catalog(session, since=0)

    async def test_more_than_was_shipped_is_refused_and_nothing_changes(self, helpdesk):
        receivable = await _shipped(helpdesk)
        delivery = ok(await helpdesk.desk.shop.get(receivable["delivery_id"]))
        [line] = delivery["lines"]
        complaint = await helpdesk.implementing(delivery_id=delivery["id"])
        refused(await helpdesk.act(complaint, "remedies", {
            "kind": "return", "description": "退货",
            "lines": [{"delivery_line_id": line["id"], "quantity": "11"}]}), 409,
            "delivery.exceeds_returnable")
        assert (await helpdesk.read(complaint["id"]))["remedies"] == []
        assert ok(await helpdesk.desk.shop.get(delivery["id"]))["returns"] == []

    async def test_a_return_needs_the_complaints_delivery(self, helpdesk):
        complaint = await helpdesk.implementing()
        refused(await helpdesk.act(complaint, "remedies", {
            "kind": "return", "description": "退货",
            "lines": [{"delivery_line_id": 1, "quantity": "1"}]}), 422,
            "complaint.remedy_target_missing")


class TestWhenRemediesApply:
    async def test_not_before_a_settlement_or_actions(self, helpdesk):
        complaint = await helpdesk.taken()
        problem = refused(await helpdesk.act(complaint, "remedies", {
            "kind": "repair", "description": "维修"}), 409, "complaint.not_remediable")
        assert problem["current_status"] == "received"

    async def test_the_body_fits_the_kind(self, helpdesk):
        complaint = await helpdesk.implementing()
        for body in ({"kind": "refund", "description": "x"},
                     {"kind": "return", "description": "x"},
                     {"kind": "repair", "description": "x", "amount": "1.00"},
                     {"kind": "refund", "description": "x", "amount": "0"}):
            refused(await helpdesk.act(complaint, "remedies", body), 422, "validation_error")
