"""A database connection that dies under a request: a write answers 503 with Retry-After
(and its retry with the same Idempotency-Key succeeds once), a read is run again on a fresh
connection, and the next request finds a working pool.

The connection is killed as a server restart or an operator would kill it: another
connection terminates the backend serving the request, in the middle of the request.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core import fastpath
from app.core.db import create_sessionmaker, utcnow
from app.core.idempotency import IdempotencyRecord
from app.customers import service as customers_service
from app.customers.models import Customer
from app.departments.models import Department
from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(not IS_POSTGRES,
                                reason="terminating a backend needs PostgreSQL")

DEPARTMENT = "lost-conn"
REP = "rep.lost-conn"


async def _terminate_backend_of(session: AsyncSession, engine: AsyncEngine) -> int:
    """Kill the server process behind `session`'s connection, and wait until it is gone
    (pg_terminate_backend only signals it)."""
    pid = await session.scalar(text("SELECT pg_backend_pid()"))
    assert pid is not None
    async with engine.connect() as admin:
        admin = await admin.execution_options(isolation_level="AUTOCOMMIT")
        assert await admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        while await admin.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                 {"pid": pid}):
            await asyncio.sleep(0.01)
    return int(pid)


@pytest.fixture
async def client(committing_app, engine) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    maker = create_sessionmaker(engine)
    async with maker() as session:
        session.add(Department(id=DEPARTMENT, name="Lost connections"))
        await session.commit()
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


@pytest.fixture
def rep(headers_for) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return headers_for("sales_rep", sub=REP, dept=DEPARTMENT)


async def _customers(engine: AsyncEngine) -> int:
    async with create_sessionmaker(engine)() as session:
        count = await session.scalar(select(func.count()).select_from(Customer)
                                     .where(Customer.department_id == DEPARTMENT))
        return count or 0


def _killing_once(engine: AsyncEngine, original: Callable[..., Awaitable[Any]],
                  calls: list[int]) -> Callable[..., Awaitable[Any]]:
    """`original`, but its first call loses its connection just before it runs."""

    async def wrapper(session: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            await _terminate_backend_of(session, engine)
        return await original(session, *args, **kwargs)

    return wrapper


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "service.unavailable"
    assert int(response.headers["retry-after"]) >= 1


class TestWrite:
    async def test_killed_before_its_first_statement_is_503_and_the_retry_succeeds(
            self, client, rep, engine, monkeypatch):
        # The session's connection is open but the command has not written yet: SQLAlchemy
        # meets the dead connection on the command's INSERT.
        monkeypatch.setattr(customers_service, "add",
                            _killing_once(engine, customers_service.add, []))
        headers = {**rep, "Idempotency-Key": "lost-before-insert"}
        first = await client.post("/api/v1/customers", json={"name": "Ningbo Valves"},
                                  headers=headers)
        _assert_unavailable(first)
        assert await _customers(engine) == 0
        retry = await client.post("/api/v1/customers", json={"name": "Ningbo Valves"},
                                  headers=headers)
        assert retry.status_code == 201, retry.text
        assert await _customers(engine) == 1

    async def test_killed_before_its_commit_is_503_and_the_retry_succeeds(
            self, client, rep, engine, monkeypatch):
        # The INSERT went through; the commit writes the audit row and the event on the
        # driver itself (app.core.fastpath), which meets the dead connection.
        monkeypatch.setattr(customers_service, "commit_or_raise",
                            _killing_once(engine, customers_service.commit_or_raise, []))
        headers = {**rep, "Idempotency-Key": "lost-before-commit"}
        first = await client.post("/api/v1/customers", json={"name": "Wuxi Gears"},
                                  headers=headers)
        _assert_unavailable(first)
        assert await _customers(engine) == 0
        retry = await client.post("/api/v1/customers", json={"name": "Wuxi Gears"},
                                  headers=headers)
        assert retry.status_code == 201, retry.text
        assert await _customers(engine) == 1
        after = await client.get("/api/v1/customers", headers=rep)
        assert after.status_code == 200 and len(after.json()["items"]) == 1


    async def test_killed_after_its_commit_is_503_and_the_retry_does_not_run_it_again(
            self, client, rep, engine, monkeypatch):
        # The command committed, then its connection went before the answer left (as when
        # the connection breaks while the COMMIT's acknowledgement is on its way).
        original = customers_service.create

        async def lost_after_commit(session: AsyncSession, *args: Any, **kwargs: Any) -> Any:
            customer = await original(session, *args, **kwargs)
            await _terminate_backend_of(session, engine)
            await session.execute(text("SELECT 1"))
            return customer

        monkeypatch.setattr(customers_service, "create", lost_after_commit)
        headers = {**rep, "Idempotency-Key": "lost-after-commit"}
        first = await client.post("/api/v1/customers", json={"name": "Taizhou Pumps"},
                                  headers=headers)
        _assert_unavailable(first)
        assert await _customers(engine) == 1
        monkeypatch.setattr(customers_service, "create", original)
        retry = await client.post("/api/v1/customers", json={"name": "Taizhou Pumps"},
                                  headers=headers)
        assert retry.status_code == 409, retry.text
        assert retry.json()["code"] == "idempotency.response_not_kept"
        assert await _customers(engine) == 1


class TestRead:
    async def test_a_read_is_run_again_on_a_fresh_connection(self, client, rep, engine,
                                                               monkeypatch):
        created = await client.post("/api/v1/customers", json={"name": "Suzhou Motors"},
                                    headers=rep)
        assert created.status_code == 201
        calls: list[int] = []
        monkeypatch.setattr(customers_service, "get_visible",
                            _killing_once(engine, customers_service.get_visible, calls))
        url = f"/api/v1/customers/{created.json()['id']}"
        response = await client.get(url, headers=rep)
        assert response.status_code == 200, response.text
        assert response.json()["name"] == "Suzhou Motors"
        assert len(calls) == 2  # the first run lost its connection; the second answered
        again = await client.get(url, headers=rep)
        assert again.status_code == 200 and len(calls) == 3


class TestDriverPath:
    """app.core.fastpath runs statements on asyncpg itself; a dead connection found there
    must be reported and dropped as SQLAlchemy reports and drops one on its own path."""

    async def _backend_pid(self, engine: AsyncEngine) -> int:
        async with create_sessionmaker(engine)() as session:
            pid = await session.scalar(text("SELECT pg_backend_pid()"))
            assert pid is not None
            return int(pid)

    async def test_a_statement_on_a_dead_connection(self, engine):
        async with create_sessionmaker(engine)() as session:
            killed = await _terminate_backend_of(session, engine)
            with pytest.raises(DBAPIError) as raised:
                await fastpath.fetch(session, text("SELECT 1"), {})
            assert raised.value.connection_invalidated
            await session.rollback()  # the dead connection is not asked to roll back
        assert await self._backend_pid(engine) != killed

    async def test_the_journal_written_at_commit_on_a_dead_connection(self, engine):
        async with create_sessionmaker(engine)() as session:
            killed = await _terminate_backend_of(session, engine)
            fastpath.append(session, IdempotencyRecord.__table__, {
                "principal_id": REP, "key": "journal", "fingerprint": "0" * 64,
                "created_at": utcnow()})
            with pytest.raises(DBAPIError) as raised:
                await session.commit()
            assert raised.value.connection_invalidated
            await session.rollback()
        assert await self._backend_pid(engine) != killed
