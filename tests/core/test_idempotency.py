"""Idempotency-Key: a retried POST replays the first response and writes nothing twice."""

import asyncio

import pytest
from sqlalchemy import delete, func, select

from app.audit.models import AuditEntry
from app.core.idempotency import IdempotencyRecord
from app.customers.models import Customer
from app.departments.models import Department
from app.events.models import Event
from tests.conftest import IS_POSTGRES
from tests.factories.departments import create_department


@pytest.fixture
async def rep(session, headers_for):
    await create_department(session, id="east")
    return headers_for("sales_rep", sub="rep.idem", dept="east")


async def _customer_count(session) -> int:
    return await session.scalar(select(func.count()).select_from(Customer))


class TestReplay:
    async def test_retry_replays_the_first_response(self, client, session, rep):
        headers = {**rep, "Idempotency-Key": "order-form-7f3a"}
        body = {"name": "Hangzhou Pumps"}
        first = await client.post("/api/v1/customers", json=body, headers=headers)
        second = await client.post("/api/v1/customers", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["etag"] == first.headers["etag"]
        assert second.headers["location"] == first.headers["location"]
        assert second.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert await _customer_count(session) == 1
        events = await session.scalar(select(func.count()).select_from(Event)
                                      .where(Event.type == "customer.created"))
        assert events == 1

    async def test_same_key_other_body_is_422(self, client, session, rep):
        headers = {**rep, "Idempotency-Key": "k-1"}
        await client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        response = await client.post("/api/v1/customers", json={"name": "B"}, headers=headers)
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency.key_reused"
        assert await _customer_count(session) == 1

    async def test_same_key_other_path_is_422(self, client, session, rep, admin):
        headers = {**admin, "Idempotency-Key": "k-2"}
        await client.post("/api/v1/departments", json={"id": "west", "name": "West"},
                          headers=headers)
        response = await client.post("/api/v1/products", json={"id": "west", "name": "West"},
                                     headers=headers)
        assert response.status_code == 422 and response.json()["code"] == "idempotency.key_reused"

    async def test_keys_belong_to_one_principal(self, client, session, headers_for):
        await create_department(session, id="east")
        alice = headers_for("sales_rep", sub="rep.alice", dept="east")
        bob = headers_for("sales_rep", sub="rep.bob", dept="east")
        a = await client.post("/api/v1/customers", json={"name": "Shared"},
                              headers={**alice, "Idempotency-Key": "same"})
        b = await client.post("/api/v1/customers", json={"name": "Shared"},
                              headers={**bob, "Idempotency-Key": "same"})
        assert a.status_code == b.status_code == 201
        assert a.json()["id"] != b.json()["id"]
        assert b.json()["owner_id"] == "rep.bob"

    async def test_refusals_are_replayed_too(self, client, session, rep):
        headers = {**rep, "Idempotency-Key": "k-3"}
        body = {"name": "A", "credit_limit": "5000.00"}  # reps may not set credit terms
        first = await client.post("/api/v1/customers", json=body, headers=headers)
        second = await client.post("/api/v1/customers", json=body, headers=headers)
        assert first.status_code == second.status_code == 403
        assert second.json() == first.json()
        assert second.headers["content-type"].startswith("application/problem+json")

    async def test_without_a_key_each_post_counts(self, client, session, rep):
        for _ in range(2):
            await client.post("/api/v1/customers", json={"name": "Twice"}, headers=rep)
        assert await _customer_count(session) == 2

    @pytest.mark.parametrize("key", ["", "x" * 256, "naïve-ключ".encode(), "tab\there"])
    async def test_invalid_key(self, client, session, rep, key):
        response = await client.post("/api/v1/customers", json={"name": "A"},
                                     headers={**rep, "Idempotency-Key": key})
        assert response.status_code == 400
        assert response.json()["code"] == "idempotency.key_invalid"
        assert await _customer_count(session) == 0

    async def test_unauthenticated_post_with_key_is_401_and_stores_nothing(self, client, session):
        response = await client.post("/api/v1/customers", json={"name": "A"},
                                     headers={"Idempotency-Key": "anon"})
        assert response.status_code == 401
        assert await session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0

    async def test_server_error_releases_the_key(self, client, session, rep, monkeypatch):
        from app.customers import service

        original = service.create

        async def failing_once(*args, **kwargs):
            monkeypatch.setattr(service, "create", original)
            raise RuntimeError("database went away")

        monkeypatch.setattr(service, "create", failing_once)
        headers = {**rep, "Idempotency-Key": "retry-after-500"}
        first = await client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        assert first.status_code == 500
        second = await client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        assert second.status_code == 201
        assert await _customer_count(session) == 1


@pytest.mark.skipif(not IS_POSTGRES, reason="real concurrency needs PostgreSQL")
class TestConcurrentRetries:
    async def test_two_simultaneous_retries_create_one_customer(self, committing_app,
                                                                 headers_for, engine):
        import httpx

        from app.core.db import create_sessionmaker

        maker = create_sessionmaker(engine)
        async with maker() as session:
            session.add(Department(id="idem-race", name="Idempotency race"))
            await session.commit()
        rep = headers_for("sales_rep", sub="rep.race", dept="idem-race")
        headers = {**rep, "Idempotency-Key": "double-click"}
        try:
            transport = httpx.ASGITransport(app=committing_app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                responses = await asyncio.gather(*[
                    client.post("/api/v1/customers", json={"name": "Race"}, headers=headers)
                    for _ in range(6)])
            codes = sorted(r.status_code for r in responses)
            assert codes.count(201) >= 1 and set(codes) <= {201, 409}
            created_ids = {r.json()["id"] for r in responses if r.status_code == 201}
            assert len(created_ids) == 1
            async with maker() as session:
                count = await session.scalar(select(func.count()).select_from(Customer)
                                             .where(Customer.department_id == "idem-race"))
                assert count == 1
        finally:
            async with maker() as session:
                ids = (await session.scalars(select(Customer.id)
                                             .where(Customer.department_id == "idem-race"))).all()
                await session.execute(delete(AuditEntry).where(AuditEntry.entity_type == "customer",
                                      AuditEntry.entity_id.in_([str(i) for i in ids])))
                await session.execute(delete(Event).where(Event.subject.in_(
                    [f"customer:{i}" for i in ids])))
                await session.execute(delete(Customer).where(Customer.department_id == "idem-race"))
                await session.execute(delete(Department).where(Department.id == "idem-race"))
                await session.execute(delete(IdempotencyRecord)
                                      .where(IdempotencyRecord.principal_id == "rep.race"))
                await session.commit()
