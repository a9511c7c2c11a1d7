"""The document-numbers migration numbers the contracts and quotes already there: first
versions in id order, per year of creation in Shanghai time; later revisions take their
first version's number; each year's counter ends at its last number, so the service
carries on from there.

On SQLite the upgrade runs the way `salesflow migrate` runs it (the tables are rebuilt,
with contract lines and quote lines pointing at them); on PostgreSQL it runs in a schema of
its own inside one transaction, rolled back at the end."""

import asyncio
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.core.config import get_settings
from app.core.db import create_engine
from app.core.migrations import upgrade, upgrade_connection
from app.core.numbering import next_number
from tests.conftest import IS_POSTGRES, make_settings

BEFORE_NUMBERS = "a041f51e723b"

# (id, root_id, revision, created_at in UTC): 23:59:59 and 00:00:00 in Shanghai either side
# of New Year 2026, an amendment of the first made in 2026, and one more of 2026.
CONTRACTS = [
    (1, 1, 1, "2025-12-31 15:59:59"),
    (2, 2, 1, "2025-12-31 16:00:00"),
    (3, 1, 2, "2026-03-01 02:00:00"),
    (4, 4, 1, "2026-05-01 02:00:00"),
]
QUOTES = [
    (1, 1, 1, "2026-02-01 02:00:00"),
    (2, 1, 2, "2026-02-03 02:00:00"),
    (3, 3, 1, "2027-01-01 02:00:00"),
]
EXPECTED_CONTRACTS = {1: ("HT-2025-000001", 1), 2: ("HT-2026-000001", 1),
                      3: ("HT-2025-000001", 2), 4: ("HT-2026-000002", 1)}
EXPECTED_QUOTES = {1: ("BJD-2026-000001", 1), 2: ("BJD-2026-000001", 2),
                   3: ("BJD-2027-000001", 1)}
EXPECTED_COUNTERS = [("contract", 2025, 1), ("contract", 2026, 2), ("quote", 2026, 1),
                     ("quote", 2027, 1)]


def _rows(sqlite: bool) -> list[tuple[str, dict]]:
    """The statements seeding a database at the revision before numbers. On SQLite decimal
    columns hold scaled integers (app.core.db.ExactDecimal) and times are text in UTC;
    asyncpg wants datetimes and dates."""
    one_rate, one_quantity = (1_000_000, 1000) if sqlite else (1, 1)

    def at(utc: str) -> str | datetime:
        return utc if sqlite else datetime.fromisoformat(utc).replace(tzinfo=UTC)

    stamp = at("2025-12-01 00:00:00")
    valid_until = "2027-12-31" if sqlite else date(2027, 12, 31)
    statements: list[tuple[str, dict]] = [
        ("INSERT INTO department (id, name, active, version, created_at, updated_at) "
         "VALUES ('east', 'East', TRUE, 1, :t, :t)", {"t": stamp}),
        ("INSERT INTO customer (id, name, contacts, owner_id, department_id, credit_rating, "
         "credit_limit, payment_terms_days, is_key_customer, version, created_at, updated_at) "
         "VALUES (1, '宁波港城', '[]', 'rep.zhang', 'east', 'B', 0, 30, FALSE, 1, :t, :t)",
         {"t": stamp}),
        ("INSERT INTO product (id, sku, name, unit, list_price, floor_price, tax_rate, active, "
         "version, created_at, updated_at) VALUES (1, 'P-1', 'Pump', 'pcs', 0, 0, 0, TRUE, 1, "
         ":t, :t)", {"t": stamp}),
    ]
    for row_id, root_id, revision, created in CONTRACTS:
        statements.append((
            "INSERT INTO contract (id, customer_id, department_id, owner_id, title, currency, "
            "exchange_rate, subtotal, tax_total, total, total_base, major_interest, "
            "payment_schedule, status, revision, root_id, predecessor_id, signatories, "
            "created_by, version, created_at, updated_at) VALUES (:id, 1, 'east', 'rep.zhang', "
            "'合同', 'CNY', :rate, 0, 0, 0, 0, FALSE, '[]', 'draft', :revision, :root, :pred, "
            "'[]', 'rep.zhang', 1, :t, :t)",
            {"id": row_id, "rate": one_rate, "revision": revision, "root": root_id,
             "pred": root_id if revision > 1 else None, "t": at(created)}))
        statements.append((
            "INSERT INTO contract_line (contract_id, line_no, product_id, description, quantity, "
            "unit_price, discount_percent, tax_rate, net_amount, tax_amount, total_amount) "
            "VALUES (:id, 1, 1, 'Pump', :q, 0, 0, 0, 0, 0, 0)", {"id": row_id, "q": one_quantity}))
    for row_id, root_id, revision, created in QUOTES:
        statements.append((
            "INSERT INTO quote (id, customer_id, department_id, owner_id, title, currency, "
            "exchange_rate, subtotal, tax_total, total, total_base, max_discount_percent, "
            "below_floor, valid_until, status, revision, root_id, predecessor_id, created_by, "
            "version, created_at, updated_at) VALUES (:id, 1, 'east', 'rep.zhang', '报价', 'CNY', "
            ":rate, 0, 0, 0, 0, 0, FALSE, :valid_until, 'draft', :revision, :root, :pred, "
            "'rep.zhang', 1, :t, :t)",
            {"id": row_id, "rate": one_rate, "revision": revision, "root": root_id,
             "pred": root_id if revision > 1 else None, "t": at(created),
             "valid_until": valid_until}))
        statements.append((
            "INSERT INTO quote_line (quote_id, line_no, product_id, description, quantity, "
            "list_price, unit_price, discount_percent, effective_discount_percent, floor_price, "
            "below_floor, tax_rate, net_amount, tax_amount, total_amount) VALUES (:id, 1, 1, "
            "'Pump', :q, 0, 0, 0, 0, 0, FALSE, 0, 0, 0, 0)", {"id": row_id, "q": one_quantity}))
    return statements


async def _check(connection: AsyncConnection) -> None:
    contracts = {row_id: (number, revision) for row_id, number, revision in (
        await connection.execute(text("SELECT id, number, revision FROM contract"))).all()}
    quotes = {row_id: (number, revision) for row_id, number, revision in (
        await connection.execute(text("SELECT id, number, revision FROM quote"))).all()}
    counters = [tuple(row) for row in (await connection.execute(text(
        "SELECT kind, year, last_value FROM document_counter ORDER BY kind, year"))).all()]
    assert (contracts, quotes, counters) == (EXPECTED_CONTRACTS, EXPECTED_QUOTES,
                                             EXPECTED_COUNTERS)
    # A later migration (c3a9e1f47b20) gave each document its customer's name.
    names = (await connection.execute(text(
        "SELECT customer_name FROM contract UNION SELECT customer_name FROM quote"))).scalars()
    assert set(names) == {"宁波港城"}
    # The service carries on where the numbering left off.
    async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
        assert await next_number(session, "contract", on=date(2026, 6, 1)) == "HT-2026-000003"
        assert await next_number(session, "contract", on=date(2027, 1, 1)) == "HT-2027-000001"


@pytest.fixture
def quote_prefix(monkeypatch):
    """The migration numbers with the prefixes configured when it runs."""
    monkeypatch.setenv("SALESFLOW_NUMBER_PREFIXES", '{"quote": "BJD"}')
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.mark.skipif(IS_POSTGRES, reason="the SQLite upgrade, on a file of its own")
async def test_sqlite_upgrade_numbers_existing_documents(tmp_path: Path, quote_prefix):
    path = tmp_path / "before-numbers.db"
    url = f"sqlite+aiosqlite:///{path}"
    # As `salesflow migrate` does it (env.py builds the engine; asyncio.run needs a thread).
    await asyncio.to_thread(upgrade, url, BEFORE_NUMBERS)
    with sqlite3.connect(path) as seeding:
        seeding.execute("PRAGMA foreign_keys=ON")
        for statement, params in _rows(sqlite=True):
            seeding.execute(statement.replace("TRUE", "1").replace("FALSE", "0"), params)
    await asyncio.to_thread(upgrade, url)

    engine = create_engine(make_settings(database_url=url))
    try:
        async with engine.connect() as connection:
            await _check(connection)
            lines = (await connection.execute(text(
                "SELECT count(*) FROM contract_line JOIN contract "
                "ON contract.id = contract_line.contract_id"))).scalar()
            assert lines == len(CONTRACTS)
            assert (await connection.execute(text("PRAGMA foreign_key_check"))).all() == []
            await connection.rollback()
    finally:
        await engine.dispose()


@pytest.mark.skipif(not IS_POSTGRES, reason="the PostgreSQL upgrade, in a schema of its own")
async def test_postgresql_upgrade_numbers_existing_documents(engine, quote_prefix):
    async with engine.connect() as connection:
        try:
            await connection.execute(text("CREATE SCHEMA numbering_upgrade"))
            await connection.execute(text("SET LOCAL search_path TO numbering_upgrade"))
            await connection.run_sync(upgrade_connection, BEFORE_NUMBERS)
            for statement, params in _rows(sqlite=False):
                await connection.execute(text(statement), params)
            await connection.run_sync(upgrade_connection)
            await _check(connection)
        finally:
            await connection.rollback()
