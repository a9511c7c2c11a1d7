"""What a list screen relies on beyond paging (tests/core/test_sorted_lists.py): cursors bound
to their sort, the optional count, the screen's filters at their edges, and names beside
the ids, with the user directory that remembers people's names as they act."""

import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.calendar.working_time import local_date
from app.core.db import utcnow
from app.core.directory import AppUser
from app.customers.models import Customer
from tests.factories.contracts import contract_body

CONTRACTS = "/api/v1/contracts"


def forged(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.json()
    return response.json()


@pytest.fixture
async def three(draft):
    return [await draft(total) for total in ("1000.00", "100000.00", "100000.01")]


class TestCursors:
    async def test_a_cursor_continues_only_the_sort_it_was_made_for(self, client, company,
                                                                    three):
        first = (await client.get(CONTRACTS, headers=company.rep,
                                  params={"limit": 1, "sort": "-created_at"})).json()
        assert first["next_cursor"]
        problem = refused(await client.get(CONTRACTS, headers=company.rep, params={
            "limit": 1, "sort": "total", "cursor": first["next_cursor"]}),
            400, "pagination.cursor_sort_mismatch")
        assert "-created_at" in problem["detail"]
        # Without `sort` the default applies, which is the one it was made for.
        assert (await client.get(CONTRACTS, headers=company.rep, params={
            "limit": 1, "cursor": first["next_cursor"]})).status_code == 200

    @pytest.mark.parametrize("payload", [
        {"sort": "total", "after": ["NaN", 1]},
        {"sort": "total", "after": ["1e30", 1]},
        {"sort": "total", "after": ["100.00", None]},
        {"sort": "-created_at", "after": ["2026-01-01T00:00:00", 1]},  # no zone
        {"sort": "-created_at", "after": ["yesterday", 1]},
        {"sort": "-created_at", "after": [1]},
        {"sort": "-created_at", "after": ["2026-01-01T00:00:00+00:00", 2**40]},
        {"sort": "title", "after": ["a\u0000b", 1]},
        ["2026-01-01T00:00:00+00:00", 1],
    ])
    async def test_a_changed_cursor_is_refused(self, client, company, three, payload):
        sort = payload["sort"] if isinstance(payload, dict) else "-created_at"
        refused(await client.get(CONTRACTS, headers=company.rep,
                                 params={"sort": sort, "cursor": forged(payload)}),
                400, "pagination.invalid_cursor")

    async def test_a_null_sort_key_in_a_cursor_resumes_among_the_nulls(self, client, company,
                                                                       three):
        # No draft is signed: every signed_date is NULL, and the pages still walk them all.
        seen, cursor = [], None
        while True:
            params = {"limit": 1, "sort": "-signed_date"} | ({"cursor": cursor} if cursor else {})
            body = (await client.get(CONTRACTS, headers=company.rep, params=params)).json()
            seen += [c["id"] for c in body["items"]]
            if not (cursor := body["next_cursor"]):
                break
        assert sorted(seen) == sorted(c["id"] for c in three)

    async def test_an_unknown_sort_is_invalid(self, client, company):
        refused(await client.get(CONTRACTS, headers=company.rep, params={"sort": "owner_id"}),
                422, "validation_error")
        refused(await client.get(CONTRACTS, headers=company.rep, params={"sort": "--total"}),
                422, "validation_error")

    @pytest.mark.parametrize("sort", ["total,-total", "total,owner_id", "total,", ",total"])
    async def test_a_sort_names_each_of_the_list_s_fields_once(self, client, company, sort):
        problem = refused(await client.get(CONTRACTS, headers=company.rep,
                                           params={"sort": sort}), 422, "validation_error")
        [error] = problem["errors"]
        assert error["loc"] == ["query", "sort"] and error["type"] == "sort_invalid"
        assert "created_at, updated_at, number, total" in error["msg"]
        chinese = refused(await client.get(CONTRACTS, params={"sort": sort}, headers={
            **company.rep, "Accept-Language": "zh-CN"}), 422, "validation_error")
        assert "可按 created_at、updated_at、number、total" in chinese["errors"][0]["msg"]

    async def test_a_cursor_of_a_two_field_sort_continues_only_that_sort(self, client, company,
                                                                         three):
        first = (await client.get(CONTRACTS, headers=company.rep,
                                  params={"limit": 1, "sort": "-total,created_at"})).json()
        assert [c["total"] for c in first["items"]] == ["100000.01"]
        for other in ("-total", "created_at,-total", "-total,-created_at"):
            refused(await client.get(CONTRACTS, headers=company.rep, params={
                "sort": other, "cursor": first["next_cursor"]}),
                400, "pagination.cursor_sort_mismatch")
        rest = (await client.get(CONTRACTS, headers=company.rep, params={
            "sort": "-total,created_at", "cursor": first["next_cursor"]})).json()
        assert [c["total"] for c in rest["items"]] == ["100000.00", "1000.00"]


class TestTotal:
    async def test_the_count_is_given_only_when_asked_and_follows_the_filters(
            self, client, company, three):
        plain = (await client.get(CONTRACTS, headers=company.rep, params={"limit": 1})).json()
        assert plain["total"] is None
        counted = (await client.get(CONTRACTS, headers=company.rep, params={
            "limit": 1, "include_total": "true"})).json()
        assert counted["total"] == 3 and len(counted["items"]) == 1
        filtered = (await client.get(CONTRACTS, headers=company.rep, params={
            "include_total": "true", "amount_from": "100000.00"})).json()
        assert filtered["total"] == 2


class TestFilters:
    async def test_amount_bounds_are_inclusive_to_the_cent(self, client, company, three):
        async def totals(**params: str) -> list[str]:
            body = (await client.get(CONTRACTS, headers=company.rep, params=params)).json()
            return sorted(c["total"] for c in body["items"])

        assert await totals(amount_from="100000.01") == ["100000.01"]
        assert await totals(amount_to="100000.00") == ["1000.00", "100000.00"]
        assert await totals(amount_from="100000.00", amount_to="100000.00") == ["100000.00"]
        refused(await client.get(CONTRACTS, headers=company.rep,
                                 params={"amount_from": "1.001"}), 422, "validation_error")
        refused(await client.get(CONTRACTS, headers=company.rep,
                                 params={"amount_to": "99999999999999999"}),
                422, "validation_error")

    async def test_text_search_finds_number_title_and_customer_name(self, client, company,
                                                                     session, draft):
        customer = await session.get(Customer, company.customer_id)
        [contract] = [await draft("10.00", title="离心泵年度框架协议")]

        async def found(q: str) -> set[int]:
            body = (await client.get(CONTRACTS, headers=company.rep, params={"q": q})).json()
            return {c["id"] for c in body["items"]}

        assert contract["id"] in await found("框架")
        assert contract["id"] in await found(contract["number"].lower())
        assert contract["id"] in await found(customer.name[2:].upper())
        assert await found("没有这个") == set()
        assert await found("100%") == set()  # % is a character, not a wildcard

    async def test_owner_department_and_created_days(self, client, company, three):
        today = local_date(utcnow())

        async def count(**params: str) -> int:
            body = (await client.get(CONTRACTS, headers=company.gm,
                                     params=params | {"include_total": "true"})).json()
            return body["total"]

        assert await count(owner_id="rep.zhang") == 3
        assert await count(owner_id="rep.liu") == 0
        assert await count(department_id="east") == 3
        assert await count(department_id="west") == 0
        assert await count(created_from=str(today), created_to=str(today)) == 3
        assert await count(created_from=str(today + timedelta(days=1))) == 0
        assert await count(created_to=str(today - timedelta(days=1))) == 0

    @pytest.mark.parametrize("path", ["/api/v1/quotes", "/api/v1/opportunities",
                                      "/api/v1/customers", "/api/v1/contracts"])
    async def test_the_searched_lists_take_q(self, client, company, path):
        response = await client.get(path, headers=company.rep, params={"q": "泵"})
        assert response.status_code == 200, response.text


class TestNames:
    async def test_reads_carry_the_customer_and_people_names(self, client, company, session,
                                                             headers_for):
        rep = headers_for("sales_rep", sub="rep.zhang", dept="east", name="张伟")
        customer = await session.get(Customer, company.customer_id)
        created = await client.post(CONTRACTS, headers=rep, json=contract_body(
            company.customer_id, company.product_id))
        assert created.status_code == 201, created.text
        assert created.json()["customer_name"] == customer.name
        assert created.json()["owner_name"] == "张伟"
        assert created.json()["created_by_name"] == "张伟"
        listed = (await client.get(CONTRACTS, headers=company.gm)).json()["items"]
        assert [(c["customer_name"], c["owner_name"]) for c in listed] == [(customer.name, "张伟")]
        customers = (await client.get("/api/v1/customers", headers=company.gm)).json()["items"]
        assert {c["owner_name"] for c in customers} == {"张伟"}

    async def test_someone_not_yet_seen_has_no_name(self, client, company, draft):
        await draft()  # company.rep's token has no name
        [listed] = (await client.get(CONTRACTS, headers=company.gm)).json()["items"]
        assert listed["owner_id"] == "rep.zhang" and listed["owner_name"] is None


class TestUserDirectory:
    async def names(self, session) -> dict[str, str]:
        rows = await session.execute(select(AppUser.sub, AppUser.name))
        return dict(rows.all())

    async def test_a_write_remembers_the_name_and_a_read_does_not(self, client, company,
                                                                  session, headers_for):
        reader = headers_for("gm", sub="gm.zhou", name="周总")
        assert (await client.get(CONTRACTS, headers=reader)).status_code == 200
        assert "gm.zhou" not in await self.names(session)

        writer = headers_for("sales_rep", sub="rep.zhang", dept="east", name="张伟")
        body = contract_body(company.customer_id, company.product_id)
        assert (await client.post(CONTRACTS, headers=writer, json=body)).status_code == 201
        assert (await self.names(session))["rep.zhang"] == "张伟"

        renamed = headers_for("sales_rep", sub="rep.zhang", dept="east", name="张伟（华东）")
        assert (await client.post(CONTRACTS, headers=renamed, json=body)).status_code == 201
        assert (await self.names(session))["rep.zhang"] == "张伟（华东）"

    async def test_a_refused_write_remembers_nothing(self, client, company, session,
                                                     headers_for):
        finance = headers_for("finance", sub="fin.qian", name="钱会计")
        response = await client.post(CONTRACTS, headers=finance, json=contract_body(
            company.customer_id, company.product_id))
        assert response.status_code == 403
        assert "fin.qian" not in await self.names(session)

    async def test_last_seen_is_refreshed_only_when_stale(self, client, company, session,
                                                          headers_for, draft):
        writer = headers_for("sales_rep", sub="rep.zhang", dept="east", name="张伟")
        body = contract_body(company.customer_id, company.product_id)
        assert (await client.post(CONTRACTS, headers=writer, json=body)).status_code == 201
        user = await session.get(AppUser, "rep.zhang")
        first_seen = user.last_seen_at
        assert (await client.post(CONTRACTS, headers=writer, json=body)).status_code == 201
        await session.refresh(user)
        assert user.last_seen_at == first_seen  # seen within the hour: not rewritten
        user.last_seen_at = first_seen - timedelta(hours=2)
        await session.commit()
        assert (await client.post(CONTRACTS, headers=writer, json=body)).status_code == 201
        await session.refresh(user)
        assert user.last_seen_at > first_seen - timedelta(hours=2)
