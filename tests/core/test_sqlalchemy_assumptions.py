"""What the fast database path takes for granted about SQLAlchemy and asyncpg.

`app/core/fastpath/_driver.py` (prebuilt statements run on the asyncpg connection inside the
session's transaction), `app/core/fastpath/_journal.py` (rows written at `before_commit`, one
statement on PostgreSQL, discarded on outer rollback) and the façade `app/core/fastpath`
(`loaded_entity`, `write_loaded`, `sync_loaded`) use behaviour that is not public API, or is
public but easy to change without notice. Each test here checks one of them on the library
directly, so an upgrade that breaks it fails a test named after it instead of a business
test far away. Tests marked "PostgreSQL" are skipped on SQLite (the driver path exists on
PostgreSQL only); the others run on both databases.

The compiler (_driver._compile, _arguments; _journal._one_statement through execute_sync)
- `compile(dialect=..., column_keys=[...])`: the given parameters that name columns become
  an UPDATE's SET (an INSERT's VALUES) columns; a SELECT or text ignores them.
- `compiled.positiontup`: the parameter names in the order of asyncpg's `$n`, a repeated
  name once; `compiled.string`: the SQL with those `$n`.
- `compiled.binds[name]`: its BindParameter, with the `.type` to convert its value and the
  `.effective_value` the statement carries (the 1 of `version + 1`).
- `compiled.literal_execute_params` / `post_compile_params`: non-empty when the SQL still
  has to be rendered per execution (expanding IN), which the driver path refuses.
- Python-side column defaults are not carried: they are prefetch parameters the execution
  context fills in, with no effective_value (the driver path does not support them).
- An INSERT given no primary key gets an implicit `RETURNING <key>` that its
  exported_columns do not list (the driver path does not support it: say `.returning()`).
- `statement.exported_columns`: the result columns, in order, keyed by the label style
  (`LABEL_STYLE_TABLENAME_PLUS_COL` gives `approval_step_id`); a text() has none.
- Statements, tables and dialects are dictionary keys by identity (_driver._compiled,
  journal's functools.cache).

Types (_driver._compile/_describe/_rows, _journal._one_statement)
- `type.dialect_impl(dialect).bind_processor(dialect)` converts as the session would (a
  TypeDecorator's process_bind_param included; JSON to text on asyncpg).
- `.result_processor(dialect, coltype)` takes the PostgreSQL type oid on asyncpg, as found
  in asyncpg's `PreparedStatement.get_attributes()[i].type.oid`.
- `type.compile(dialect=...)` gives a PostgreSQL type name that `CAST(... AS name[])`
  accepts; `dialect.identifier_preparer.format_table` / `.quote` quote names.
- SQLAlchemy's asyncpg dialect registers json/jsonb codecs on every connection: text in,
  decoded objects out, also inside arrays.

The connection (_driver._driver, _driver_sync, _remember, execute_sync)
- The asyncpg adapter begins lazily: after `session.connection()` and
  `get_raw_connection()` the driver is not in a transaction
  (`driver_connection.is_in_transaction()` is False) until a statement goes through
  SQLAlchemy; the session's commit and rollback end that same driver transaction.
- `PoolProxiedConnection.driver_connection` is the asyncpg connection (the same from the
  async and the sync side), and `.dbapi_connection.run_async(fn)` runs `fn(driver)` from
  synchronous code in the greenlet, raising the driver's own errors.
- Constraint violations are `asyncpg.IntegrityConstraintViolationError` subclasses, and
  SQLAlchemy's `IntegrityError(statement, params, orig)` can be built from one.
- A connection the server or the network ended reports `driver_connection.is_closed()`
  (the test the asyncpg dialect's `is_disconnect` applies); `Pool._invalidate(raw, error,
  _checkin=False)` (what SQLAlchemy calls on a disconnect) replaces every connection opened
  before it at its next checkout and leaves `raw` alone; `Connection.invalidate()` then
  keeps the session's rollback off the dead connection (_driver._closed, _drop_connection).

The ORM (db.loaded_entity, write_loaded, sync_loaded)
- `inspect(Model).class_manager.new_instance()` builds an instance without `__init__`,
  outside any session; `inspect(obj).dict.update(...)` gives it loaded values that read
  back as attributes, with no change history. It needs configured mappers.
- `set_committed_value` sets a value as already saved: nothing is flushed for it.
- `identity_key(Model, id)` and `session.sync_session.identity_map.get(key)` find the
  session's copy of a row.

Session events and transactions (_journal._write_pending/_discard_pending,
_driver._forget_driver/_cached)
- `session.get_transaction()` is one object for the whole outer transaction.
- `after_transaction_end` runs for each transaction, also on close; the outermost has
  `transaction.parent is None`.
- `before_commit` runs inside the async session's greenlet (a blocking `session.execute`
  works there and is part of the commit), before the commit's own flush, and also when a
  `begin_nested()` savepoint is released.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import (
    JSON,
    LABEL_STYLE_TABLENAME_PLUS_COL,
    Column,
    DateTime,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction, configure_mappers, object_session, registry
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.pool import PoolProxiedConnection

from app.approvals.models import (
    ApprovalDecision,
    ApprovalPolicyVersion,
    ApprovalRequest,
    ApprovalStep,
    RequestStatus,
    StepStatus,
)
from app.core.db import UTCDateTime, create_sessionmaker, metadata, money_column_type
from tests.conftest import IS_POSTGRES

postgres_only = pytest.mark.skipif(not IS_POSTGRES,
                                   reason="the driver path exists on PostgreSQL only")

STEPS: Table = ApprovalStep.__table__  # type: ignore[attr-defined]
DECISIONS: Table = ApprovalDecision.__table__  # type: ignore[attr-defined]
REQUESTS: Table = ApprovalRequest.__table__  # type: ignore[attr-defined]
POLICIES: Table = ApprovalPolicyVersion.__table__  # type: ignore[attr-defined]
AT = datetime(2026, 11, 30, 8, 15, 0, 123000, tzinfo=UTC)
POLICY_VERSION = 987_001  # a policy version no migration or other test writes


@pytest.fixture
def asyncpg_dialect(engine: AsyncEngine) -> Dialect:
    """The dialect fastpath/_driver.py compiles for: the engine's on PostgreSQL (connected and
    initialised), a fresh asyncpg dialect elsewhere (compiling needs no connection)."""
    return engine.dialect if IS_POSTGRES else PGDialect_asyncpg()


def _placeholders(sql: str) -> list[int]:
    return [int(number) for number in re.findall(r"\$(\d+)", sql)]


def _policy(**values: Any) -> ApprovalPolicyVersion:
    return ApprovalPolicyVersion(**{"version": POLICY_VERSION, "document": {"stages": []},
                                    "created_by": "assumptions.test", **values})


async def _driver(session: AsyncSession) -> asyncpg.Connection:
    raw = await (await session.connection()).get_raw_connection()
    return raw.driver_connection  # type: ignore[return-value]


# ---- the compiler ------------------------------------------------------------------------


def test_compiled_positiontup_orders_asyncpg_parameters(asyncpg_dialect):
    """_driver._compile/_arguments pass values positionally, in `positiontup` order, to
    the `$n` of `compiled.string`. If the order or the numbering changed (or a name used
    twice were listed twice), driver statements would get values in the wrong places or
    the wrong number of them."""
    assert asyncpg_dialect.paramstyle == "numeric_dollar" and asyncpg_dialect.positional
    statement = (update(STEPS)
                 .where(STEPS.c.id == bindparam("step_id"),
                        STEPS.c.request_id == bindparam("owner_id"),
                        STEPS.c.quorum > bindparam("step_id"))
                 .values(approvals=STEPS.c.approvals + 1))
    compiled = statement.compile(dialect=asyncpg_dialect,
                                 column_keys=["step_id", "owner_id", "status"])

    assert compiled.positional
    names = list(compiled.positiontup)
    assert names[-2:] == ["step_id", "owner_id"] and len(set(names)) == len(names)
    assert names.index("status") < names.index("step_id")
    numbers = _placeholders(compiled.string)
    # Each name has one number, its place in positiontup; `step_id` is used twice.
    assert sorted(set(numbers)) == list(range(1, len(names) + 1))
    assert numbers.count(names.index("step_id") + 1) == 2
    assert "%(" not in compiled.string and "?" not in compiled.string


def test_compiled_binds_give_each_parameter_its_type_and_carried_value(asyncpg_dialect):
    """_driver._compile takes each parameter's converter from `compiled.binds[name].type`
    and, for a parameter the caller does not give, the value the statement carries from
    `.effective_value` (the 1 of `version + 1`, the status compared with). If binds were
    keyed otherwise, or lost the column's type or the value, the driver path would fail with
    KeyError, skip a conversion (an enum, a UTC timestamp) or send NULL."""
    statement = (update(STEPS)
                 .where(STEPS.c.id == bindparam("step_id"),
                        STEPS.c.status == StepStatus.active)
                 .values(approvals=STEPS.c.approvals + 1))
    compiled = statement.compile(dialect=asyncpg_dialect,
                                 column_keys=["step_id", "completed_at"])
    binds = {name: compiled.binds[name] for name in compiled.positiontup}

    carried = {name: bind.effective_value for name, bind in binds.items()
               if name not in ("step_id", "completed_at")}
    assert sorted(carried.values(), key=str) == [1, StepStatus.active]
    status_bind = next(bind for bind in binds.values() if bind.effective_value is StepStatus.active)
    assert isinstance(status_bind.type, Enum) and status_bind.type.enum_class is StepStatus
    assert type(binds["completed_at"].type) is UTCDateTime
    assert isinstance(binds["step_id"].type, Integer)


def test_column_keys_make_given_parameters_update_set_columns(asyncpg_dialect):
    """_driver._compile compiles with `column_keys=list(params)` so that, as when the
    session executes a statement with parameters, a given parameter naming a column
    becomes an UPDATE's SET column (an INSERT's VALUES column), and no other column is
    written (an UPDATE given its SET values as parameters works this way). A SELECT
    ignores them."""
    statement = update(STEPS).where(STEPS.c.id == bindparam("step_id"))
    compiled = statement.compile(dialect=asyncpg_dialect,
                                 column_keys=["step_id", "status", "completed_at"])
    set_clause = compiled.string.split(" WHERE ")[0]
    assert re.findall(r"(\w+)=", set_clause) == ["status", "completed_at"]
    assert list(compiled.positiontup) == ["status", "completed_at", "step_id"]

    inserted = insert(DECISIONS).returning(DECISIONS.c.id).compile(
        dialect=asyncpg_dialect, column_keys=["request_id", "step_id", "actor_id"])
    assert {"request_id", "step_id", "actor_id"} <= set(inserted.positiontup)
    assert not {"comment", "on_behalf_of_id"} & set(inserted.positiontup)

    selected = select(STEPS.c.id).where(STEPS.c.id == bindparam("step_id")).compile(
        dialect=asyncpg_dialect, column_keys=["step_id", "status"])
    assert list(selected.positiontup) == ["step_id"]


def test_python_side_defaults_are_left_to_the_execution_context(asyncpg_dialect):
    """What _driver._compile does NOT handle: a column with a Python-side `default` or
    `onupdate` that the caller leaves out still gets a positional parameter, listed in
    `insert_prefetch` / `update_prefetch`, whose value the execution context computes;
    its `effective_value` is None. the driver path sends effective_value for parameters it is
    not given, so such a statement would write NULL where the session writes the
    default. Statements run through the driver path must give those columns (or the driver path must
    refuse statements with prefetch parameters). If this fails, recheck prepared."""
    table = Table("assumption_defaults", MetaData(),
                  Column("id", Integer, primary_key=True),
                  Column("made_at", DateTime, default=lambda: AT),
                  Column("count", Integer, default=1),
                  Column("touched", Integer, onupdate=5))
    inserted = insert(table).returning(table.c.id).compile(dialect=asyncpg_dialect,
                                                           column_keys=["id"])
    assert {column.key for column in inserted.insert_prefetch} == {"made_at", "count"}
    assert {"made_at", "count"} <= set(inserted.positiontup)
    assert inserted.binds["made_at"].effective_value is None
    assert inserted.binds["count"].effective_value is None

    updated = update(table).where(table.c.id == bindparam("row_id")).compile(
        dialect=asyncpg_dialect, column_keys=["row_id", "count"])
    assert [column.key for column in updated.update_prefetch] == ["touched"]
    assert updated.binds["touched"].effective_value is None


def test_an_insert_without_its_key_compiles_with_implicit_returning(asyncpg_dialect):
    """What _driver._describe does NOT handle: an INSERT given no primary key and no
    RETURNING compiles (for a single row) with an implicit `RETURNING <primary key>`,
    while its `exported_columns` is empty. the driver path zips the exported columns with the
    result columns the driver describes (strict=True), so such a statement fails there
    with ValueError; statements run through the driver path must say `.returning(...)`."""
    plain = insert(DECISIONS)
    compiled = plain.compile(dialect=asyncpg_dialect, column_keys=["request_id", "step_id"])
    assert compiled.string.endswith("RETURNING approval_decision.id")
    assert list(plain.exported_columns) == []
    keyed = plain.compile(dialect=asyncpg_dialect, column_keys=["id", "request_id"])
    assert "RETURNING" not in keyed.string


def test_expanding_parameters_are_flagged_as_post_compile(asyncpg_dialect):
    """_driver._compile refuses statements whose `literal_execute_params` or
    `post_compile_params` are non-empty: their SQL still holds `__[POSTCOMPILE_...]`
    markers that SQLAlchemy renders per execution. If an expanding IN stopped being
    flagged there, the driver path would send that marker to PostgreSQL."""
    expanding = select(STEPS.c.id).where(STEPS.c.id.in_(bindparam("ids", expanding=True)))
    compiled = expanding.compile(dialect=asyncpg_dialect, column_keys=["ids"])
    assert compiled.post_compile_params and "POSTCOMPILE" in compiled.string
    listed = select(STEPS.c.id).where(STEPS.c.id.in_([1, 2]))
    assert listed.compile(dialect=asyncpg_dialect).post_compile_params
    literal = select(STEPS.c.id).where(
        STEPS.c.stage_index == bindparam("stage", 1, literal_execute=True))
    assert literal.compile(dialect=asyncpg_dialect).literal_execute_params

    plain = select(STEPS.c.id).where(STEPS.c.id == bindparam("step_id")).compile(
        dialect=asyncpg_dialect)
    assert not plain.literal_execute_params and not plain.post_compile_params


def test_text_statements_number_named_parameters_and_export_no_columns(asyncpg_dialect):
    """_journal._one_statement builds a text() with `:name` parameters that
    _driver.execute_sync compiles like any statement: the names must come back in
    positiontup with `$n` placeholders, untyped (NullType, no bind processor: the journal
    converts values itself), and a text() must have no `exported_columns` (the driver path then
    builds no row type)."""
    statement = text("SELECT CAST(:g0_a AS INTEGER[]), CAST(:g0_b AS TEXT[]), :g0_a")
    compiled = statement.compile(dialect=asyncpg_dialect, column_keys=["g0_a", "g0_b"])
    assert list(compiled.positiontup) == ["g0_a", "g0_b"]
    assert _placeholders(compiled.string) == [1, 2, 1]
    for name in compiled.positiontup:
        bind_type = compiled.binds[name].type
        assert bind_type.dialect_impl(asyncpg_dialect).bind_processor(asyncpg_dialect) is None
    assert getattr(statement, "exported_columns", None) is None


def test_exported_columns_follow_the_label_style(asyncpg_dialect):
    """_driver._compile takes a statement's result columns, in order, from
    `exported_columns` and names its row tuple after their keys. approvals' _CHILDREN
    joins two tables sharing column names and relies on LABEL_STYLE_TABLENAME_PLUS_COL
    keys (`approval_step_id`); the request read relies on a label keeping its name and on
    RETURNING columns being exported. If keys or order changed, rows would be built
    wrong or the named tuple could not be made."""
    joined = (select(*STEPS.c, *DECISIONS.c)
              .select_from(STEPS.outerjoin(DECISIONS, DECISIONS.c.step_id == STEPS.c.id))
              .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL))
    keys = list(joined.exported_columns.keys())
    assert keys == ([f"approval_step_{column.key}" for column in STEPS.c]
                    + [f"approval_decision_{column.key}" for column in DECISIONS.c])
    assert list(joined.exported_columns) == [*STEPS.c, *DECISIONS.c]

    plain = select(STEPS.c.id, DECISIONS.c.id, select(DECISIONS.c.id).exists().label("flag"))
    assert list(plain.exported_columns.keys()) == ["id", "id_1", "flag"]

    returning = update(STEPS).returning(STEPS.c.id, STEPS.c.status, STEPS.c.approvals)
    assert list(returning.exported_columns.keys()) == ["id", "status", "approvals"]
    assert list(update(STEPS).exported_columns) == []
    assert list(insert(STEPS).returning(STEPS.c.id).exported_columns) == [STEPS.c.id]
    # The compiled SELECT lists its columns in the exported order.
    sql = joined.compile(dialect=asyncpg_dialect).string
    assert sql.index("approval_step.id AS approval_step_id") < sql.index(
        "approval_decision.id AS approval_decision_id")


def test_statements_tables_and_dialects_are_dictionary_keys_by_identity(asyncpg_dialect):
    """_driver._compiled caches compiled statements under (statement, dialect name,
    parameter names), and journal caches `_update_by_id`, `_insert` and `_one_statement`
    with functools.cache on tables and the dialect. That needs hashing and equality by
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
    """_driver._compile and _journal._one_statement convert each value with
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
    sql = "SELECT " + ", ".join(f"CAST(${number} AS {name}[])"
                                for number, name in enumerate(names, start=1))
    async with create_sessionmaker(engine)() as session:
        await session.execute(text("SELECT 1"))
        driver = await _driver(session)
        arrays = [[None]] * len(names)
        assert list(await driver.fetchrow(sql, *arrays)) == arrays
        await session.rollback()


@postgres_only
async def test_asyncpg_json_codec_takes_text_and_returns_objects(engine):
    """PostgreSQL. SQLAlchemy's asyncpg dialect registers json/jsonb codecs on each new
    connection (text in, decoded objects out). the driver path sends the JSON bind processor's
    text to the driver and gets decoded values back, and the journal sends arrays of it
    (`CAST($1 AS JSON[])`): without the codec the driver would reject text or return it
    undecoded. The other array casts the journal uses round-trip the processed values."""
    dialect = engine.dialect
    to_json = JSON().dialect_impl(dialect).bind_processor(dialect)
    nullable = JSON(none_as_null=True).dialect_impl(dialect).bind_processor(dialect)
    to_utc = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    to_name = STEPS.c.status.type.dialect_impl(dialect).bind_processor(dialect)
    document = {"kind": "合同", "percent": "30.00"}
    async with create_sessionmaker(engine)() as session:
        await session.execute(text("SELECT 1"))
        driver = await _driver(session)
        assert await driver.fetchval("SELECT $1::json", to_json(document)) == document
        assert await driver.fetchval("SELECT $1::jsonb", to_json(document)) == document
        row = await driver.fetchrow(
            "SELECT CAST($1 AS JSON[]), CAST($2 AS TIMESTAMP WITH TIME ZONE[]), "
            "CAST($3 AS stepstatus[])",
            [to_json(document), nullable(None)], [to_utc(AT)], [to_name(StepStatus.active)])
        assert list(row) == [[document, None], [AT], ["active"]]
        await session.rollback()


@postgres_only
async def test_result_processors_take_the_postgresql_type_oid(engine):
    """PostgreSQL. _driver._describe asks the driver for the statement's result types
    (`PreparedStatement.get_attributes()[i].type.oid`) and passes each oid to the column
    type's `result_processor(dialect, oid)`; _driver._rows applies those to the driver's
    values. The asyncpg dialect's processors choose by oid (a NUMERIC column needs no
    conversion, a float8 one is made Decimal). If they took something else, or the
    attributes lost `.type.oid`, driver rows would differ from the session's."""
    dialect = engine.dialect
    numeric = money_column_type().dialect_impl(dialect)
    assert numeric.result_processor(dialect, 1700) is None  # numeric: asyncpg gives Decimal
    assert numeric.result_processor(dialect, 701)(2.5) == Decimal("2.50")  # float8

    statement = select(REQUESTS.c.amount, REQUESTS.c.status, REQUESTS.c.decided_at,
                       REQUESTS.c.flags).where(REQUESTS.c.id == bindparam("request_id"))
    compiled = statement.compile(dialect=dialect, column_keys=["request_id"])
    async with create_sessionmaker(engine)() as session:
        request_id = await session.scalar(insert(REQUESTS).returning(REQUESTS.c.id), {
            "document_type": "contract", "document_id": 1, "document_version": 1,
            "policy_key": "contract", "title": "合同", "amount": Decimal("1234.50"),
            "department_id": "east", "owner_id": "rep.a", "submitted_by": "rep.a",
            "flags": ["large"], "policy_version": 1, "fired_rules": [],
            "status": RequestStatus.approved, "current_stage": 0, "created_at": AT,
            "decided_at": AT, "version": 1})
        through_session = (await session.execute(statement, {"request_id": request_id})).one()
        driver = await _driver(session)
        attributes = (await driver.prepare(compiled.string)).get_attributes()
        assert attributes[0].type.oid == 1700 and attributes[2].type.oid == 1184
        record = await driver.fetchrow(compiled.string, request_id)
        converted = []
        for column, attribute, value in zip(statement.exported_columns, attributes, record,
                                            strict=True):
            convert = column.type.dialect_impl(dialect).result_processor(
                dialect, attribute.type.oid)
            converted.append(value if convert is None else convert(value))
        await session.rollback()

    assert tuple(converted) == tuple(through_session)
    assert type(converted[1]) is RequestStatus and converted[3] == ["large"]


# ---- the connection ----------------------------------------------------------------------


@postgres_only
async def test_asyncpg_adapter_begins_lazily(engine):
    """PostgreSQL. _driver._remember uses the driver only when
    `driver_connection.is_in_transaction()`: SQLAlchemy's asyncpg adapter sends BEGIN with
    the first statement that goes through it, not at `session.connection()`. If it began
    eagerly the driver path would merely take its fast path sooner; if the driver could be in a
    transaction SQLAlchemy did not begin, the driver path's writes would escape the session's
    commit and rollback."""
    async with create_sessionmaker(engine)() as session:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        assert isinstance(raw, PoolProxiedConnection)
        driver = raw.driver_connection
        assert isinstance(driver, asyncpg.Connection)
        assert not driver.is_in_transaction()
        await session.execute(text("SELECT 1"))
        assert driver.is_in_transaction()
        await session.rollback()
        assert not driver.is_in_transaction()


@postgres_only
async def test_sessions_commit_and_rollback_end_the_driver_transaction(engine):
    """PostgreSQL. the driver path runs statements on the driver inside the transaction the
    adapter began, and leaves ending it to the session: the session's commit must commit
    that very transaction (and its rollback roll it back), not one of its own."""
    maker = create_sessionmaker(engine)
    outcomes = {}
    for ending in ("commit", "rollback"):
        async with maker() as session:
            await session.execute(text("SELECT 1"))
            driver = await _driver(session)
            outcomes[ending] = await driver.fetchval("SELECT pg_current_xact_id()::text")
            await getattr(session, ending)()
            assert not driver.is_in_transaction()
    async with maker() as session:
        status = {ending: await session.scalar(text(
            "SELECT pg_xact_status(CAST(CAST(:xid AS TEXT) AS xid8))"),
                                               {"xid": xid})
                  for ending, xid in outcomes.items()}
        await session.rollback()
    assert status == {"commit": "committed", "rollback": "aborted"}


@postgres_only
async def test_pool_proxied_connection_exposes_driver_and_run_async(engine):
    """PostgreSQL. _driver._driver_sync and execute_sync (called from the journal's
    before_commit) reach the driver from synchronous code: the sync connection's
    `.connection` is the same PoolProxiedConnection, `.driver_connection` the same
    asyncpg connection, and `.dbapi_connection.run_async(fn)` awaits `fn(driver)` in the
    greenlet and raises the driver's own errors (which the driver path translates)."""
    async with create_sessionmaker(engine)() as session:
        await session.execute(text("SELECT 1"))
        driver = await _driver(session)

        def in_greenlet(sync_session: Session) -> tuple[Any, ...]:
            raw = sync_session.connection().connection
            assert raw.driver_connection is driver
            value = raw.dbapi_connection.run_async(  # type: ignore[union-attr]
                lambda connection: connection.fetchval("SELECT 41 + 1"))
            with pytest.raises(asyncpg.PostgresError) as raised:
                raw.dbapi_connection.run_async(  # type: ignore[union-attr]
                    lambda connection: connection.execute("SELECT 1 / 0"))
            return value, raised.value

        value, error = await session.run_sync(in_greenlet)
        await session.rollback()
    assert value == 42 and isinstance(error, asyncpg.DivisionByZeroError)


def test_asyncpg_constraint_violations_share_one_base():
    """_driver._translated raises SQLAlchemy's IntegrityError for any
    `asyncpg.IntegrityConstraintViolationError` (DBAPIError for other PostgresErrors), built
    as `IntegrityError(statement, params, orig)`, so callers catching IntegrityError (e.g.
    flush_or_raise, execute_or_raise) handle both paths alike."""
    for violation in (asyncpg.UniqueViolationError, asyncpg.ForeignKeyViolationError,
                      asyncpg.NotNullViolationError, asyncpg.CheckViolationError,
                      asyncpg.ExclusionViolationError):
        assert issubclass(violation, asyncpg.IntegrityConstraintViolationError)
    assert issubclass(asyncpg.IntegrityConstraintViolationError, asyncpg.PostgresError)
    assert not issubclass(asyncpg.DivisionByZeroError, asyncpg.IntegrityConstraintViolationError)

    orig = asyncpg.UniqueViolationError("duplicate key value")
    error = IntegrityError("INSERT INTO t VALUES ($1)", {"id": 1}, orig)
    assert isinstance(error, DBAPIError) and error.orig is orig
    assert error.statement == "INSERT INTO t VALUES ($1)" and error.params == {"id": 1}
    assert "duplicate key value" in str(error)


@postgres_only
async def test_a_violated_constraint_on_the_driver_is_an_integrity_constraint_violation(engine):
    """PostgreSQL. What _driver._translated sees when a statement on the driver breaks a
    constraint, against what the session raises for the same statement."""
    create = "CREATE TEMP TABLE assumption_unique (id integer PRIMARY KEY) ON COMMIT DROP"
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await session.execute(text(create))
        driver = await _driver(session)
        await driver.execute("INSERT INTO assumption_unique VALUES (1)")
        with pytest.raises(asyncpg.IntegrityConstraintViolationError) as raised:
            await driver.execute("INSERT INTO assumption_unique VALUES (1)")
        assert isinstance(raised.value, asyncpg.UniqueViolationError)
        await session.rollback()
    async with maker() as session:
        await session.execute(text(create))
        await session.execute(text("INSERT INTO assumption_unique VALUES (1)"))
        with pytest.raises(IntegrityError):
            await session.execute(text("INSERT INTO assumption_unique VALUES (1)"))
        await session.rollback()


@postgres_only
async def test_a_dead_connection_is_dropped_as_sqlalchemy_drops_one(engine):
    """PostgreSQL. _driver._closed and _drop_connection: what the driver path does when a
    statement there finds the connection gone, as SQLAlchemy does on its own path."""
    small = create_async_engine(engine.url, pool_size=2, max_overflow=0)
    maker = create_sessionmaker(small)
    try:
        async with maker() as idle, maker() as session:
            idle_pid = await idle.scalar(text("SELECT pg_backend_pid()"))
            await session.execute(text("SELECT 1"))  # on the pool's second connection
            await idle.close()  # the first one back in the pool, opened before what follows
            driver = await _driver(session)
            driver.terminate()
            assert driver.is_closed()
            with pytest.raises(asyncpg.InterfaceError):
                await driver.fetch("SELECT 1")

            def drop(sync_session: Session) -> None:
                connection = sync_session.connection()
                raw = connection.connection
                connection.engine.pool._invalidate(raw, None, _checkin=False)
                assert raw.is_valid  # left to the caller
                connection.invalidate()
                assert connection.invalidated

            await session.run_sync(drop)
            await session.rollback()  # no ROLLBACK is sent on the dead connection
        async with maker() as fresh:
            # Either pooled connection is reopened: the idle one was opened before the
            # invalidation, the dead one was invalidated.
            assert await fresh.scalar(text("SELECT pg_backend_pid()")) != idle_pid
    finally:
        await small.dispose()


# ---- the ORM -----------------------------------------------------------------------------


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


async def test_get_transaction_is_the_root_for_the_whole_transaction(session):
    """_driver._cached keeps the driver connection for the transaction that
    `session.get_transaction()` returns and compares it by identity: it must be the same
    object for the whole outer transaction (savepoints included) and a new one after
    commit, or the cached connection would be reused across transactions."""
    await session.execute(text("SELECT 1"))
    root = session.sync_session.get_transaction()
    assert root is not None and root.parent is None
    async with session.begin_nested():
        assert session.sync_session.get_transaction() is root
    await session.commit()
    await session.execute(text("SELECT 1"))
    assert session.sync_session.get_transaction() is not root


async def test_after_transaction_end_reports_the_outermost_with_no_parent(session, recorded):
    """_driver._forget_driver drops the session's driver connection, and
    _journal._discard_pending the rows still queued, on `after_transaction_end` when
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
    with the blocking `session.execute` (_driver.execute_sync on PostgreSQL, through
    `run_async`). That works only because SQLAlchemy runs the event inside the async
    session's greenlet; and what it writes must be part of the commit."""
    ran: list[Any] = []

    def write(sync_session: Session) -> None:
        sync_session.execute(insert(POLICIES), {
            "version": POLICY_VERSION, "document": {}, "created_at": AT,
            "created_by": "before_commit"})
        if IS_POSTGRES:
            raw = sync_session.connection().connection
            ran.append(raw.dbapi_connection.run_async(  # type: ignore[union-attr]
                lambda connection: connection.fetchval("SELECT 1")))
        ran.append(sync_session.execute(text("SELECT 1")).scalar_one())

    with _listening(session, before_commit=write):
        await session.execute(text("SELECT 1"))
        await session.commit()
    assert ran == ([1, 1] if IS_POSTGRES else [1])
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
