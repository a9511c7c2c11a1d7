"""What `salesflow serve` puts in front of the app: a real uvicorn on loopback, built with
the options the command passes, serving the test app."""

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from app.cli import uvicorn_options
from app.core.config import get_settings
from app.core.observability import configure_logging
from tests.conftest import make_settings


@pytest.fixture
def options():  # type: ignore[no-untyped-def]
    settings = make_settings(log_level="INFO")
    configure_logging(level="INFO", json_logs=True)
    yield uvicorn_options(settings) | {"host": "127.0.0.1", "port": 0, "lifespan": "off"}
    configure_logging(level="WARNING", json_logs=True)


@pytest.fixture
async def served(app, options) -> AsyncIterator[tuple[str, int]]:  # type: ignore[no-untyped-def]
    config = uvicorn.Config(app, **options)
    # Then the app is built, as when uvicorn imports app.main, and configures logging.
    configure_logging(level="INFO", json_logs=True)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield "127.0.0.1", server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    await task


async def test_no_server_header(served):
    host, port = served
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert "server" not in response.headers


async def test_a_header_block_over_the_limit_is_refused_by_the_server(served, options):
    # Sent without its terminating blank line, as a client trickling headers would: the
    # server must give up buffering at the limit rather than wait for the end.
    host, port = served
    reader, writer = await asyncio.open_connection(host, port)
    limit = get_settings().max_header_bytes  # what the protocol reads in the server
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Padding: ")
    for _ in range(limit // 1024 + 8):  # trickled, as a slow client would
        writer.write(b"a" * 1024)
        await writer.drain()
        await asyncio.sleep(0.001)
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"request_headers_too_large" in answer


async def test_requests_under_the_limit_are_served_on_one_connection(served):
    """The bound is per request head: a kept-alive connection serves request after
    request, and a body (here up to the body limit's size) is not counted as head."""
    host, port = served
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
        for _ in range(3):
            assert (await client.get("/healthz", headers={"X-Padding": "a" * 8000})
                    ).status_code == 200
        posted = await client.post("/api/v1/customers", content=b"{" + b" " * 200_000 + b"}",
                                   headers={"content-type": "application/json"})
    assert posted.status_code == 401  # read whole and answered by the app, not cut off


async def test_uvicorn_logs_in_the_structured_format(capsys, served):
    host, port = served
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
        assert (await client.get("/healthz")).status_code == 200
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    started = [line for line in lines if line.get("logger") == "uvicorn.error"
               and line["event"].startswith("Uvicorn running on")]
    assert started and started[0]["level"] == "info" and "timestamp" in started[0]
    # The access line is ours (with the request id), not a second one from uvicorn.
    assert not [line for line in lines if line.get("logger") == "uvicorn.access"]
