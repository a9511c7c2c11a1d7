"""A real HTTP receiver on loopback (uvicorn, in the test's event loop) that records what
it gets and answers as the test tells it, and a dispatcher on a clock the test can move."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn
from standardwebhooks.webhooks import Webhook

from app.webhooks.dispatcher import Dispatcher
from tests.conftest import make_settings


@dataclass
class Received:
    headers: dict[str, str]
    body: str

    @property
    def message(self) -> dict:
        return json.loads(self.body)

    def verified_by(self, secret: str) -> dict:
        """What a receiving ERP does: check the signature with the Standard Webhooks
        library (raises if it does not verify)."""
        return Webhook(secret).verify(self.body, self.headers)  # type: ignore[no-any-return]


Answer = tuple[int, dict[str, str]]


@dataclass
class Receiver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    # Called per request; returns (status, headers). Default: 204.
    answer: Callable[[Received], Answer] = lambda _r: (204, {})

    def answer_with(self, *answers: Answer, then: Answer = (204, {})) -> None:
        """Answer these in turn, then `then` for ever."""
        queue = list(answers)
        self.answer = lambda _r: queue.pop(0) if queue else then

    @property
    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        received = Received({k.decode(): v.decode() for k, v in scope["headers"]},
                            body.decode())
        state.received.append(received)
        status, headers = state.answer(received)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.encode(), v.encode()) for k, v in headers.items()]})
        await send({"type": "http.response.body", "body": b""})

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off", access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    state.url = f"http://127.0.0.1:{port}/hooks/salesflow"
    yield state
    server.should_exit = True
    await task


class MovableClock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock(app) -> AsyncIterator[MovableClock]:  # type: ignore[no-untyped-def]
    """Real time that the test can move forward, for the API and the dispatcher alike."""
    from app.core.clock import system_clock

    movable = MovableClock()
    app.state.clock = movable
    yield movable
    app.state.clock = system_clock


FAST_RETRIES = [0.05, 0.05, 0.05]


@pytest.fixture
async def dispatcher(sessionmaker, clock) -> AsyncIterator[Dispatcher]:  # type: ignore[no-untyped-def]
    """A dispatcher on the test's transaction, retrying after 50 ms (three times)."""
    worker = Dispatcher(sessionmaker, clock, make_settings(
        webhook_retry_schedule_seconds=FAST_RETRIES, webhook_timeout_seconds=5))
    yield worker
    await worker.aclose()


async def run_until(dispatcher: Dispatcher, done: Callable[[], bool], *,
                    timeout: float = 10.0) -> None:
    """Run dispatch passes (as the worker loop does) until `done()` or the timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not done():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the dispatcher did not get there in time")
        if not await dispatcher.run_once():
            await asyncio.sleep(0.02)


async def subscribe(client, headers, url: str, event_types: list[str]) -> dict:  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/webhooks", headers=headers,
                                 json={"url": url, "event_types": event_types})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]
