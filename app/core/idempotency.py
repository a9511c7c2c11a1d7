"""Idempotency-Key for POSTs: a retry with the same key and body replays the first
response; the same key with another body is 422. Keys are per principal (`sub`).

Implemented as ASGI middleware so every POST route gets it without code of its own. A
key is claimed (row inserted) before the request runs, so two concurrent retries cannot
both execute; the second sees 409 until the first has finished.

The response is kept before it leaves: the middleware holds it back, saves it, then sends
it, so a retry sent the moment the first answer arrives is replayed, not refused. (Saving
it in the command's own transaction is not possible: FastAPI renders the body after the
service has committed.) What the command's transaction does carry is the fact that it ran:
its commit marks the key `executed_at`. So a request that dies after its commit (the
process killed, the database connection lost at the commit, a failure rendering the
answer) never runs twice: a retry is told that it succeeded but its response was not
kept. One that dies before its commit changed nothing, and its key is taken over by the
next retry once the owner's lease lapses; a running owner renews that lease, so the
lapse takes seconds, not minutes, and an owner that lost its key cannot commit.
"""

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import JSON, ColumnElement, CursorResult, LargeBinary, and_, delete, event, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import UTCDateTime, utcnow
from app.core.errors import AppError, send_problem
from app.core.i18n import language_headers

log = structlog.get_logger("salesflow.idempotency")

MAX_KEY_LENGTH = 255
# A claimed key is its owner's until this long after the owner last renewed it (every
# third of it while the request runs); then a retry may take it over.
LEASE = timedelta(seconds=15)
# Claims written before leases existed (by a process of the previous release, during a
# rolling deploy) carry none: they last this long from their creation, as they used to.
LEGACY_CLAIM_TIMEOUT = timedelta(minutes=2)
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
    # The request running under the key: a random token per claim, and how long it holds it.
    owner: str | None = Field(default=None, max_length=32)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set by the command's own commit: from then on the key is never run again.
    executed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


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


@dataclass(frozen=True, slots=True)
class _Claim:
    principal_id: str
    key: str
    owner: str = field(default_factory=lambda: secrets.token_hex(16))

    def owned(self) -> ColumnElement[bool]:
        return and_(col(IdempotencyRecord.principal_id) == self.principal_id,
                    col(IdempotencyRecord.key) == self.key,
                    col(IdempotencyRecord.owner) == self.owner)


# The claim of the request running in this context; read by the commit hook below.
_running: ContextVar[_Claim | None] = ContextVar("idempotency_claim", default=None)


@event.listens_for(Session, "before_commit")
def _mark_executed(session: Session) -> None:
    # In the command's transaction: the key is marked executed if and only if the command's
    # changes commit. An owner whose lease lapsed and whose key a retry took over finds no
    # row here, and its command rolls back: the key runs once.
    claim = _running.get()
    if claim is None:
        return
    result = session.execute(
        update(IdempotencyRecord).where(claim.owned()).values(executed_at=utcnow())
        .execution_options(synchronize_session=False))
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        raise IdempotencyInProgress(
            "This request took too long and another request with its Idempotency-Key took "
            "over; nothing was changed by this one.")


@dataclass(slots=True)
class _Response:
    """A response held back until its record is saved."""

    messages: list[Message] = field(default_factory=list)
    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    complete: bool = False

    async def capture(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status, self.headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.complete = True
        self.messages.append(message)

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages
                        if m["type"] == "http.response.body")

    async def send(self, send: Send) -> None:
        for message in self.messages:
            await send(message)


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
            return await send_problem(send, IdempotencyKeyInvalid())
        principal_id = await self._principal_id(scope, headers)
        if principal_id is None:  # no valid token: the route answers 401 itself
            return await self.app(scope, receive, send)

        body = await _read_body(receive)
        fingerprint = _fingerprint(scope, body)
        sessionmaker = scope["app"].state.sessionmaker
        ttl = timedelta(hours=scope["app"].state.settings.idempotency_ttl_hours)
        claim = _Claim(principal_id, key)
        replay = await self._claim(sessionmaker, claim, fingerprint, ttl)
        if isinstance(replay, AppError):
            retry = [(b"retry-after", b"1")] if isinstance(replay, IdempotencyInProgress) else []
            return await send_problem(send, replay, retry)
        if replay is not None:
            return await _replay(send, replay)

        response = _Response()
        # Started before the claim is bound to this context, so its own commits are not
        # taken for the command's.
        renewing = asyncio.create_task(_renew_lease(sessionmaker, claim))
        bound = _running.set(claim)
        failure: BaseException | None = None
        try:
            await self.app(scope, _replay_body(body, receive), response.capture)
        except BaseException as error:  # kept for after the key is settled, then re-raised
            failure = error
        finally:
            _running.reset(bound)
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        if response.complete and response.status is not None and response.status < 500:
            await self._finish(sessionmaker, claim, response)
            await response.send(send)
        else:
            # A failure the client should retry: release the key, unless the command
            # committed before it (then a retry learns it succeeded).
            await self._release(sessionmaker, claim)
            if failure is None:
                await response.send(send)
        if failure is not None:
            raise failure

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
        self, sessionmaker: Any, claim: _Claim, fingerprint: str, ttl: timedelta
    ) -> "IdempotencyRecord | AppError | None":
        async with sessionmaker() as session:
            record = await session.get(IdempotencyRecord, (claim.principal_id, claim.key))
            now = utcnow()
            if record is not None and not _held(record, now) and record.created_at < now - ttl:
                await session.delete(record)
                await session.flush()
                record = None
            if record is not None:
                if record.fingerprint != fingerprint:
                    return IdempotencyKeyReused()
                if record.status_code is not None:
                    return record
                if _held(record, now):
                    return IdempotencyInProgress()
                if record.executed_at is not None:
                    return IdempotencyResponseNotKept(
                        "It was carried out, but the server failed before its response could "
                        "be kept. Read the resource to see its state.")
                # Its owner ended before its command committed: nothing was done, run it.
                taken = await session.execute(
                    update(IdempotencyRecord)
                    .where(col(IdempotencyRecord.principal_id) == claim.principal_id,
                           col(IdempotencyRecord.key) == claim.key,
                           col(IdempotencyRecord.status_code).is_(None),
                           col(IdempotencyRecord.executed_at).is_(None),
                           col(IdempotencyRecord.owner).is_not_distinct_from(record.owner),
                           col(IdempotencyRecord.lease_until)
                           .is_not_distinct_from(record.lease_until))
                    .values(owner=claim.owner, lease_until=now + LEASE)
                    .execution_options(synchronize_session=False))
                await session.commit()
                return None if taken.rowcount == 1 else IdempotencyInProgress()
            session.add(IdempotencyRecord(principal_id=claim.principal_id, key=claim.key,
                                          fingerprint=fingerprint, owner=claim.owner,
                                          lease_until=now + LEASE))
            try:
                await session.commit()
            except IntegrityError:
                return IdempotencyInProgress()
            return None

    async def _finish(self, sessionmaker: Any, claim: _Claim, response: _Response) -> None:
        kept = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers
                if k.decode("latin-1").lower() in _REPLAYED_HEADERS}
        # A replay says which language its body was first rendered in.
        kept.update(language_headers())
        # A response marked no-store (it shows a secret once) is not written down: a retry
        # learns that it succeeded, and where, but not the secret.
        body = b"" if "no-store" in kept.get("cache-control", "") else response.body
        with _logged_if_failing("idempotency_response_not_kept", claim):
            async with sessionmaker() as session:
                await session.execute(
                    update(IdempotencyRecord).where(claim.owned())
                    .values(status_code=response.status, headers=kept, body=body,
                            lease_until=None)
                    .execution_options(synchronize_session=False))
                await session.commit()

    async def _release(self, sessionmaker: Any, claim: _Claim) -> None:
        with _logged_if_failing("idempotency_key_not_released", claim):
            async with sessionmaker() as session:
                await session.execute(
                    delete(IdempotencyRecord)
                    .where(claim.owned(), col(IdempotencyRecord.executed_at).is_(None))
                    .execution_options(synchronize_session=False))
                # A command that committed keeps its row; its lease ends now, so a retry is
                # told at once that it ran.
                await session.execute(
                    update(IdempotencyRecord).where(claim.owned()).values(lease_until=utcnow())
                    .execution_options(synchronize_session=False))
                await session.commit()


async def _renew_lease(sessionmaker: Any, claim: _Claim) -> None:
    while True:
        await asyncio.sleep(LEASE.total_seconds() / 3)
        with _logged_if_failing("idempotency_lease_not_renewed", claim):
            async with sessionmaker() as session:
                await session.execute(
                    update(IdempotencyRecord)
                    .where(claim.owned(), col(IdempotencyRecord.status_code).is_(None))
                    .values(lease_until=utcnow() + LEASE)
                    .execution_options(synchronize_session=False))
                await session.commit()


@contextlib.contextmanager
def _logged_if_failing(event_name: str, claim: _Claim) -> Iterator[None]:
    # The request's own outcome stands whatever happens to its record (the database may be
    # the very thing failing); the lease settles the key later.
    try:
        yield
    except Exception as error:  # noqa: BLE001
        log.warning(event_name, principal=claim.principal_id, key=claim.key,
                    error=type(error).__name__)


def _held(record: IdempotencyRecord, now: datetime) -> bool:
    """Whether a request may still be running under the record's key."""
    if record.status_code is not None:
        return False
    lease_until = record.lease_until or record.created_at + LEGACY_CLAIM_TIMEOUT
    return lease_until > now


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
        return await send_problem(send, error, location)
    body = record.body or b""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (record.headers or {}).items()]
    headers += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": record.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
