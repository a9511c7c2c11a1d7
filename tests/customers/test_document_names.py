"""Opportunities, quotes and contracts store their customer's name, for their `?q=`: every
way of writing one stores it, a rename rewrites it in the same transaction, and a document
written while its customer is renamed ends with the new name (PostgreSQL row locks)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text

from app.core.db import create_sessionmaker
from tests.conftest import IS_POSTGRES
from tests.factories.contracts import contract_body
from tests.factories.customers import create_customer
from tests.factories.departments import create_department
from tests.factories.products import create_product
from tests.factories.quotes import quote_body, quote_line

CUSTOMERS = "/api/v1/customers"
OPPORTUNITIES = "/api/v1/opportunities"
QUOTES = "/api/v1/quotes"
CONTRACTS = "/api/v1/contracts"
LISTS = (OPPORTUNITIES, QUOTES, CONTRACTS)
OPPORTUNITY = {"title": "冷却塔循环泵", "grade": "low", "expected_amount": "50000.00",
               "expected_close_date": "2027-06-30"}
SIGN = {"signed_date": "2026-01-05", "signatories": [
    {"party": "customer", "name": "王总"}, {"party": "company", "name": "周总"}]}


def created(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def found(client, headers, path: str, q: str) -> set[int]:
    body = created(await client.get(path, headers=headers, params={"q": q, "limit": 100}))
    return {item["id"] for item in body["items"]}


async def rename(client, headers, customer_id: int, name: str) -> None:
    created(await client.patch(f"{CUSTOMERS}/{customer_id}", headers=headers,
                               json={"name": name}))


async def one_of_each(client, headers, customer_id: int, product_id: int) -> dict[str, int]:
    return {
        OPPORTUNITIES: created(await client.post(OPPORTUNITIES, headers=headers, json={
            "customer_id": customer_id} | OPPORTUNITY))["id"],
        QUOTES: created(await client.post(QUOTES, headers=headers, json=quote_body(
            customer_id, [quote_line(product_id)])))["id"],
        CONTRACTS: created(await client.post(CONTRACTS, headers=headers, json=contract_body(
            customer_id, product_id)))["id"],
    }


async def test_a_renamed_customers_documents_are_found_by_the_new_name_only(
        client, company, session):
    other = await create_customer(session, owner_id="rep.zhang", name="杭州恒达贸易有限公司")
    renamed = await one_of_each(client, company.rep, company.customer_id, company.product_id)
    untouched = await one_of_each(client, company.rep, other.id, company.product_id)
    await rename(client, company.rep, company.customer_id, "宁波鑫磊机械有限公司")
    for path in LISTS:
        assert await found(client, company.rep, path, "鑫磊机械") == {renamed[path]}, path
        assert await found(client, company.rep, path, "Customer") == set(), path
        assert await found(client, company.rep, path, "恒达") == {untouched[path]}, path
        read = created(await client.get(f"{path}/{renamed[path]}", headers=company.rep))
        assert read["customer_name"] == "宁波鑫磊机械有限公司"
        listed = created(await client.get(path, headers=company.rep, params={
            "customer_id": company.customer_id}))["items"]
        assert [item["customer_name"] for item in listed] == ["宁波鑫磊机械有限公司"]


async def test_documents_written_from_others_carry_the_name(client, company, submitted):
    """A quote's revision, a contract drafted from an accepted quote and an amendment all
    store the customer's name as it is when they are written."""
    approved = created(await client.post(QUOTES, headers=company.rep, json=quote_body(
        company.customer_id, [quote_line(company.product_id)])))
    approved = created(await client.post(f"{QUOTES}/{approved['id']}/submit",
                                         headers=company.rep))
    accepted = created(await client.post(QUOTES, headers=company.rep, json=quote_body(
        company.customer_id, [quote_line(company.product_id)])))
    for action in ("submit", "send", "accept"):
        accepted = created(await client.post(f"{QUOTES}/{accepted['id']}/{action}",
                                             headers=company.rep))
    contract = await submitted()
    await _approve_all(client, company, contract["approval"]["id"])
    signed = created(await client.post(f"{CONTRACTS}/{contract['id']}/sign",
                                       headers=company.rep, json=SIGN))
    await rename(client, company.rep, company.customer_id, "苏州瑞丰水务")

    revision = created(await client.post(f"{QUOTES}/{approved['id']}/revise",
                                         headers=company.rep))
    drafted = created(await client.post(CONTRACTS, headers=company.rep, json={
        "quote_id": accepted["id"],
        "payment_schedule": [{"kind": "on_delivery", "percent": "100"}]}))
    amendment = created(await client.post(f"{CONTRACTS}/{signed['id']}/amendments",
                                          headers=company.rep))
    for document in (revision, drafted, amendment):
        assert document["customer_name"] == "苏州瑞丰水务", document
    assert {revision["id"], approved["id"], accepted["id"]} <= await found(
        client, company.rep, QUOTES, "瑞丰")
    assert {drafted["id"], amendment["id"], signed["id"]} <= await found(
        client, company.rep, CONTRACTS, "瑞丰")


async def _approve_all(client, company, request_id: int) -> None:
    deciders = [company.finance, company.legal, company.head, company.vp, company.gm,
                company.board]
    while (await client.get(f"/api/v1/approvals/{request_id}",
                            headers=company.admin)).json()["status"] == "pending":
        for headers in deciders:
            response = await client.post(f"/api/v1/approvals/{request_id}/approve",
                                         headers=headers, json={})
            if response.status_code == 200:
                break
        else:
            raise AssertionError(f"nobody could approve request {request_id}")


DEPARTMENT = "race-names"


@dataclass
class Race:
    client: httpx.AsyncClient
    rep: dict
    head: dict
    customer_id: int
    product_id: int


@pytest.fixture
async def race(committing_app, engine, headers_for) -> AsyncIterator[Race]:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        # What the test commits is removed afterwards: everything written after these marks.
        audit_mark = await session.scalar(text("SELECT coalesce(max(id), 0) FROM audit_entry"))
        event_mark = await session.scalar(text("SELECT coalesce(max(id), 0) FROM event"))
        counters = (await session.execute(text(
            "SELECT kind, year, last_value FROM document_counter"))).all()
        department = await create_department(session, id=DEPARTMENT)
        customer = await create_customer(session, department=department, owner_id="rep.names",
                                         name="宁波港城机械")
        product = await create_product(session, sku="RACE-NAMES")
    try:
        transport = httpx.ASGITransport(app=committing_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield Race(client, headers_for("sales_rep", sub="rep.names", dept=DEPARTMENT),
                       headers_for("dept_head", sub="head.names", dept=DEPARTMENT),
                       customer.id, product.id)
    finally:
        async with maker() as session:
            requests = f"SELECT id FROM approval_request WHERE department_id = '{DEPARTMENT}'"
            quotes = f"SELECT id FROM quote WHERE department_id = '{DEPARTMENT}'"
            contracts = f"SELECT id FROM contract WHERE department_id = '{DEPARTMENT}'"
            for statement in (
                f"DELETE FROM approval_decision WHERE request_id IN ({requests})",
                f"DELETE FROM approval_step WHERE request_id IN ({requests})",
                f"DELETE FROM approval_request WHERE department_id = '{DEPARTMENT}'",
                f"DELETE FROM contract_line WHERE contract_id IN ({contracts})",
                f"DELETE FROM contract WHERE department_id = '{DEPARTMENT}'",
                f"DELETE FROM quote_line WHERE quote_id IN ({quotes})",
                ("UPDATE quote SET predecessor_id = NULL, successor_id = NULL "
                 f"WHERE department_id = '{DEPARTMENT}'"),
                f"DELETE FROM quote WHERE department_id = '{DEPARTMENT}'",
                f"DELETE FROM opportunity WHERE department_id = '{DEPARTMENT}'",
                f"DELETE FROM customer WHERE department_id = '{DEPARTMENT}'",
                "DELETE FROM product WHERE sku = 'RACE-NAMES'",
                f"DELETE FROM department WHERE id = '{DEPARTMENT}'",
                f"DELETE FROM audit_entry WHERE id > {audit_mark}",
                f"DELETE FROM event WHERE id > {event_mark}",
                "DELETE FROM document_counter",
            ):
                await session.execute(text(statement))
            for kind, year, last_value in counters:
                await session.execute(text(
                    "INSERT INTO document_counter (kind, year, last_value) "
                    "VALUES (:kind, :year, :last_value)"),
                    {"kind": kind, "year": year, "last_value": last_value})
            await session.commit()


@pytest.mark.skipif(not IS_POSTGRES, reason="real concurrency needs PostgreSQL")
async def test_documents_written_during_renames_end_with_the_last_name(race, engine):
    """Each round renames the customer while two of each document are being written for
    it; whichever commits first, no document keeps a name the customer no longer has."""
    for round_ in range(4):
        name = f"宁波港城机械 第{round_ + 1}次更名"
        writes = [one_of_each(race.client, race.rep, race.customer_id, race.product_id)
                  for _ in range(2)]
        await asyncio.gather(rename(race.client, race.head, race.customer_id, name), *writes)
        names = await _names_of_documents(engine, race.customer_id)
        assert {found_name for found_name, _ in names} == {name}, names
        assert sum(count for _, count in names) == 6 * (round_ + 1)


async def _names_of_documents(engine, customer_id: int) -> list[tuple[str, int]]:
    async with create_sessionmaker(engine)() as session:
        return list((await session.execute(text(
            "SELECT customer_name, count(*) FROM opportunity WHERE customer_id = :c "
            "GROUP BY 1 UNION ALL SELECT customer_name, count(*) FROM quote "
            "WHERE customer_id = :c GROUP BY 1 UNION ALL SELECT customer_name, count(*) "
            "FROM contract WHERE customer_id = :c GROUP BY 1"), {"c": customer_id})).all())


@pytest.mark.skipif(not IS_POSTGRES, reason="real concurrency needs PostgreSQL")
async def test_documents_copied_during_a_rename_end_with_the_new_name(race, engine):
    """A quote's revision and a contract drafted from an accepted quote lock the customer
    before the quote they copy (the rename locks it before the quotes it rewrites): they
    neither deadlock with the rename nor keep the old name."""
    async def quote(*actions: str) -> dict:
        made = created(await race.client.post(QUOTES, headers=race.rep, json=quote_body(
            race.customer_id, [quote_line(race.product_id)])))
        for action in actions:
            made = created(await race.client.post(f"{QUOTES}/{made['id']}/{action}",
                                                  headers=race.rep))
        return made

    for round_ in range(3):
        approved = [await quote("submit") for _ in range(2)]
        accepted = [await quote("submit", "send", "accept") for _ in range(2)]
        name = f"宁波港城机械 第{round_ + 1}次更名"
        copies = await asyncio.gather(
            rename(race.client, race.head, race.customer_id, name),
            *[race.client.post(f"{QUOTES}/{q['id']}/revise", headers=race.rep)
              for q in approved],
            *[race.client.post(CONTRACTS, headers=race.rep, json={
                "quote_id": q["id"],
                "payment_schedule": [{"kind": "on_delivery", "percent": "100"}]})
              for q in accepted])
        assert [r.status_code for r in copies[1:]] == [201, 201, 201, 201], [
            r.text for r in copies[1:]]
        names = await _names_of_documents(engine, race.customer_id)
        assert {found_name for found_name, _ in names} == {name}, names
