"""Who sees a delivery (whoever sees its order; another rep's is 404), who does what to it
(the sales line plans, logistics and the ERP record shipments, receipts and returns), and
the list: filters, pages, and a number of queries that does not grow with the page."""

import pytest
from sqlalchemy import event

from tests.deliveries.conftest import DELIVERIES, SHIP, ok, refused
from tests.factories.customers import create_customer
from tests.factories.departments import create_department


@pytest.fixture
async def south_delivery(shop, session) -> dict:
    """A planned delivery of another department's customer (rep.zhao in south)."""
    south = await create_department(session, id="south")
    customer = await create_customer(session, department=south, owner_id="rep.zhao")
    order, [line] = await shop.order(customer=customer)
    return await shop.planned(order.id, (line.id, "1"))


class TestVisibility:
    async def test_another_reps_delivery_is_not_found(self, shop):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"), headers=shop.company.rep)
        liu = shop.company.other_rep
        refused(await shop.get(planned["id"], headers=liu), 404, "delivery.not_found")
        refused(await shop.act(planned, "cancel", {"reason": "x"}, headers=liu), 404,
                "delivery.not_found")
        refused(await shop.client.patch(f"{DELIVERIES}/{planned['id']}", headers=liu,
                                        json={"ship_to": "x"}), 404, "delivery.not_found")
        assert ok(await shop.client.get(DELIVERIES, headers=liu))["items"] == []
        assert ok(await shop.get(planned["id"], headers=shop.company.rep))["id"] == planned["id"]
        # Beyond any id: the same answer as a missing one.
        refused(await shop.get(2**31, headers=shop.company.rep), 404, "delivery.not_found")

    async def test_heads_see_their_department_and_company_roles_see_all(
            self, shop, south_delivery, headers_for):
        order, [line] = await shop.order()
        east = await shop.planned(order.id, (line.id, "1"))

        async def ids(headers) -> set[int]:
            return {d["id"] for d in ok(await shop.client.get(DELIVERIES, headers=headers))["items"]}

        both = {east["id"], south_delivery["id"]}
        assert await ids(shop.company.head) == {east["id"]}
        refused(await shop.get(south_delivery["id"], headers=shop.company.head), 404,
                "delivery.not_found")
        assert await ids(shop.company.vp) == {east["id"]}
        assert await ids(headers_for("deputy_gm", sub="vp.wu", depts=["east", "south"])) == both
        for role in ("logistics", "integration", "finance", "gm", "auditor",
                     "customer_service"):
            assert await ids(headers_for(role)) == both, role


class TestRoles:
    async def test_logistics_and_the_erp_ship_and_record_receipts(self, shop):
        order, [line] = await shop.order()
        by_logistics = await shop.planned(order.id, (line.id, "1"))
        by_rep = await shop.planned(order.id, (line.id, "1"), headers=shop.company.rep)
        shipped = ok(await shop.act(by_logistics, "ship", SHIP, headers=shop.logistics))
        ok(await shop.act(shipped, "deliver", {"received_by": "王"}, headers=shop.erp))
        shipped = ok(await shop.act(by_rep, "ship", SHIP, headers=shop.erp))
        ok(await shop.act(shipped, "deliver", {"received_by": "王"}, headers=shop.logistics))

    async def test_the_sales_line_plans_but_does_not_ship(self, shop):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"), headers=shop.company.rep)
        for headers in (shop.company.rep, shop.company.head, shop.company.gm):
            problem = refused(await shop.act(planned, "ship", SHIP, headers=headers), 403,
                              "forbidden")
            assert problem["operation"] == "ship_delivery"
        assert ok(await shop.get(planned["id"]))["status"] == "planned"

    async def test_the_erp_and_finance_do_not_plan(self, shop):
        order, [line] = await shop.order()
        for headers in (shop.erp, shop.company.finance):
            problem = refused(await shop.plan(order.id, (line.id, "1"), headers=headers), 403,
                              "forbidden")
            assert problem["operation"] == "create_delivery"
        _, [line] = await shop.state(order.id)
        assert line.scheduled_quantity == 0

    async def test_allowed_actions_follow_the_caller(self, shop, headers_for):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"))

        async def actions(headers) -> list[str]:
            return ok(await shop.get(planned["id"], headers=headers))["allowed_actions"]

        assert await actions(shop.logistics) == ["update", "cancel", "ship"]
        assert await actions(shop.company.rep) == ["update", "cancel"]
        assert await actions(shop.erp) == ["ship"]
        assert await actions(headers_for("auditor")) == []
        assert await actions(shop.company.finance) == []


class TestList:
    async def test_filters(self, shop, session, clock):
        order, [line] = await shop.order()
        other_order, [other_line] = await shop.order()
        early = await shop.planned(order.id, (line.id, "1"), planned_date="2026-03-01")
        late = await shop.planned(order.id, (line.id, "1"), planned_date="2026-03-31")
        shipped = await shop.shipped(
            await shop.planned(other_order.id, (other_line.id, "1"), planned_date="2026-03-05"),
            shipped_on="2026-03-08")
        ids = {d["id"] for d in (early, late, shipped)}

        async def found(**params) -> set[int]:
            page = ok(await shop.client.get(DELIVERIES, headers=shop.logistics, params=params))
            return {d["id"] for d in page["items"]} & ids

        assert await found(order_id=order.id) == {early["id"], late["id"]}
        assert await found(customer_id=shop.company.customer_id) == ids
        assert await found(status="shipped") == {shipped["id"]}
        assert await found(planned_from="2026-03-05", planned_to="2026-03-31") == {
            late["id"], shipped["id"]}
        assert await found(planned_to="2026-03-04") == {early["id"]}
        assert await found(shipped_from="2026-03-08", shipped_to="2026-03-08") == {shipped["id"]}
        assert await found(shipped_from="2026-03-09") == set()
        refused(await shop.client.get(DELIVERIES, headers=shop.logistics,
                                      params={"status": "lost"}), 422, "validation_error")
        refused(await shop.client.get(DELIVERIES, headers=shop.logistics,
                                      params={"planned_from": "0001-01-01"}), 422,
                "validation_error")

    async def test_pages_newest_first(self, shop):
        order, [line] = await shop.order()
        made = [(await shop.planned(order.id, (line.id, "1")))["id"] for _ in range(5)]
        seen, cursor = [], None
        while True:
            params = {"order_id": order.id, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = ok(await shop.client.get(DELIVERIES, headers=shop.logistics, params=params))
            seen += [d["id"] for d in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == made[::-1]

    async def test_items_are_complete_and_queries_do_not_grow(self, shop, engine):
        order, [line] = await shop.order()
        shipped = await shop.shipped(await shop.planned(order.id, (line.id, "2")))
        await shop.returned(shipped, (shipped["lines"][0]["id"], "1"))
        await shop.planned(order.id, (line.id, "1"))

        async def page() -> dict:
            return ok(await shop.client.get(DELIVERIES, headers=shop.logistics,
                                            params={"order_id": order.id}))

        async def count() -> int:
            statements = []

            def record(_conn, _cursor, statement, *_args):
                statements.append(statement)

            event.listen(engine.sync_engine, "before_cursor_execute", record)
            try:
                await page()
            finally:
                event.remove(engine.sync_engine, "before_cursor_execute", record)
            return len(statements)

        newest, older = (await page())["items"]
        assert newest["allowed_actions"] == ["update", "cancel", "ship"] and newest["lines"]
        assert older["returns"][0]["lines"][0]["quantity"] == "1.000"
        few = await count()
        for _ in range(4):
            await shop.planned(order.id, (line.id, "1"))
        assert len((await page())["items"]) == 6
        assert await count() == few

    async def test_the_etag_is_the_version(self, shop):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"))
        response = await shop.get(planned["id"])
        assert response.headers["ETag"] == '"1"'
        shipped = await shop.act(planned, "ship", SHIP, if_match=1)
        assert shipped.headers["ETag"] == '"2"'

