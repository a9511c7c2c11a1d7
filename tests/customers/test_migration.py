"""The migration that brought normalised contacts and duplicate keys: customers registered
before it get their keys and normalised contacts, what cannot be normalised stays as it
was, and a downgrade puts the extensions back after their numbers. On a scratch database
of the suite's kind (a SQLite file, or a PostgreSQL database made for the test)."""

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from alembic import command
from sqlalchemy import Connection, DateTime, Integer, column, insert, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import create_engine, create_sessionmaker
from app.core.migrations import alembic_config, upgrade_connection
from app.customers.models import Customer, CustomerKey
from app.departments.models import Department
from app.main import create_app
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL, make_settings

BEFORE = "41b312c5483c"
NOW = datetime(2026, 11, 30, tzinfo=UTC)
CUSTOMER = Customer.__table__  # its columns are those of the previous revision too
# customer_credit as the previous revision made it.
CUSTOMER_CREDIT = table("customer_credit", column("customer_id", Integer),
                        column("receivables_open", Integer), column("orders_uninvoiced", Integer),
                        column("orders_in_review", Integer),
                        column("updated_at", DateTime(timezone=True)))


@pytest.fixture
async def scratch_url(engine: AsyncEngine, tmp_path) -> AsyncIterator[str]:
    if not IS_POSTGRES:
        yield f"sqlite+aiosqlite:///{tmp_path / 'before.db'}"
        return
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_migration_{secrets.token_hex(3)}"
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            await autocommit.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def _customer(name: str, contacts: list[dict]) -> dict:
    return {"name": name, "credit_code": None, "contacts": contacts,
            "address": None, "owner_id": "rep.a", "department_id": "east",
            "credit_rating": "C", "credit_limit": Decimal("0.00"), "payment_terms_days": 0,
            "is_key_customer": False, "version": 1, "created_at": NOW, "updated_at": NOW}


async def test_existing_customers_are_normalised_and_keyed(settings, scratch_url, admin):
    migrated = make_settings(database_url=scratch_url, jwt_secret=settings.jwt_secret)
    engine = create_engine(migrated)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade_connection, BEFORE)
            await connection.execute(insert(Department.__table__).values(
                id="east", name="East", active=True, version=1, created_at=NOW,
                updated_at=NOW))
            ids = [(await connection.execute(
                insert(CUSTOMER).values(row).returning(CUSTOMER.c.id))).scalar_one()
                for row in [_customer("杭州恒远化工有限公司", [
                    {"name": "王经理", "phone": "0571-8888 6666 转 801",
                     "email": "Wang@HengYuan.CN"},
                    {"name": "前台", "title": "Reception", "phone": "5555 0000"},
                    {"name": "旧号码", "phone": "+8612345678"},
                    {"name": "空", "phone": "", "email": ""}]),
                _customer("杭州恒远化工", [{"name": "李", "phone": "+86 571 88886666"}]),
                _customer("宁波港城机械", [])]]
            # A row referencing a customer: on SQLite, a migration rebuilding the customer
            # table would fail on it.
            await connection.execute(insert(CUSTOMER_CREDIT).values(
                customer_id=ids[0], receivables_open=0, orders_uninvoiced=0, orders_in_review=0,
                updated_at=NOW))
        async with engine.begin() as connection:
            await connection.run_sync(upgrade_connection)

        app = create_app(migrated)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first = (await client.get(f"/api/v1/customers/{ids[0]}", headers=admin)).json()
            assert first["contacts"] == [
                {"name": "王经理", "title": None, "phone": "+8657188886666",
                 "phone_extension": "801", "email": "wang@hengyuan.cn"},
                # Not a number the rules recognise (no area code): left as it was.
                {"name": "前台", "title": "Reception", "phone": "5555 0000",
                 "phone_extension": None, "email": None},
                {"name": "旧号码", "title": None, "phone": "+8612345678",
                 "phone_extension": None, "email": None},
                {"name": "空", "title": None, "phone": None, "phone_extension": None,
                 "email": None}]
            duplicates = (await client.get(f"/api/v1/customers/{ids[0]}/duplicates",
                                           headers=admin)).json()["items"]
            assert [(d["id"], d["matched_on"]) for d in duplicates] == [
                (ids[1], ["name", "phone"])]
            assert (await client.get(f"/api/v1/customers/{ids[2]}/duplicates",
                                     headers=admin)).json()["items"] == []
            # A customer registered now finds the old ones by their keys.
            created = await client.post("/api/v1/customers", headers=admin, json={
                "name": "Other", "owner_id": "rep.a", "department_id": "east",
                "contacts": [{"name": "X", "email": "wang@hengyuan.cn"}]})
            assert [(d["id"], d["matched_on"]) for d in created.json()["duplicates"]] == [
                (ids[0], ["email"])]
            # Renamed, the customer gets a new name key; the numbers left as they were stay
            # no key, even the one that looks like E.164.
            renamed = await client.patch(f"/api/v1/customers/{ids[0]}", headers=admin,
                                         json={"name": "恒远化工集团"})
            assert renamed.status_code == 200
        async with engine.connect() as connection:
            keys = set((await connection.execute(
                select(CustomerKey.kind, CustomerKey.value).where(
                    CustomerKey.customer_id == ids[0]))).all())
        assert keys == {("name", "恒远化工集团"), ("phone", "+8657188886666"),
                        ("email", "wang@hengyuan.cn")}

        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, BEFORE)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            contacts = (await connection.execute(
                select(CUSTOMER.c.contacts).where(CUSTOMER.c.id == ids[0]))).scalar_one()
        assert "customer_key" not in tables
        assert contacts[0]["phone"] == "+8657188886666-801"
        assert "phone_extension" not in contacts[0]
    finally:
        await engine.dispose()
