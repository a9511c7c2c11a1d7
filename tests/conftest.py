"""Test harness: one migrated database per run, one rolled-back transaction per test.

The database is a throwaway SQLite file unless SALESFLOW_TEST_DATABASE_URL names another
(.ci/run points it at a PostgreSQL database it creates and drops). Every session the app
opens during a test is bound to the test's connection with
join_transaction_mode="create_savepoint", so the services' commits become savepoints and
the whole test rolls back at teardown. Concurrency tests commit for real (committing_app);
what they commit is undone after them (undo_commits).
"""

import contextlib
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.core.migrations import upgrade_connection
from app.core.security import mint_token
from app.main import create_app
from tests.contract import Contract
from tests.database_snapshot import Snapshot

pytest_plugins = ["tests.company"]

_tmpdir = tempfile.mkdtemp(prefix="salesflow-test-")
TEST_DATABASE_URL = os.environ.get("SALESFLOW_TEST_DATABASE_URL") or (
    f"sqlite+aiosqlite:///{Path(_tmpdir) / 'test.db'}"
)
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": TEST_DATABASE_URL,
        "jwt_secret": secrets.token_urlsafe(48),
        "in_process_worker": False,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return make_settings()


async def _reset_schema(engine: AsyncEngine) -> None:
    if not IS_POSTGRES:
        return
    async with engine.begin() as connection:
        name = await connection.scalar(text("SELECT current_database()"))
        assert "test" in name or "ci" in name, f"refusing to wipe database {name!r}"
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    await _reset_schema(engine)
    async with engine.begin() as connection:
        await connection.run_sync(upgrade_connection)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings):  # type: ignore[no-untyped-def]
    return create_app(settings)


@pytest.fixture
async def sessionmaker(app, engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:  # type: ignore[no-untyped-def]
    connection = await engine.connect()
    transaction = await connection.begin()
    maker = async_sessionmaker(bind=connection, expire_on_commit=False, autoflush=False,
                               join_transaction_mode="create_savepoint")
    app.state.engine = engine
    app.state.sessionmaker = maker
    try:
        yield maker
    finally:
        await transaction.rollback()
        await connection.close()


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def rolled_back(sessionmaker):  # type: ignore[no-untyped-def]
    """A savepoint on the test's connection, undone on exit: try a command and leave no
    trace (allowed_actions tests try every action from every state)."""
    connection = sessionmaker.kw["bind"]

    @contextlib.asynccontextmanager
    async def savepoint() -> AsyncIterator[None]:
        nested = await connection.begin_nested()
        try:
            yield
        finally:
            await nested.rollback()
    return savepoint


@pytest.fixture(scope="session")
def contract(app) -> Contract:  # type: ignore[no-untyped-def]
    return Contract(app.openapi())


@pytest.fixture
async def client(app, sessionmaker, contract: Contract) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async def conforms(response: httpx.Response) -> None:
        await response.aread()
        contract.check(response)

    transport = httpx.ASGITransport(app=app)
    # The suite reads English (the service's default is zh-CN): tests/core/test_languages.py
    # covers the negotiation and the Chinese texts.
    async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                 headers={"Accept-Language": "en"},
                                 event_hooks={"response": [conforms]}) as client:
        yield client


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():  # type: ignore[no-untyped-def]
    """Each test rolls its calendar edits back; its cached calendars must go with them."""
    from app.calendar.service import forget_cached_calendars

    forget_cached_calendars()
    yield
    forget_cached_calendars()


@pytest.fixture
async def undo_commits(engine: AsyncEngine) -> AsyncIterator[None]:
    """What the test commits for real is undone after it: every table holds again what it
    held before (tests/database_snapshot.py). A fixture that commits requests this one (or
    committing_app) before it writes, so that it is torn down after it."""
    snapshot = await Snapshot.take(engine)
    yield
    await snapshot.restore(engine)


@pytest.fixture
async def committing_app(app, engine: AsyncEngine, undo_commits) -> AsyncIterator[object]:  # type: ignore[no-untyped-def]
    """The app on the real sessionmaker: commits are real, so concurrency is real. What the
    test commits, through the app or its own sessions, is undone afterwards (undo_commits)."""
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    yield app


HeadersFor = Callable[..., dict[str, str]]


@pytest.fixture
def headers_for(settings: Settings) -> HeadersFor:
    """Authorization headers with a real token, minted like `salesflow token` does."""

    def make(
        role: str | None = None, *, sub: str | None = None, roles: list[str] | None = None,
        dept: str | None = None, depts: list[str] | None = None,
        ttl: timedelta = timedelta(minutes=30), name: str | None = None,
    ) -> dict[str, str]:
        role_list = roles if roles is not None else [role or "sales_rep"]
        user = sub or f"{role_list[0] if role_list else 'nobody'}.{secrets.token_hex(3)}"
        token = mint_token(settings, sub=user, roles=role_list, dept=dept, depts=depts, ttl=ttl,
                           name=name)
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def admin(headers_for: HeadersFor) -> dict[str, str]:
    return headers_for("admin", sub="admin.test")
