"""Idempotency-Key: a retried POST replays the first response and writes nothing twice."""

import asyncio

import pytest
from sqlalchemy import func, select

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


COMMITTED = "idem-committed"  # department of the tests that commit for real
COMMITTED_REP = "rep.committed"


@pytest.fixture
async def committed_rep(undo_commits, engine, headers_for):  # type: ignore[no-untyped-def]
    """A rep of a department created for real (undone after the test, as all it makes)."""
    from app.core.db import create_sessionmaker

    maker = create_sessionmaker(engine)
    async with maker() as session:
        session.add(Department(id=COMMITTED, name="Idempotency, committed"))
        await session.commit()
    yield headers_for("sales_rep", sub=COMMITTED_REP, dept=COMMITTED)


async def _committed_customers(engine) -> int:  # type: ignore[no-untyped-def]
    from app.core.db import create_sessionmaker

    async with create_sessionmaker(engine)() as session:
        return await session.scalar(select(func.count()).select_from(Customer)
                                    .where(Customer.department_id == COMMITTED))


@pytest.fixture
async def served(settings, committed_rep):  # type: ignore[no-untyped-def]
    """The app as deployed: a real HTTP server (uvicorn) in a thread of its own, with its
    own engine, committing for real. Its client gets each response as soon as it is sent,
    not when the app returns (as with httpx's ASGI transport)."""
    import socket
    import threading

    import uvicorn

    from app.main import create_app

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]})
    thread.start()
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join)
        listener.close()


class TestRetryRightAfterTheAnswer:
    async def test_a_retry_sent_as_soon_as_the_first_answer_arrives_replays_it(
            self, served, engine, committed_rep):
        import httpx

        not_replayed = []
        async with httpx.AsyncClient(base_url=served) as client:
            for attempt in range(20):
                headers = {**committed_rep, "Idempotency-Key": f"at-once-{attempt}"}
                body = {"name": f"Changzhou Bearings {attempt}"}
                first = await client.post("/api/v1/customers", json=body, headers=headers)
                second = await client.post("/api/v1/customers", json=body, headers=headers)
                assert first.status_code == 201, first.text
                if (second.status_code, second.json()) != (201, first.json()) or \
                        second.headers.get("idempotent-replayed") != "true":
                    not_replayed.append((attempt, second.status_code, second.json().get("code")))
        assert not_replayed == [], f"{len(not_replayed)} of 20 retries not replayed"
        assert await _committed_customers(engine) == 20

    async def test_two_at_once_execute_once(self, served, engine, committed_rep):
        import httpx

        headers = {**committed_rep, "Idempotency-Key": "together"}
        async with httpx.AsyncClient(base_url=served) as client:
            responses = await asyncio.gather(*[
                client.post("/api/v1/customers", json={"name": "Jiaxing Seals"}, headers=headers)
                for _ in range(2)])
        codes = sorted(r.status_code for r in responses)
        assert codes in ([201, 201], [201, 409]), codes
        assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
        assert all(r.json()["code"] == "idempotency.in_progress"
                   for r in responses if r.status_code == 409)
        assert await _committed_customers(engine) == 1


async def _lapse_leases(session) -> None:  # type: ignore[no-untyped-def]
    """As if the lease of every claimed key had run out (its owner gone quiet)."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.core.db import utcnow

    await session.execute(update(IdempotencyRecord)
                          .where(IdempotencyRecord.lease_until.is_not(None))
                          .values(lease_until=utcnow() - timedelta(seconds=1)))
    await session.commit()


@pytest.fixture
def process_dies_after_the_command(monkeypatch):  # type: ignore[no-untyped-def]
    """The server process dies once the command has run: nothing settles the key after."""
    from app.core import idempotency

    async def died(*_args, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        return None

    monkeypatch.setattr(idempotency.IdempotencyMiddleware, "_finish", died)
    monkeypatch.setattr(idempotency.IdempotencyMiddleware, "_release", died)


class TestOwnerGone:
    async def test_a_key_whose_request_died_before_its_commit_is_run_by_the_next_retry(
            self, client, session, rep, monkeypatch, process_dies_after_the_command):
        from app.customers import service

        original = service.create

        async def dies_before_commit(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("killed")

        monkeypatch.setattr(service, "create", dies_before_commit)
        headers = {**rep, "Idempotency-Key": "owner-died-early"}
        await client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        monkeypatch.setattr(service, "create", original)
        held = await client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        assert held.status_code == 409 and held.json()["code"] == "idempotency.in_progress"
        assert held.headers["retry-after"] == "1"
        await _lapse_leases(session)
        retried = await client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        assert retried.status_code == 201
        assert await _customer_count(session) == 1

    async def test_a_key_whose_request_died_after_its_commit_is_never_run_again(
            self, client, session, rep, process_dies_after_the_command):
        headers = {**rep, "Idempotency-Key": "owner-died-late"}
        await client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        await _lapse_leases(session)
        retried = await client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        assert retried.status_code == 409
        assert retried.json()["code"] == "idempotency.response_not_kept"
        assert await _customer_count(session) == 1

    async def test_a_claim_from_before_leases_keeps_its_two_minutes(
            self, client, session, rep, monkeypatch, process_dies_after_the_command):
        from datetime import timedelta

        from sqlalchemy import update

        from app.core.db import utcnow
        from app.customers import service

        original = service.create

        async def dies_before_commit(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("killed")

        monkeypatch.setattr(service, "create", dies_before_commit)
        headers = {**rep, "Idempotency-Key": "legacy"}
        await client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        monkeypatch.setattr(service, "create", original)
        # As the previous release wrote claims: no owner, no lease.
        await session.execute(update(IdempotencyRecord).values(owner=None, lease_until=None))
        await session.commit()
        held = await client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        assert held.status_code == 409 and held.json()["code"] == "idempotency.in_progress"
        await session.execute(update(IdempotencyRecord)
                              .values(created_at=utcnow() - timedelta(minutes=2, seconds=1)))
        await session.commit()
        retried = await client.post("/api/v1/customers", json={"name": "A"}, headers=headers)
        assert retried.status_code == 201
        assert await _customer_count(session) == 1


class TestLongRequests:
    """A request running past its lease renews it; one that could not (its renewals
    failing) loses its key to a retry and cannot commit: the key runs once either way."""

    async def _slow_first_and_a_retry(self, committing_app, committed_rep, monkeypatch):  # type: ignore[no-untyped-def]
        from datetime import timedelta

        import httpx

        from app.core import idempotency
        from app.customers import service

        monkeypatch.setattr(idempotency, "LEASE", timedelta(seconds=1.5))
        original = service.create
        calls = []

        async def slow_first(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(1)
            if len(calls) == 1:
                await asyncio.sleep(3)
            return await original(*args, **kwargs)

        monkeypatch.setattr(service, "create", slow_first)
        headers = {**committed_rep, "Idempotency-Key": "slow"}
        transport = httpx.ASGITransport(app=committing_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            async def retry_later() -> httpx.Response:
                await asyncio.sleep(2)
                return await client.post("/api/v1/customers", json={"name": "Slow"},
                                         headers=headers)

            return await asyncio.gather(
                client.post("/api/v1/customers", json={"name": "Slow"}, headers=headers),
                retry_later())

    async def test_a_running_request_keeps_its_key(self, committing_app, committed_rep, engine,
                                                   monkeypatch):
        first, retry = await self._slow_first_and_a_retry(committing_app, committed_rep,
                                                          monkeypatch)
        assert first.status_code == 201
        assert retry.status_code == 409 and retry.json()["code"] == "idempotency.in_progress"
        assert await _committed_customers(engine) == 1

    async def test_a_request_that_lost_its_key_cannot_commit(self, committing_app, committed_rep,
                                                             engine, monkeypatch):
        from app.core import idempotency

        async def never_renewed(*_args) -> None:  # type: ignore[no-untyped-def]
            return None

        monkeypatch.setattr(idempotency, "_renew_lease", never_renewed)
        first, retry = await self._slow_first_and_a_retry(committing_app, committed_rep,
                                                          monkeypatch)
        assert retry.status_code == 201
        assert first.status_code == 409 and first.json()["code"] == "idempotency.in_progress"
        assert await _committed_customers(engine) == 1
