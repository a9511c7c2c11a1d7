"""Idempotency-Key for POSTs: a retry with the same key and body replays the first
response; the same key with another body is 422. Keys are per principal (`sub`).

Implemented as ASGI middleware so every POST route gets it without code of its own. A
key is claimed (row inserted) before the request runs, so two concurrent retries cannot
both execute; the second sees 409 until the first has finished.
"""

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import JSON, LargeBinary, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import UTCDateTime, utcnow
from app.core.errors import AppError, PROBLEM_MEDIA_TYPE

log = structlog.get_logger("salesflow.idempotency")

MAX_KEY_LENGTH = 255
# A claimed key whose request never finished (process killed) is released after this.
IN_PROGRESS_TIMEOUT = timedelta(minutes=2)
_REPLAYED_HEADERS = ("content-type", "etag", "location", "cache-control")


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"

    principal_id: str = Field(primary_key=True, max_length=128)
    key: str = Field(primary_key=True, max_length=MAX_KEY_LENGTH)
    fingerprint: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    status_code: int | None = None
    headers: dict[str, str] | None = Field(default=None, sa_type=JSON)
    body: bytes | None = Field(default=None, sa_type=LargeBinary)


class IdempotencyKeyInvalid(AppError):
    code = "idempotency.key_invalid"
    status = 400
    title = "Idempotency-Key must be 1 to 255 visible ASCII characters"


class IdempotencyKeyReused(AppError):
    code = "idempotency.key_reused"
    status = 422
    title = "This Idempotency-Key was used with a different request"


class IdempotencyResponseNotKept(AppError):
    code = "idempotency.response_not_kept"
    status = 409
    title = "The first request with this Idempotency-Key succeeded, but its response was not kept"


class IdempotencyInProgress(AppError):
    code = "idempotency.in_progress"
    status = 409
    title = "A request with this Idempotency-Key is still being processed"


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(scope["method"].encode())
    digest.update(b"\0" + scope["path"].encode())
    digest.update(b"\0" + scope.get("query_string", b""))
    digest.update(b"\0" + body)
    return digest.hexdigest()


async def _send_problem(send: Send, error: AppError, extra_headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps(error.to_problem()).encode()
    await send({
        "type": "http.response.start", "status": error.status,
        "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()), *extra_headers],
    })
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        raw_key = headers.get(b"idempotency-key")
        if raw_key is None:
            return await self.app(scope, receive, send)
        key = raw_key.decode("latin-1").strip()
        if not (0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
            return await _send_problem(send, IdempotencyKeyInvalid(), [])
        principal_id = await self._principal_id(scope, headers)
        if principal_id is None:  # no valid token: the route answers 401 itself
            return await self.app(scope, receive, send)

        body = await _read_body(receive)
        fingerprint = _fingerprint(scope, body)
        sessionmaker = scope["app"].state.sessionmaker
        ttl = timedelta(hours=scope["app"].state.settings.idempotency_ttl_hours)
        replay = await self._claim(sessionmaker, principal_id, key, fingerprint, ttl)
        if isinstance(replay, AppError):
            retry = [(b"retry-after", b"1")] if isinstance(replay, IdempotencyInProgress) else []
            return await _send_problem(send, replay, retry)
        if replay is not None:
            return await _replay(send, replay)

        status: int = 500
        response_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status, response_headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, _replay_body(body, receive), capture)
        finally:
            await self._finish(sessionmaker, principal_id, key, status, response_headers,
                               b"".join(chunks))

    async def _principal_id(self, scope: Scope, headers: dict[bytes, bytes]) -> str | None:
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            principal = await scope["app"].state.token_verifier.verify(token.strip())
        except AppError:
            return None
        return principal.sub

    async def _claim(
        self, sessionmaker: Any, principal_id: str, key: str, fingerprint: str, ttl: timedelta
    ) -> "IdempotencyRecord | AppError | None":
        async with sessionmaker() as session:
            record = await session.get(IdempotencyRecord, (principal_id, key))
            if record is not None and _expired(record, ttl=ttl):
                await session.delete(record)
                await session.flush()
                record = None
            if record is not None:
                if record.fingerprint != fingerprint:
                    return IdempotencyKeyReused()
                if record.status_code is None:
                    return IdempotencyInProgress()
                return record
            session.add(IdempotencyRecord(principal_id=principal_id, key=key,
                                          fingerprint=fingerprint))
            try:
                await session.commit()
            except IntegrityError:
                return IdempotencyInProgress()
            return None

    async def _finish(self, sessionmaker: Any, principal_id: str, key: str, status: int,
                      headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        async with sessionmaker() as session:
            record = await session.get(IdempotencyRecord, (principal_id, key))
            if record is None:
                return
            if status >= 500:
                # A failure the client should retry: release the key.
                await session.delete(record)
            else:
                kept = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers
                        if k.decode("latin-1").lower() in _REPLAYED_HEADERS}
                # A response marked no-store (it shows a secret once) is not written down:
                # a retry learns that it succeeded, and where, but not the secret.
                if "no-store" in kept.get("cache-control", ""):
                    body = b""
                record.status_code, record.headers, record.body = status, kept, body
            await session.commit()


def _expired(record: IdempotencyRecord, *, ttl: timedelta) -> bool:
    age = utcnow() - record.created_at
    return age > (IN_PROGRESS_TIMEOUT if record.status_code is None else ttl)


async def purge_expired(session: Any, *, ttl: timedelta) -> int:
    result = await session.execute(
        delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < utcnow() - ttl)
    )
    await session.commit()
    return result.rowcount or 0


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            break
    return b"".join(chunks)


def _replay_body(body: bytes, original: Receive) -> Receive:
    """Hand the already-read body to the app, then pass through to the real channel
    (which reports the client's disconnect when it happens)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


async def _replay(send: Send, record: IdempotencyRecord) -> None:
    kept = record.headers or {}
    if "no-store" in kept.get("cache-control", ""):
        location = [(b"location", kept["location"].encode("latin-1"))] if "location" in kept else []
        error = IdempotencyResponseNotKept(
            f"It answered {record.status_code}; its response held a secret that is shown only "
            "once. Read the resource (Location) and rotate the secret if it was lost.")
        return await _send_problem(send, error, location)
    body = record.body or b""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (record.headers or {}).items()]
    headers += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": record.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
