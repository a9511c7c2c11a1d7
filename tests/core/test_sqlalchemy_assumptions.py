"""What the fast database path takes for granted about SQLAlchemy (and, through it, asyncpg).

`app/core/fastpath` builds entities outside the session (`loaded_entity`), records values
on loaded objects as already saved (`write_loaded`, `sync_loaded`), and writes its journal
from a `before_commit` hook (`_journal`: on PostgreSQL one statement of unnested arrays,
`CAST(:name AS <type>[])`). Some of what that relies on is not public API, or is public but
easy to change without notice. Each test here checks one of them on the library directly,
so an upgrade that breaks it fails a test named after it instead of a business test far
away. Tests marked "PostgreSQL" are skipped on SQLite; the others run on both databases.

The journal's statement (_journal._one_statement, _update_by_id, _insert)
- Statements, tables and dialects are dictionary keys by identity (functools.cache).
- `type.dialect_impl(dialect).bind_processor(dialect)` converts a value as the session
  would (a TypeDecorator's process_bind_param, enums as names, JSON as text).
- `type.dialect_impl(dialect).compile(dialect=...)` renders a PostgreSQL type name usable
  in `CAST(... AS <name>[])`, for every column type of the schema; `identifier_preparer`
  quotes table and column names.
- Arrays of those converted values go through a `text()` statement and come back as
  sent; SQLAlchemy's asyncpg dialect installs json/jsonb codecs that take text.

Entities outside the session (fastpath.loaded_entity, write_loaded, sync_loaded)
- `inspect(Model).class_manager.new_instance()` builds an instance without `__init__` and
  outside any session; `inspect(obj).dict.update(...)` sets values that read back as
  attributes, with no change history; it needs configured mappers.
- `set_committed_value` sets a value without marking the attribute dirty.
- `identity_key(Model, id)` finds the session's copy in `sync_session.identity_map`.

Session events (_journal._write_pending / _discard_pending)
- `after_transaction_end` runs for each transaction, also on close; the outermost has
  `transaction.parent is None`.
- `before_commit` runs inside the async session's greenlet (a blocking `session.execute`
  works there and is part of the commit), before the commit's own flush, and also when a
  `begin_nested()` savepoint is released.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction, configure_mappers, object_session, registry
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.approvals.models import (
    ApprovalDecision,
    ApprovalPolicyVersion,
    ApprovalRequest,
    ApprovalStep,
    StepStatus,
)
from app.core.db import UTCDateTime, create_sessionmaker, metadata, money_column_type
from tests.conftest import IS_POSTGRES

postgres_only = pytest.mark.skipif(not IS_POSTGRES,
                                   reason="the journal's array statement is PostgreSQL's")

STEPS: Table = ApprovalStep.__table__  # type: ignore[attr-defined]
DECISIONS: Table = ApprovalDecision.__table__  # type: ignore[attr-defined]
REQUESTS: Table = ApprovalRequest.__table__  # type: ignore[attr-defined]
POLICIES: Table = ApprovalPolicyVersion.__table__  # type: ignore[attr-defined]
AT = datetime(2026, 11, 30, 8, 15, 0, 123000, tzinfo=UTC)
POLICY_VERSION = 987_001  # a policy version no migration or other test writes


@pytest.fixture
def asyncpg_dialect(engine: AsyncEngine) -> Dialect:
    """The dialect the journal's PostgreSQL statement is built for: the engine's on
    PostgreSQL (connected and initialised), a fresh asyncpg dialect elsewhere (compiling
    needs no connection)."""
    return engine.dialect if IS_POSTGRES else PGDialect_asyncpg()


def _policy(**values: Any) -> ApprovalPolicyVersion:
    return ApprovalPolicyVersion(**{"version": POLICY_VERSION, "document": {"stages": []},
                                    "created_by": "assumptions.test", **values})


# ---- the compiler ------------------------------------------------------------------------


def test_statements_tables_and_dialects_are_dictionary_keys_by_identity(asyncpg_dialect):
    """The journal caches `_update_by_id`, `_insert` and `_one_statement` with
    functools.cache on tables and the dialect. That needs hashing and equality by
    identity (no SQL expression from `==`, which ColumnElement does): two statements
    alike are two entries, the same statement one."""
    for make in (lambda: select(STEPS.c.id), lambda: update(STEPS), lambda: insert(STEPS),
                 lambda: text("SELECT 1")):
        first, second = make(), make()
        assert (first == second) is False
        assert {first: 1}.get(second) is None and {first: 1}[first] == 1
    assert (STEPS == DECISIONS) is False and {STEPS: 1}.get(STEPS.to_metadata(MetaData())) is None
    assert {asyncpg_dialect: 1}[asyncpg_dialect] == 1


# ---- types -------------------------------------------------------------------------------


def test_bind_processors_convert_values_as_the_session_would(asyncpg_dialect):
    """_journal._one_statement converts each value with
    `type.dialect_impl(dialect).bind_processor(dialect)` (None: no conversion). That must
    include a TypeDecorator's process_bind_param (UTCDateTime refuses naive datetimes and
    sends UTC), enum members as their names and JSON as text (the asyncpg JSON codec
    SQLAlchemy installs expects text)."""

    def processor(column_type: Any) -> Any:
        return column_type.dialect_impl(asyncpg_dialect).bind_processor(asyncpg_dialect)

    to_utc = processor(UTCDateTime())
    assert to_utc is not None
    shanghai = AT.astimezone(timezone(timedelta(hours=8)))
    assert to_utc(shanghai) == AT and to_utc(shanghai).utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="naive"):
        to_utc(datetime(2026, 11, 30, 8, 15))

    to_name = processor(STEPS.c.status.type)
    assert to_name is not None and to_name(StepStatus.active) == "active"
    to_json = processor(JSON())
    assert to_json is not None and to_json({"percent": "30.00"}) == '{"percent": "30.00"}'
    assert processor(JSON(none_as_null=True))(None) is None
    assert processor(Integer()) is None


def test_type_compile_renders_postgresql_type_names(asyncpg_dialect):
    """_journal._one_statement binds each column as an array,
    `CAST(:name AS <type.dialect_impl(dialect).compile(dialect=dialect)>[])`, and writes
    table and column names through `dialect.identifier_preparer.format_table` and
    `.quote`. A type rendered otherwise (a TypeDecorator's own name, a Python type) or an
    unquoted reserved word would break the journal's statement."""

    def rendered(column_type: Any) -> str:
        return column_type.dialect_impl(asyncpg_dialect).compile(dialect=asyncpg_dialect)

    assert rendered(UTCDateTime()) == "TIMESTAMP WITH TIME ZONE"
    assert rendered(money_column_type()) == "NUMERIC(18, 2)"
    assert rendered(STEPS.c.status.type) == "stepstatus"
    assert rendered(STEPS.c.stage_name.type) == "VARCHAR(40)"
    assert rendered(JSON()) == "JSON"

    quote = asyncpg_dialect.identifier_preparer
    assert quote.format_table(STEPS) == "approval_step"
    assert quote.quote("status") == "status" and quote.quote("order") == '"order"'
    elsewhere = Table("order", MetaData(schema="sales"), Column("id", Integer))
    assert quote.format_table(elsewhere) == 'sales."order"'


@postgres_only
async def test_every_column_type_casts_to_a_postgresql_array(engine):
    """PostgreSQL. _journal._one_statement casts each bound array to `<rendered type>[]`
    for whatever table write_loaded or journal.append is given. Every column type of the
    schema must render a name PostgreSQL accepts there."""
    dialect = engine.dialect
    names = sorted({column.type.dialect_impl(dialect).compile(dialect=dialect)
                    for table in metadata.sorted_tables for column in table.c})
    sql = "SELECT " + ", ".join(f"CAST(:p{number} AS {name}[])"
                                for number, name in enumerate(names))
    async with create_sessionmaker(engine)() as session:
        arrays = [[None]] * len(names)
        row = (await session.execute(text(sql), {f"p{number}": array for number, array
                                                 in enumerate(arrays)})).one()
        assert list(row) == arrays
        await session.rollback()


@postgres_only
async def test_asyncpg_json_codec_takes_text_and_returns_objects(engine):
    """PostgreSQL. SQLAlchemy's asyncpg dialect registers json/jsonb codecs on each new
    connection (text in, decoded objects out). The journal sends arrays of the JSON bind
    processor's text through a `text()` statement (`CAST(:name AS JSON[])`): without the
    codec the driver would reject the text. The other array casts the journal uses
    round-trip the processed values."""
    dialect = engine.dialect
    to_json = JSON().dialect_impl(dialect).bind_processor(dialect)
    nullable = JSON(none_as_null=True).dialect_impl(dialect).bind_processor(dialect)
    to_utc = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    to_name = STEPS.c.status.type.dialect_impl(dialect).bind_processor(dialect)
    document = {"kind": "合同", "percent": "30.00"}
    async with create_sessionmaker(engine)() as session:
        assert await session.scalar(text("SELECT CAST(:d AS json)"),
                                    {"d": to_json(document)}) == document
        assert await session.scalar(text("SELECT CAST(:d AS jsonb)"),
                                    {"d": to_json(document)}) == document
        row = (await session.execute(text(
            "SELECT CAST(:j AS JSON[]), CAST(:t AS TIMESTAMP WITH TIME ZONE[]), "
            "CAST(:s AS stepstatus[])"), {
                "j": [to_json(document), nullable(None)], "t": [to_utc(AT)],
                "s": [to_name(StepStatus.active)]})).one()
        assert list(row) == [[document, None], [AT], ["active"]]
        await session.rollback()


def test_new_instance_builds_an_entity_without_init_outside_the_session():
    """db.loaded_entity builds entities from Core rows with
    `inspect(Model).class_manager.new_instance()` and `inspect(obj).dict.update(values)`.
    The instance must skip __init__ (no defaults filled in), belong to no session (nothing
    flushes it), read its values back as attributes, and have no change history; and
    write_loaded's set_committed_value must keep it so."""
    configure_mappers()  # as the app's first ORM statement does; see the next test
    step = inspect(ApprovalStep).class_manager.new_instance()
    state = inspect(step)
    state.dict.update([("id", 7), ("request_id", 3), ("status", StepStatus.active),
                       ("approvals", 0), ("completed_at", None)])

    assert isinstance(step, ApprovalStep)
    assert "quorum" not in state.dict  # __init__ would have set its default, 1
    assert (step.id, step.request_id, step.status, step.approvals) == (
        7, 3, StepStatus.active, 0)
    assert step.completed_at is None
    assert state.transient and object_session(step) is None and state.session_id is None
    assert not state.modified and not state.attrs.status.history.has_changes()

    set_committed_value(step, "approvals", 1)
    set_committed_value(step, "completed_at", AT)
    assert (step.approvals, step.completed_at) == (1, AT)
    assert not state.modified and not state.attrs.approvals.history.has_changes()


def test_new_instance_needs_configured_mappers():
    """db.loaded_entity reads attributes of entities built by `new_instance()`, which does
    not configure mappers (the ORM does that on the first __init__ or ORM statement);
    until they are configured the attributes cannot be read. loaded_entity therefore
    relies on something having configured the app's mappers first. If this fails because
    the read works, new_instance now configures (or no longer needs it)."""
    private = registry()
    table = Table("assumption_thing", private.metadata,
                  Column("id", Integer, primary_key=True), Column("name", String(20)))

    class Thing:
        pass

    private.map_imperatively(Thing, table)
    thing = inspect(Thing).class_manager.new_instance()
    inspect(thing).dict.update(id=1, name="one")
    with pytest.raises(AttributeError):
        _ = thing.name
    private.configure()
    assert (thing.id, thing.name) == (1, "one")


async def test_set_committed_value_is_not_flushed(session):
    """db.write_loaded and sync_loaded update loaded objects with `set_committed_value`,
    the values being written by the journal or already by a Core statement. The session
    must see no change (not dirty, no history) and flush nothing for it; an ordinary
    assignment, for contrast, is flushed."""
    policy = _policy(created_by="before")
    session.add(policy)
    await session.flush()
    saved_by = select(POLICIES.c.created_by).where(POLICIES.c.version == POLICY_VERSION)

    set_committed_value(policy, "created_by", "not saved")
    assert policy.created_by == "not saved"
    assert policy not in session.dirty and not inspect(policy).modified
    await session.flush()
    assert await session.scalar(saved_by) == "before"

    policy.created_by = "saved"
    assert policy in session.dirty
    await session.flush()
    assert await session.scalar(saved_by) == "saved"


async def test_identity_key_finds_the_sessions_copy(session):
    """db.sync_loaded looks the row's object up with
    `session.sync_session.identity_map.get(identity_key(Model, id))`: the key of a
    single-column primary key given as a scalar, and None when the session holds no copy."""
    assert identity_key(ApprovalPolicyVersion, POLICY_VERSION) == (
        ApprovalPolicyVersion, (POLICY_VERSION,), None)
    identity_map = session.sync_session.identity_map
    assert identity_map.get(identity_key(ApprovalPolicyVersion, POLICY_VERSION)) is None

    policy = _policy()
    session.add(policy)
    assert identity_map.get(identity_key(ApprovalPolicyVersion, POLICY_VERSION)) is None
    await session.flush()
    assert identity_map.get(identity_key(ApprovalPolicyVersion, POLICY_VERSION)) is policy
    assert identity_map.get(identity_key(ApprovalPolicyVersion, POLICY_VERSION + 1)) is None
    session.expunge(policy)
    assert identity_map.get(identity_key(ApprovalPolicyVersion, POLICY_VERSION)) is None


# ---- session events and transactions -----------------------------------------------------


@contextmanager
def _listening(session: AsyncSession, **handlers: Any) -> Iterator[None]:
    """Instance-level listeners on one session's events, removed afterwards."""
    for name, handler in handlers.items():
        event.listen(session.sync_session, name, handler)
    try:
        yield
    finally:
        for name, handler in handlers.items():
            event.remove(session.sync_session, name, handler)


@pytest.fixture
def recorded(session: AsyncSession) -> Iterator[list[tuple[str, Any]]]:
    """The session's transaction events as (event, transaction.parent or, for
    before_commit, the session's root transaction)."""
    seen: list[tuple[str, Any]] = []

    def ended(_session: Session, transaction: SessionTransaction) -> None:
        seen.append(("end", transaction.parent))

    def before_commit(sync_session: Session) -> None:
        seen.append(("before_commit", sync_session.get_transaction()))

    with _listening(session, after_transaction_end=ended,
                    before_commit=before_commit):
        yield seen


async def test_after_transaction_end_reports_the_outermost_with_no_parent(session, recorded):
    """_journal._discard_pending drops the rows still queued on `after_transaction_end` when
    `transaction.parent is None`. That must be the outermost transaction only (a savepoint
    has a parent), at commit, rollback and close alike."""
    await session.execute(text("SELECT 1"))
    async with session.begin_nested():
        pass
    root = session.sync_session.get_transaction()
    assert [entry for entry in recorded if entry[0] == "end"] == [("end", root)]
    recorded.clear()
    for ending in (session.commit, session.rollback, session.close):
        await session.execute(text("SELECT 1"))
        await ending()
        assert [entry for entry in recorded if entry[0] == "end"] == [("end", None)]
        recorded.clear()


async def test_before_commit_runs_in_the_async_sessions_greenlet(session):
    """_journal._write_pending runs at `before_commit` and executes its statements there
    with the blocking `session.execute`. That works only because SQLAlchemy runs the event
    inside the async session's greenlet; and what it writes must be part of the commit."""
    ran: list[Any] = []

    def write(sync_session: Session) -> None:
        sync_session.execute(insert(POLICIES), {
            "version": POLICY_VERSION, "document": {}, "created_at": AT,
            "created_by": "before_commit"})
        ran.append(sync_session.execute(text("SELECT 1")).scalar_one())

    with _listening(session, before_commit=write):
        await session.execute(text("SELECT 1"))
        await session.commit()
    assert ran == [1]
    written = select(POLICIES.c.created_by).where(POLICIES.c.version == POLICY_VERSION)
    assert await session.scalar(written) == "before_commit"


async def test_before_commit_runs_before_the_commits_flush(session, recorded):
    """_journal._write_pending runs at `before_commit`, which SQLAlchemy emits before the
    commit flushes pending ORM changes: the journal's rows are written first (so they
    cannot refer to an object added but not flushed, and a flushed change to the same
    column overwrites a journal update). It is also emitted when a `begin_nested()`
    savepoint is released, so the journal may write there, early but in the same
    transaction."""
    policy = _policy()
    pending: list[bool] = []
    with _listening(session, before_commit=lambda sync: pending.append(policy in sync.new)):
        session.add(policy)
        await session.commit()
    assert pending == [True]
    assert inspect(policy).persistent

    recorded.clear()
    await session.execute(text("SELECT 1"))
    async with session.begin_nested():
        pass
    assert [entry[0] for entry in recorded] == ["before_commit", "end"]
