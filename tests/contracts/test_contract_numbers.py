"""Contract numbers (合同编号): the year's next HT number on every new contract, kept by its
amendments, shown on reads, events and audit rows, and searchable with `?number=`.

Other tests (and committed race tests) take numbers from the same yearly counters, so these
compare numbers with each other rather than expecting a particular sequence value."""

import re
from datetime import UTC, datetime

import httpx
import pytest

from app.core.clock import system_clock
from app.events import changes
from tests.factories.contracts import contract_body
from tests.factories.quotes import quote_body, quote_line

CONTRACTS = "/api/v1/contracts"
NUMBER = re.compile(r"HT-(\d{4})-(\d{6})")
SIGN = {"signed_date": "2026-01-05", "signatories": [
    {"party": "customer", "name": "王总"}, {"party": "company", "name": "周总"}]}


def sequence(number: str) -> tuple[int, int]:
    """(year, sequence value) of a contract number."""
    match = NUMBER.fullmatch(number)
    assert match, number
    return int(match[1]), int(match[2])


@pytest.fixture
def at(app):
    """Stop the service's clock at an instant (UTC)."""
    def stop(instant: datetime) -> None:
        app.state.clock = lambda: instant
    yield stop
    app.state.clock = system_clock


async def _approve_all(client, company, request_id: int) -> None:
    deciders = [company.finance, company.legal, company.head, company.vp, company.gm,
                company.board]
    while (await client.get(f"/api/v1/approvals/{request_id}",
                            headers=company.admin)).json()["status"] == "pending":
        for headers in deciders:
            if (await client.post(f"/api/v1/approvals/{request_id}/approve", headers=headers,
                                  json={})).status_code == 200:
                break
        else:
            raise AssertionError("nobody could approve")


class TestNewContracts:
    async def test_each_new_contract_takes_the_next_number_of_its_year(self, client, company,
                                                                       draft, at):
        at(datetime(2026, 5, 6, 2, 0, tzinfo=UTC))
        first, second = await draft("1000.00"), await draft("2000.00")
        (year, value), (next_year, next_value) = sequence(first["number"]), sequence(
            second["number"])
        assert (year, next_year, next_value) == (2026, 2026, value + 1)
        read = (await client.get(f"{CONTRACTS}/{first['id']}", headers=company.rep)).json()
        assert read["number"] == first["number"]

    async def test_refused_and_failed_creations_leave_no_gap(self, app, client, company, draft,
                                                             monkeypatch):
        before = await draft()
        # Refused by its checks (an unknown customer; a schedule short of 100 %)...
        for body in (contract_body(999_999, company.product_id),
                     contract_body(company.customer_id, company.product_id,
                                   payment_schedule=[{"kind": "prepayment", "percent": "30"}])):
            assert (await client.post(CONTRACTS, headers=company.rep, json=body)).status_code in (
                409, 422)

        # ...and failing after it took its number: the whole command rolls back.
        def broken(*args, **kwargs):
            raise RuntimeError("the audit row could not be written")

        monkeypatch.setattr(changes.audit, "record", broken)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as failing:
            response = await failing.post(CONTRACTS, headers=company.rep, json=contract_body(
                company.customer_id, company.product_id, title="会失败的合同"))
        assert response.status_code == 500
        monkeypatch.undo()

        after = await draft()
        assert sequence(after["number"])[1] == sequence(before["number"])[1] + 1
        listed = (await client.get(CONTRACTS, headers=company.rep)).json()["items"]
        assert "会失败的合同" not in {c["title"] for c in listed}

    async def test_the_year_is_the_company_year_in_shanghai(self, company, draft, at):
        # 15:59:59 UTC on 31 December is 23:59:59 in Beijing; a second later it is New Year.
        at(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC))
        assert sequence((await draft())["number"])[0] == 2026
        at(datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC))
        assert sequence((await draft())["number"])[0] == 2027

    async def test_a_contract_from_a_quote_gets_its_own_contract_number(self, client, company):
        quote = (await client.post("/api/v1/quotes", headers=company.rep, json=quote_body(
            company.customer_id, [quote_line(company.product_id)]))).json()
        for action in ("submit", "send", "accept"):
            response = await client.post(f"/api/v1/quotes/{quote['id']}/{action}",
                                         headers=company.rep)
            assert response.status_code == 200, response.text
        created = await client.post(CONTRACTS, headers=company.rep, json={
            "quote_id": quote["id"], "payment_schedule": [{"kind": "on_delivery",
                                                           "percent": "100"}]})
        assert created.status_code == 201, created.text
        assert quote["number"].startswith("BJ-")
        sequence(created.json()["number"])

    async def test_the_number_is_in_the_event_and_the_audit_row(self, client, company, draft):
        contract = await draft()
        feed = (await client.get("/api/v1/events", headers=company.admin,
                                 params={"types": "contract.created"})).json()["items"]
        [event] = [e for e in feed if e["subject"] == f"contract:{contract['id']}"]
        assert event["data"]["number"] == contract["number"]
        audit = (await client.get("/api/v1/audit-log", headers=company.admin, params={
            "entity_type": "contract", "entity_id": str(contract["id"])})).json()["items"]
        assert [entry["after"]["number"] for entry in audit] == [contract["number"]]


class TestAmendments:
    async def test_an_amendment_keeps_the_number_with_its_revision(self, client, company,
                                                                   submitted):
        contract = await submitted("1000.00")
        await _approve_all(client, company, contract["approval"]["id"])
        signed = await client.post(f"{CONTRACTS}/{contract['id']}/sign", headers=company.rep,
                                   json=SIGN)
        assert signed.status_code == 200, signed.text
        amendment = (await client.post(f"{CONTRACTS}/{contract['id']}/amendments",
                                       headers=company.rep)).json()
        assert (amendment["number"], amendment["revision"]) == (contract["number"], 2)

        history = (await client.get(f"{CONTRACTS}/{amendment['id']}/versions",
                                    headers=company.rep)).json()
        assert history["number"] == contract["number"]
        found = (await client.get(CONTRACTS, headers=company.rep,
                                  params={"number": contract["number"]})).json()["items"]
        assert [(c["id"], c["revision"]) for c in found] == [
            (amendment["id"], 2), (contract["id"], 1)]
        feed = (await client.get("/api/v1/events", headers=company.admin,
                                 params={"types": "contract.amended"})).json()["items"]
        assert feed[-1]["data"]["number"] == contract["number"]
        # The next new contract still takes the next number: amendments take none.
        following = (await client.post(CONTRACTS, headers=company.rep, json=contract_body(
            company.customer_id, company.product_id))).json()
        assert sequence(following["number"])[1] == sequence(contract["number"])[1] + 1


class TestSearchByNumber:
    async def test_exact_number_finds_the_contract(self, client, company, draft):
        wanted, _other = await draft("1000.00"), await draft("2000.00")
        year, value = sequence(wanted["number"])
        for typed in (wanted["number"], f"  {wanted['number'].lower()} ", f"ht-{year}-{value}"):
            found = (await client.get(CONTRACTS, headers=company.rep,
                                      params={"number": typed})).json()["items"]
            assert [c["id"] for c in found] == [wanted["id"]], typed

    async def test_no_partial_match_and_no_other_peoples_contracts(self, client, company, draft,
                                                                   headers_for):
        contract = await draft()
        year, _ = sequence(contract["number"])
        for partial in (f"HT-{year}-", "HT", contract["number"][:-1], "不是编号"):
            response = await client.get(CONTRACTS, headers=company.rep,
                                        params={"number": partial})
            assert response.status_code == 200 and response.json()["items"] == [], partial
        west_rep = headers_for("sales_rep", sub="rep.west", dept="west")
        response = await client.get(CONTRACTS, headers=west_rep,
                                    params={"number": contract["number"]})
        assert response.json()["items"] == []

    async def test_an_overlong_number_is_refused(self, client, company):
        response = await client.get(CONTRACTS, headers=company.rep, params={"number": "H" * 65})
        assert response.status_code == 422
