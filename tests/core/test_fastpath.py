"""The fast path's façade (app.core.fastpath): prebuilt statements run in the session's
transaction with the same values in and out as through the session, SQLAlchemy's errors,
and the journal's rules (written at commit, dropped with an uncommitted transaction,
entities built outside the session)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core import fastpath
from app.core.db import UTCDateTime, create_sessionmaker, money_column_type


class Colour(StrEnum):
    red = "red"
    blue = "blue"


_metadata = MetaData()
SAMPLE = Table(
    "prepared_sample", _metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", money_column_type(), nullable=False),
    Column("colour", Enum(Colour, native_enum=False, length=10), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("note", String(40)),
    Column("data", JSON),
    Column("version", Integer, nullable=False),
)
INSERT = insert(SAMPLE).returning(*SAMPLE.c)
BUMP = (update(SAMPLE).where(SAMPLE.c.id == bindparam("sample_id"))
        .values(version=SAMPLE.c.version + 1)
        .returning(SAMPLE.c.id, SAMPLE.c.colour, SAMPLE.c.amount, SAMPLE.c.version))
BY_ID = select(SAMPLE).where(SAMPLE.c.id == bindparam("sample_id"))
AT = datetime(2026, 11, 30, 8, 15, 0, 123000, tzinfo=UTC)
ROW = {"id": 1, "amount": Decimal("100000.01"), "colour": Colour.red, "at": AT,
       "note": "合同", "data": {"percent": "30.00", "kind": "advance"}, "version": 1}


@pytest.fixture
async def sample_table(engine: AsyncEngine) -> AsyncIterator[Table]:
    async with engine.begin() as connection:
        await connection.run_sync(_metadata.create_all)
    try:
        yield SAMPLE
    finally:
        async with engine.begin() as connection:
            await connection.run_sync(_metadata.drop_all)


async def test_rows_match_what_the_session_returns(engine, sample_table):
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await session.execute(text("SELECT 1"))
        inserted = await fastpath.fetch(session, INSERT, dict(ROW))
        through_session = (await session.execute(BY_ID, {"sample_id": 1})).one()
        fetched = await fastpath.fetch(session, BY_ID, {"sample_id": 1})
        bumped = await fastpath.fetch(session, BUMP, {"sample_id": 1, "note": "改"})
        await session.commit()

    assert inserted == [tuple(through_session)] == fetched
    row = fetched[0]
    assert row._asdict() == ROW  # type: ignore[attr-defined]
    assert type(row.amount) is Decimal and type(row.colour) is Colour
    assert row.at.tzinfo is not None and row.at == AT
    # The statement's own value (version + 1) and a SET column given as a parameter.
    assert bumped == [(1, Colour.red, Decimal("100000.01"), 2)]
    async with maker() as session:
        saved = (await session.execute(BY_ID, {"sample_id": 1})).one()
    assert (saved.version, saved.note) == (2, "改")


async def test_a_violated_constraint_is_sqlalchemys_integrity_error(engine, sample_table):
    async with create_sessionmaker(engine)() as session:
        await session.execute(text("SELECT 1"))
        await fastpath.fetch(session, INSERT, dict(ROW))
        with pytest.raises(IntegrityError):
            await fastpath.fetch(session, INSERT, dict(ROW))
        await session.rollback()


async def test_a_first_statement_still_runs_in_the_sessions_transaction(engine, sample_table):
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await fastpath.fetch(session, INSERT, dict(ROW))
        await session.rollback()
    async with maker() as session:
        assert (await session.execute(BY_ID, {"sample_id": 1})).first() is None

    async with maker() as session:
        await fastpath.fetch(session, INSERT, dict(ROW))
        await fastpath.fetch(session, BUMP, {"sample_id": 1})
        await session.rollback()
    async with maker() as session:
        assert (await session.execute(BY_ID, {"sample_id": 1})).first() is None


async def test_each_transaction_of_a_session_runs_in_its_own(engine, sample_table):
    """After a commit the next statement opens a new transaction, which a rollback then
    undoes."""
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await session.execute(text("SELECT 1"))
        await fastpath.fetch(session, INSERT, dict(ROW))
        await session.commit()
        await fastpath.fetch(session, BUMP, {"sample_id": 1})
        await fastpath.fetch(session, BUMP, {"sample_id": 1})
        await session.rollback()
        assert [row.version for row in await fastpath.fetch(
            session, BY_ID, {"sample_id": 1})] == [1]
        await session.commit()


async def test_the_journal_is_dropped_when_a_session_closes_without_committing(
        engine, sample_table):
    """Queued rows belong to their transaction: a session closed without a commit must not
    write them in its next transaction."""
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await session.execute(text("SELECT 1"))
        fastpath.append(session, SAMPLE, dict(ROW))
        await session.close()
        await session.execute(text("SELECT 1"))
        await session.commit()
    async with maker() as session:
        assert (await session.execute(BY_ID, {"sample_id": 1})).first() is None


def test_entities_load_in_a_process_that_has_not_used_the_orm_yet():
    """A worker's first command may build entities before anything configured the
    mappers; loaded_entity configures them rather than building a broken entity."""
    import subprocess
    import sys

    script = ("import app.models; from app.core import fastpath; "
              "from app.approvals.models import ApprovalRequest as R; "
              "print(fastpath.loaded_entity(R, [('id', 7), ('title', 't')]).id)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "7", result.stderr
