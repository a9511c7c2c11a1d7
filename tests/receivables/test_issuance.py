"""A shipment issues its receivable in its own transaction; finance invoices a signed
contract's other milestones by hand, each once."""

from decimal import Decimal

from sqlalchemy import select

from app.orders.models import Order
from tests.factories.confirmed_orders import Line
from tests.receivables.conftest import RECEIVABLES, ok, refused


class TestOnShipment:
    async def test_the_shipped_value_is_invoiced_on_the_shipping_date(self, desk, session):
        receivable = await desk.shipped_receivable(quantity="4", shipped_on="2026-03-09")
        assert receivable["number"].startswith("YS-2026-")
        # 4 of 10 × 100.00 at 13 %: 400.00 + 52.00 tax.
        assert (receivable["source"], receivable["status"], receivable["amount"],
                receivable["amount_base"], receivable["balance"], receivable["invoice_date"],
                receivable["payment_terms_days"], receivable["due_date"]) == (
            "delivery", "open", "452.00", "452.00", "452.00", "2026-03-09", 30, "2026-04-08")
        order = (await session.execute(select(Order).where(
            Order.id == receivable["order_id"]).execution_options(
                populate_existing=True))).scalar_one()
        assert order.invoiced_base == Decimal("452.00")
        assert await desk.receivables_open() == "452.00"
        [issued] = await desk.events(f"receivable:{receivable['id']}")
        assert issued.type == "receivable.issued"
        assert issued.data["delivery_id"] == receivable["delivery_id"]

    async def test_a_foreign_currency_order_is_invoiced_in_its_currency_and_in_cny(self, desk):
        receivable = await desk.shipped_receivable(Line(quantity="1", unit_price="100.00"),
                                                   currency="USD", exchange_rate="7.1")
        assert (receivable["currency"], receivable["amount"], receivable["amount_base"]) == (
            "USD", "113.00", "802.30")

    async def test_each_shipment_is_its_own_receivable(self, desk, shop):
        order, [line] = await shop.order()
        for quantity in ("3", "7"):
            await shop.shipped(await shop.planned(order.id, (line.id, quantity)))
        items = ok(await desk.client.get(RECEIVABLES, headers=desk.company.finance,
                                         params={"order_id": order.id}))["items"]
        assert sorted(item["amount"] for item in items) == ["339.00", "791.00"]


class TestMilestones:
    async def _contract(self, desk, schedule) -> dict:
        from tests.factories.orders import Shop as OrderShop
        deciders = {"finance": desk.company.finance, "logistics": desk.shop.logistics,
                    "legal": desk.company.legal, "head": desk.company.head,
                    "vp": desk.company.vp, "gm": desk.company.gm, "board": desk.company.board}
        orders = OrderShop(desk.client, desk.company, desk.shop.logistics, deciders)
        return await orders.signed_contract(("10", "100.00"), payment_schedule=schedule)

    async def test_finance_invoices_a_prepayment_once(self, desk):
        contract = await self._contract(desk, [
            {"kind": "prepayment", "percent": "30", "due_days": 10},
            {"kind": "on_delivery", "percent": "70"}])
        body = {"contract_id": contract["id"], "milestone_index": 0,
                "invoice_number": "INV-001"}
        receivable = ok(await desk.client.post(RECEIVABLES, headers=desk.company.finance,
                                               json=body), 201)
        total = Decimal(contract["total"])
        assert (receivable["source"], receivable["milestone_kind"], receivable["amount"],
                receivable["invoice_date"], receivable["due_date"]) == (
            "milestone", "prepayment", f"{total * Decimal('0.3'):.2f}", "2026-03-10",
            "2026-03-20")
        refused(await desk.client.post(RECEIVABLES, headers=desk.company.finance, json=body),
                409, "receivable.milestone_already_invoiced")

    async def test_an_on_delivery_milestone_is_left_to_the_shipments(self, desk):
        contract = await self._contract(desk, [
            {"kind": "prepayment", "percent": "30"}, {"kind": "on_delivery", "percent": "70"}])
        refused(await desk.client.post(RECEIVABLES, headers=desk.company.finance, json={
            "contract_id": contract["id"], "milestone_index": 1}), 409,
            "receivable.milestone_invoiced_by_shipments")
        refused(await desk.client.post(RECEIVABLES, headers=desk.company.finance, json={
            "contract_id": contract["id"], "milestone_index": 2}), 422,
            "receivable.unknown_milestone")

    async def test_only_finance_invoices_milestones(self, desk):
        contract = await self._contract(desk, [{"kind": "prepayment", "percent": "100"}])
        refused(await desk.client.post(RECEIVABLES, headers=desk.company.rep, json={
            "contract_id": contract["id"], "milestone_index": 0}), 403, "forbidden")

    async def test_an_unsigned_contract_is_not_invoiced(self, desk, draft):
        contract = await draft()
        refused(await desk.client.post(RECEIVABLES, headers=desk.company.finance, json={
            "contract_id": contract["id"], "milestone_index": 0}), 409,
            "receivable.contract_not_signed")

    async def test_an_amendment_does_not_invoice_a_milestone_again(self, desk):
        contract = await self._contract(desk, [
            {"kind": "prepayment", "percent": "30"}, {"kind": "on_delivery", "percent": "70"}])
        first = ok(await desk.client.post(RECEIVABLES, headers=desk.company.finance, json={
            "contract_id": contract["id"], "milestone_index": 0}), 201)
        rep = desk.company.rep
        amendment = ok(await desk.client.post(f"/api/v1/contracts/{contract['id']}/amendments",
                                              headers=rep), 201)
        url = f"/api/v1/contracts/{amendment['id']}"
        ok(await desk.client.patch(url, headers=rep, json={"title": "水泵采购合同(补充)"}))
        submitted = ok(await desk.client.post(f"{url}/submit", headers=rep))
        from tests.factories.orders import Shop as OrderShop
        await OrderShop(desk.client, desk.company, desk.shop.logistics, {
            "finance": desk.company.finance, "legal": desk.company.legal,
            "head": desk.company.head, "vp": desk.company.vp, "gm": desk.company.gm,
            "board": desk.company.board}).approve_all(submitted["approval"]["id"])
        ok(await desk.client.post(f"{url}/sign", headers=rep, json={
            "signed_date": "2026-01-06", "signatories": [
                {"party": "customer", "name": "王总"}, {"party": "company", "name": "周总"}]}))
        problem = refused(await desk.client.post(RECEIVABLES, headers=desk.company.finance,
                                                 json={"contract_id": amendment["id"],
                                                       "milestone_index": 0}), 409,
                          "receivable.milestone_already_invoiced")
        assert problem["receivable_id"] == first["id"]
