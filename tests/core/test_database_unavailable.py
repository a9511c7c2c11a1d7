"""No database connection to be had at all (the server down or restarting, the pool
exhausted): every request answers 503 problem+json with Retry-After, never a 500, and
nothing is half done, since no statement ran."""

import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.core.security import mint_token
from app.main import create_app
from tests.conftest import make_settings


def _closed_port() -> int:
    # A port just released by the OS: nothing listens there, so connecting is refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def unreachable() -> AsyncIterator[tuple[FastAPI, Settings]]:
    settings = make_settings(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/salesflow")
    app = create_app(settings)
    engine = create_engine(settings)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    try:
        yield app, settings
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("POST", {"name": "宁波港城"})])
async def test_a_database_that_refuses_connections_is_a_503(unreachable, method, body):
    app, settings = unreachable
    token = mint_token(settings, sub="rep.down", roles=["sales_rep"], dept="east")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        response = await client.request(method, "/api/v1/customers", json=body,
                                        headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "service.unavailable"


def test_an_exhausted_pool_counts_as_no_connection():
    """The pool's wait for a free connection timing out is raised before any statement
    runs; the middleware answers it as it answers a refused connection."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from app.core.db import lost_connection

    try:
        try:
            raise PoolTimeout("QueuePool limit of size 20 overflow 0 reached")
        except PoolTimeout as timeout:
            raise RuntimeError("while loading the customer") from timeout
    except RuntimeError as error:
        assert lost_connection(error)
    assert not lost_connection(ValueError("a bug, not the database"))
