"""Request size limits: an oversized body or header block is refused with a problem
before anything reads it, authenticates it or acts on it."""

import json

import pytest
from sqlalchemy import func, select

from app.core.idempotency import IdempotencyRecord
from app.customers.models import Customer
from tests.factories.departments import create_department

LIMIT = 1024 * 1024  # the default SALESFLOW_MAX_BODY_BYTES
CHUNK = 64 * 1024


class Body:
    """A request body streamed in chunks, counting what the app pulled from it."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.sent = 0

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        for start in range(0, len(self.data), CHUNK):
            chunk = self.data[start:start + CHUNK]
            self.sent += len(chunk)
            yield chunk


def customer_json(size: int, name: str = "Ningbo Harbour Machinery") -> bytes:
    """A valid customer body padded with JSON whitespace to exactly `size` bytes."""
    raw = json.dumps({"name": name}).encode()
    return raw + b" " * (size - len(raw))


@pytest.fixture
async def rep(session, headers_for):
    await create_department(session, id="east")
    return headers_for("sales_rep", sub="rep.limits", dept="east")


async def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return await session.scalar(select(func.count()).select_from(model))


def _assert_too_large(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "request_too_large" and problem["max_bytes"] == LIMIT
    assert response.headers["x-request-id"]


JSON = {"Content-Type": "application/json"}


class TestBodyLimit:
    async def test_announced_oversized_body_is_refused_unread(self, client, session, rep):
        body = Body(customer_json(LIMIT + 1))
        response = await client.post("/api/v1/customers", content=body, headers={
            **rep, **JSON, "Content-Length": str(LIMIT + 1)})
        _assert_too_large(response)
        assert body.sent == 0
        assert await _count(session, Customer) == 0

    async def test_streamed_body_is_cut_off_at_the_limit(self, client, session, rep):
        body = Body(customer_json(4 * LIMIT))  # chunked: no Content-Length
        response = await client.post("/api/v1/customers", content=body,
                                     headers={**rep, **JSON})
        _assert_too_large(response)
        assert body.sent <= LIMIT + CHUNK
        assert await _count(session, Customer) == 0

    @pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
    async def test_the_limit_itself_is_allowed(self, client, session, rep, announced):
        def headers(size: int) -> dict[str, str]:
            return {**rep, **JSON, **({"Content-Length": str(size)} if announced else {})}

        at_limit = await client.post("/api/v1/customers", content=Body(customer_json(LIMIT)),
                                     headers=headers(LIMIT))
        assert at_limit.status_code == 201, at_limit.text
        over = await client.post("/api/v1/customers", content=Body(customer_json(LIMIT + 1)),
                                 headers=headers(LIMIT + 1))
        _assert_too_large(over)
        assert await _count(session, Customer) == 1

    @pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
    async def test_unauthenticated_oversized_body_is_413_not_read(self, client, announced):
        body = Body(b"x" * (8 * LIMIT))
        headers = {**JSON, **({"Content-Length": str(8 * LIMIT)} if announced else {})}
        response = await client.post("/api/v1/customers", content=body, headers=headers)
        _assert_too_large(response)
        assert body.sent <= (0 if announced else LIMIT + CHUNK)

    async def test_idempotency_never_sees_an_oversized_body(self, client, session, rep):
        headers = {**rep, **JSON, "Idempotency-Key": "big-form-1"}
        response = await client.post("/api/v1/customers",
                                     content=Body(customer_json(LIMIT + 1)), headers=headers)
        _assert_too_large(response)
        assert await _count(session, IdempotencyRecord) == 0
        assert await _count(session, Customer) == 0
        # Nothing was claimed: the key is free for the corrected request.
        retry = await client.post("/api/v1/customers", json={"name": "Ningbo Harbour"},
                                  headers=headers)
        assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers


class TestHeaderLimit:
    async def test_oversized_header_block_is_refused(self, client, settings):
        response = await client.get("/healthz",
                                    headers={"X-Padding": "a" * settings.max_header_bytes})
        assert response.status_code == 431
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "request_headers_too_large"
        assert (await client.get("/healthz", headers={"X-Padding": "a" * 1000})).status_code == 200
