"""Orders from a signed contract (call-offs): never beyond what remains of each contract
line, nor of the contract's amount, counting every order that is not cancelled."""

import pytest
from sqlalchemy import func, select

from app.orders.models import Order
from tests.factories.orders import ORDERS


async def _order_count(session) -> int:
    return await session.scalar(select(func.count()).select_from(Order))


class TestRemainingQuantity:
    async def test_exactly_the_remaining_quantity_is_accepted(self, shop):
        contract = await shop.signed_contract(("10", "100.00"), ("5", "20.00"))
        await shop.place(contract, "6.5", "5")
        order = await shop.place(contract, "3.5")
        assert order["status"] == "draft" and order["contract_id"] == contract["id"]
        [line] = order["lines"]
        assert (line["quantity"], line["unit_price"], line["total_amount"]) == (
            "3.500", "100.0000", "350.00")

    async def test_one_thousandth_more_is_refused_and_nothing_is_written(self, shop, session):
        contract = await shop.signed_contract(("10", "100.00"), ("5", "20.00"))
        await shop.place(contract, "6.5")
        before = await _order_count(session)
        refused = await shop.place(contract, "3.501", "5.001", expect=409)
        assert refused["code"] == "order.quantity_exceeds_remaining"
        assert refused["lines"] == [
            {"line_no": 1, "source_line_id": contract["line_ids"][0], "quantity": "3.501",
             "remaining": "3.500"},
            {"line_no": 2, "source_line_id": contract["line_ids"][1], "quantity": "5.001",
             "remaining": "5.000"}]
        assert await _order_count(session) == before

    async def test_drafts_count_and_cancelled_orders_do_not(self, shop, client, company):
        contract = await shop.signed_contract(("10", "100.00"))
        draft = await shop.place(contract, "10")
        assert (await shop.place(contract, "1", expect=409))["code"] == (
            "order.quantity_exceeds_remaining")
        await shop.ok(await client.post(f"{ORDERS}/{draft['id']}/cancel", headers=company.rep,
                                        json={"reason": "客户改期"}))
        assert (await shop.place(contract, "10"))["total"] == "1000.00"

    async def test_several_orders_call_off_one_contract(self, shop, client, company):
        contract = await shop.signed_contract(("9", "100.00"))
        for _ in range(3):
            await shop.place(contract, "3")
        listed = await shop.ok(await client.get(
            f"{ORDERS}?contract_id={contract['id']}", headers=company.rep))
        assert [o["total"] for o in listed["items"]] == ["300.00"] * 3

    async def test_the_last_call_off_takes_the_rest_of_the_amount(self, shop):
        """3 × 33.335 is 100.01 on the contract, but each unit alone rounds to 33.34: the
        call-off that takes the last unit takes the last 33.33, so the orders add up to the
        contract to the cent."""
        contract = await shop.signed_contract(("3", "33.335"))
        assert contract["total"] == "100.01"
        assert [(await shop.place(contract, "1"))["total"] for _ in range(3)] == [
            "33.34", "33.34", "33.33"]

    async def test_the_contract_amount_is_a_limit_of_its_own(self, shop, session):
        """Call-offs that each round up can reach the contract's amount before its
        quantity: 4 units at 0.005 are 0.02, one unit alone 0.01. After two, a third
        single unit is refused for the amount; the last two units together take the rest
        (0.00)."""
        contract = await shop.signed_contract(("4", "0.005"))
        assert contract["total"] == "0.02"
        assert [(await shop.place(contract, "1"))["total"] for _ in range(2)] == [
            "0.01", "0.01"]
        before = await _order_count(session)
        refused = await shop.place(contract, "1", expect=409)
        assert (refused["code"], refused["total"], refused["remaining"]) == (
            "order.amount_exceeds_remaining", "0.01", "0.00")
        assert await _order_count(session) == before
        assert (await shop.place(contract, "2"))["total"] == "0.00"


class TestSource:
    async def test_only_a_signed_contract_in_force_is_called_off(self, shop, client, company):
        draft = await shop.ok(await client.post("/api/v1/contracts", headers=company.rep, json={
            "customer_id": company.customer_id, "title": "草稿合同",
            "lines": [{"product_id": company.product_id, "quantity": "1"}],
            "payment_schedule": [{"kind": "on_delivery", "percent": "100"}]}), 201)
        refused = await shop.place(draft | {"line_ids": [1]}, "1", expect=409)
        assert (refused["code"], refused["contract_status"]) == (
            "order.contract_not_open", "draft")
        contract = await shop.signed_contract(("5", "10.00"))
        await shop.ok(await client.post(f"/api/v1/contracts/{contract['id']}/termination",
                                        headers=company.rep, json={"reason": "协商解除"}))
        refused = await shop.place(contract, "1", expect=409)
        assert refused["code"] == "order.contract_not_open"
        assert "being terminated" in refused["detail"]

    async def test_another_reps_contract_is_unknown(self, shop, company):
        contract = await shop.signed_contract(("5", "10.00"))
        refused = await shop.place(contract, "1", headers=company.other_rep, expect=422)
        assert refused["code"] == "order.unknown_contract"

    async def test_lines_must_be_of_the_contract(self, shop):
        contract = await shop.signed_contract(("5", "10.00"))
        other = await shop.signed_contract(("5", "10.00"))
        refused = await shop.place(contract | {"line_ids": other["line_ids"]}, "1", expect=422)
        assert (refused["code"], refused["line_ids"]) == (
            "order.unknown_source_line", other["line_ids"])
        twice = await shop.client.post(ORDERS, headers=shop.company.rep, json={
            "contract_id": contract["id"], "lines": [
                {"contract_line_id": contract["line_ids"][0], "quantity": "1"},
                {"contract_line_id": contract["line_ids"][0], "quantity": "1"}]})
        assert twice.status_code == 422

    async def test_an_amendment_counts_the_orders_of_every_revision(self, shop, client, company):
        contract = await shop.signed_contract(("10", "100.00"))
        await shop.place(contract, "4")
        url = f"/api/v1/contracts/{contract['id']}"
        amendment = await shop.ok(await client.post(f"{url}/amendments", headers=company.rep),
                                  201)
        amended = f"/api/v1/contracts/{amendment['id']}"
        await shop.ok(await client.patch(amended, headers=company.rep, json={
            "lines": [{"product_id": company.product_id, "quantity": "12",
                       "unit_price": "100.00", "tax_rate": "0"}]}))
        submitted = await shop.ok(await client.post(f"{amended}/submit", headers=company.rep))
        await shop.approve_all(submitted["approval"]["id"])
        signed = await shop.ok(await client.post(f"{amended}/sign", headers=company.rep,
                                                 json={"signed_date": "2026-01-06",
                                                       "signatories": [
                                                           {"party": "customer", "name": "王总"},
                                                           {"party": "company", "name": "周"}]}))
        revision = signed | {"line_ids": [line["id"] for line in signed["lines"]]}
        assert (await shop.place(contract, "1", expect=409))["code"] == "order.contract_not_open"
        refused = await shop.place(revision, "8.001", expect=409)
        assert refused["code"] == "order.quantity_exceeds_remaining"
        assert refused["lines"] == [{"product_id": company.product_id, "quantity": "8.001",
                                     "remaining": "8.000"}]
        assert (await shop.place(revision, "8"))["total"] == "800.00"


class TestDefaultsAndEdits:
    async def test_terms_and_address_default_from_customer_and_contract(self, shop, client,
                                                                          company):
        await shop.ok(await client.patch(f"/api/v1/customers/{company.customer_id}",
                                         headers=company.rep, json={"address": "宁波市北仑区"}))
        await shop.ok(await client.patch(f"/api/v1/customers/{company.customer_id}",
                                         headers=company.finance,
                                         json={"payment_terms_days": 45}))
        contract = await shop.signed_contract(("10", "100.00"), payment_schedule=[
            {"kind": "prepayment", "percent": "30"}, {"kind": "on_delivery", "percent": "70"}])
        order = await shop.place(contract, "1", requested_date="2099-05-01")
        assert (order["delivery_address"], order["payment_terms_days"],
                order["prepayment_percent"], order["requested_date"], order["title"]) == (
            "宁波市北仑区", 45, "30.00", "2099-05-01", "水泵框架合同")
        custom = await shop.place(contract, "1", delivery_address="舟山仓库",
                                  payment_terms_days=0, prepayment_percent="100", title="急单")
        assert (custom["delivery_address"], custom["payment_terms_days"],
                custom["prepayment_percent"], custom["title"]) == (
            "舟山仓库", 0, "100.00", "急单")

    async def test_a_requested_date_in_the_past_is_refused(self, shop):
        contract = await shop.signed_contract(("10", "100.00"))
        refused = await shop.place(contract, "1", requested_date="2001-01-01", expect=422)
        assert refused["code"] == "order.date_in_past"

    async def test_draft_edits_need_the_current_version_and_recheck_lines(
            self, shop, client, company):
        contract = await shop.signed_contract(("10", "100.00"))
        order = await shop.place(contract, "6")
        await shop.place(contract, "3")
        url = f"{ORDERS}/{order['id']}"
        line = {"contract_line_id": contract["line_ids"][0]}
        stale = await client.patch(url, headers=company.rep | {"If-Match": '"9"'},
                                   json={"notes": "x"})
        assert stale.status_code == 412
        # Its own 6 units do not count against it: 7 of 10 remain for this order.
        too_many = await client.patch(url, headers=company.rep | {"If-Match": '"1"'},
                                      json={"lines": [line | {"quantity": "7.001"}]})
        assert too_many.json()["code"] == "order.quantity_exceeds_remaining"
        edited = await shop.ok(await client.patch(
            url, headers=company.rep | {"If-Match": '"1"'},
            json={"lines": [line | {"quantity": "7"}], "notes": "加急"}))
        assert (edited["total"], edited["version"], edited["notes"]) == ("700.00", 2, "加急")
        await shop.submit(edited)
        locked = await client.patch(url, headers=company.rep, json={"notes": "改"})
        assert (locked.status_code, locked.json()["code"]) == (409, "order.locked")


@pytest.mark.parametrize("field", ["contract_id", "quote_id"])
async def test_one_source_exactly(shop, client, company, field):
    body = {"contract_id": 1, "quote_id": 1, "lines": [{"contract_line_id": 1, "quantity": 1}]}
    del body[field]
    body.pop("quote_id" if field == "contract_id" else "contract_id")
    assert (await client.post(ORDERS, headers=company.rep, json=body)).status_code == 422
