"""GET /customers/{id}/timeline: a customer's documents of every kind, newest first, in
keyset pages that stay right when entries share a timestamp; the customer must be visible,
and each entry follows its own document's visibility."""

from datetime import datetime

from tests.deliveries.conftest import ok, refused
from tests.factories.contracts import contract_body
from tests.factories.quotes import quote_body, quote_line

PLANNED = "2026-03-12T06:30:00Z"


def timeline_url(customer_id: int) -> str:
    return f"/api/v1/customers/{customer_id}/timeline"


async def every_page(client, customer_id: int, headers: dict, limit: int) -> list[dict]:
    entries, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = ok(await client.get(timeline_url(customer_id), headers=headers, params=params))
        assert len(page["items"]) <= limit
        entries += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return entries


def order_key(entry: dict) -> tuple:
    return (datetime.fromisoformat(entry["occurred_at"]), entry["kind"], entry["id"])


async def visit(client, company, planned_at: str = PLANNED, headers: dict | None = None) -> dict:
    return ok(await client.post("/api/v1/visits", headers=headers or company.rep, json={
        "customer_id": company.customer_id, "purpose": "回访", "planned_at": planned_at,
        "place": "客户工厂"}), 201)


class TestEntries:
    async def test_every_kind_in_time_order(self, desk, client, company):
        quote = ok(await client.post("/api/v1/quotes", headers=company.rep, json=quote_body(
            company.customer_id, [quote_line(company.product_id, quantity="2")])), 201)
        contract = ok(await client.post("/api/v1/contracts", headers=company.rep,
                                        json=contract_body(company.customer_id,
                                                           company.product_id)), 201)
        receivable = await desk.shipped_receivable()
        ok(await desk.pay(receivable["id"], "500.00"), 201)
        planned = await visit(client, company)

        entries = await every_page(client, company.customer_id, company.head, 50)
        assert {e["kind"] for e in entries} == {"quote", "contract", "order", "delivery",
                                                 "receivable", "payment", "visit"}
        assert entries == sorted(entries, key=order_key, reverse=True)
        by_kind = {e["kind"]: e for e in entries}
        assert by_kind["quote"] == {
            "kind": "quote", "id": quote["id"], "number": quote["number"],
            "occurred_at": quote["created_at"], "status": "draft", "amount": quote["total"],
            "currency": "CNY", "summary": "离心泵报价"}
        assert by_kind["contract"]["number"] == contract["number"]
        assert by_kind["contract"]["amount"] == contract["total"]
        assert by_kind["receivable"]["amount"] == receivable["amount"] == "1130.00"
        assert by_kind["receivable"]["status"] == "partially_paid"
        assert by_kind["payment"]["amount"] == "500.00"
        assert by_kind["payment"]["status"] == "received"
        assert by_kind["payment"]["summary"] == "bank_transfer BANK-0001"
        assert by_kind["delivery"]["status"] == "shipped"
        assert by_kind["delivery"]["amount"] == "1130.00"
        assert by_kind["delivery"]["summary"] == "顺丰速运 SF1234567890"
        assert by_kind["order"]["amount"] == "1130.00"
        assert by_kind["visit"] == {
            "kind": "visit", "id": planned["id"], "number": planned["number"],
            "occurred_at": PLANNED, "status": "draft", "amount": None, "currency": None,
            "summary": "回访"}

    async def test_complaints_are_entries(self, client, company, headers_for):
        service = headers_for("customer_service", sub="cs.xu")
        complaint = ok(await client.post("/api/v1/complaints", headers=service, json={
            "customer_id": company.customer_id, "channel": "phone", "category": "quality",
            "severity": "high", "title": "阀门漏水", "description": "收到的阀门有三只漏水"}), 201)

        for reader in (company.rep, company.head, service):
            entries = await every_page(client, company.customer_id, reader, 50)
            assert [e for e in entries if e["kind"] == "complaint"] == [{
                "kind": "complaint", "id": complaint["id"], "number": complaint["number"],
                "occurred_at": complaint["created_at"], "status": "received", "amount": None,
                "currency": None, "summary": "阀门漏水"}]
        assert complaint["number"].startswith("TS-")

    async def test_an_empty_timeline(self, client, company, session):
        from tests.factories.customers import create_customer
        from tests.factories.departments import create_department

        customer = await create_customer(session, department=await create_department(
            session, id="east9"), owner_id="rep.zhang")
        page = ok(await client.get(timeline_url(customer.id), headers=company.gm))
        assert page == {"items": [], "next_cursor": None, "total": None}


class TestPages:
    async def test_ties_keep_their_order_across_pages(self, client, company):
        quote = ok(await client.post("/api/v1/quotes", headers=company.rep, json=quote_body(
            company.customer_id, [quote_line(company.product_id)])), 201)
        # Visits at the very instant the quote was created (a tie across kinds), and three
        # at one other instant (ties within a kind).
        tied = [await visit(client, company, quote["created_at"]) for _ in range(2)]
        same = [await visit(client, company, "2030-01-01T00:00:00Z") for _ in range(3)]
        later = await visit(client, company, "2030-06-01T00:00:00Z")

        whole = await every_page(client, company.customer_id, company.rep, 200)
        assert [(e["kind"], e["id"]) for e in whole] == [
            ("visit", later["id"]), *[("visit", v["id"]) for v in reversed(same)],
            # The same instant: kinds in reverse order (visit after quote), then ids.
            *[("visit", v["id"]) for v in reversed(tied)], ("quote", quote["id"])]
        for limit in (1, 2, 3, 4):
            assert await every_page(client, company.customer_id, company.rep, limit) == whole

    async def test_bad_cursors(self, client, company):
        url = timeline_url(company.customer_id)
        for cursor in ("not-a-cursor", "WzEsMiwzXQ",  # [1,2,3]
                       "WyIyMDMwLTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwibm90YWtpbmQiLDFd"):  # bad kind
            refused(await client.get(url, headers=company.rep, params={"cursor": cursor}),
                    400, "pagination.invalid_cursor")
        refused(await client.get(url, headers=company.rep, params={"limit": 201}), 422,
                "validation_error")


class TestVisibility:
    async def test_the_customer_must_be_visible(self, client, company, headers_for):
        await visit(client, company)
        url = timeline_url(company.customer_id)
        for headers in (company.other_rep,
                        headers_for("dept_head", sub="head.west", dept="west")):
            refused(await client.get(url, headers=headers), 404, "customer.not_found")
        refused(await client.get(timeline_url(999999), headers=company.gm), 404,
                "customer.not_found")
        for headers in (company.rep, company.head, company.vp, company.gm, company.finance,
                        headers_for("auditor")):
            assert len(ok(await client.get(url, headers=headers))["items"]) == 1

    async def test_entries_follow_their_own_visibility(self, client, company):
        mine = await visit(client, company)
        # The head gives the customer to another rep: the documents stay rep.zhang's.
        ok(await client.patch(f"/api/v1/customers/{company.customer_id}",
                              headers=company.head, json={"owner_id": "rep.liu"}))
        theirs = await visit(client, company, "2026-03-13T02:00:00Z", company.other_rep)
        url = timeline_url(company.customer_id)
        liu = ok(await client.get(url, headers=company.other_rep))
        assert [e["id"] for e in liu["items"]] == [theirs["id"]]
        head = ok(await client.get(url, headers=company.head))
        assert [e["id"] for e in head["items"]] == [theirs["id"], mine["id"]]
        refused(await client.get(url, headers=company.rep), 404, "customer.not_found")
