"""Decimals are stored exactly on both databases (SQLite keeps them as integer minor
units, not as REAL), compare, sort and sum right in SQL, and every response shows them
with their column's places, the same after a POST as after a GET."""

import re
from decimal import Decimal
from pathlib import Path

import httpx
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlmodel import col

from app.core.db import ExactDecimal, create_engine, create_sessionmaker, metadata
from app.core.migrations import alembic_config, upgrade_connection
from app.main import create_app
from app.products.models import Product
from tests.conftest import make_settings
from tests.factories.contracts import contract_body
from tests.factories.quotes import quote_body, quote_line

PRODUCTS = "/api/v1/products"
BEFORE_EXACT_DECIMALS = "87014a069014"
EXACT_DECIMALS = "1b736880f8be"


def _product(sku: str, list_price: str, floor_price: str = "0.00", tax_rate: str = "0.13"):
    return {"sku": sku, "name": f"Product {sku}", "list_price": list_price,
            "floor_price": floor_price, "tax_rate": tax_rate}


class TestNegativeZero:
    async def test_negative_zero_comes_back_as_zero(self, client, admin):
        created = await client.post(PRODUCTS, headers=admin, json={
            **_product("ZERO-1", "-0.00", "-0"), "tax_rate": -0.0})
        assert created.status_code == 201, created.text
        read = (await client.get(f"{PRODUCTS}/{created.json()['id']}", headers=admin)).json()
        for body in (created.json(), read):
            assert (body["list_price"], body["floor_price"], body["tax_rate"]) == (
                "0.00", "0.00", "0.0000")


class TestStoredExactly:
    async def test_eighteen_significant_digits_round_trip(self, client, admin):
        created = await client.post(PRODUCTS, headers=admin, json=_product(
            "BIG-1", "9999999999999999.99", "9999999999999999.98", "0.1234"))
        assert created.status_code == 201, created.text
        read = (await client.get(f"{PRODUCTS}/{created.json()['id']}", headers=admin)).json()
        for body in (created.json(), read):
            assert (body["list_price"], body["floor_price"], body["tax_rate"]) == (
                "9999999999999999.99", "9999999999999999.98", "0.1234")


class TestSql:
    async def test_comparison_and_order_tell_a_cent_apart_at_ten_to_the_fifteenth(
            self, client, session, admin):
        prices = {"HIGH": "1000000000000000.01", "MID": "1000000000000000.00",
                  "LOW": "999999999999999.99"}
        for sku, price in prices.items():
            response = await client.post(PRODUCTS, headers=admin, json=_product(sku, price))
            assert response.status_code == 201, response.text
        price = col(Product.list_price)
        ordered = (await session.scalars(
            select(Product.sku).where(col(Product.sku).in_(prices)).order_by(price))).all()
        assert ordered == ["LOW", "MID", "HIGH"]
        above = (await session.scalars(
            select(Product.sku).where(price > Decimal("1000000000000000.00")))).all()
        assert above == ["HIGH"]
        at_most = (await session.scalars(select(Product.sku).where(
            col(Product.sku).in_(prices), price <= Decimal("999999999999999.99")))).all()
        assert at_most == ["LOW"]

    async def test_report_sums_exactly(self, client, company):
        leads = "/api/v1/leads"
        for phone in ("13800000001", "13800000002"):
            lead = (await client.post(leads, headers=company.rep, json={
                "source": "web", "company": f"公司{phone}", "phone": phone})).json()
            for step in ("contact", "qualify"):  # SPEC §3: contacted before qualified
                await client.post(f"{leads}/{lead['id']}/{step}", headers=company.rep)
            converted = await client.post(f"{leads}/{lead['id']}/convert", headers=company.rep,
                                          json={"opportunity": {
                                              "grade": "low", "expected_close_date": "2026-12-31",
                                              "expected_amount": "1000000000000000.01"}})
            assert converted.status_code in (200, 201), converted.text
        report = await client.get("/api/v1/reports/funnel", headers=company.gm)
        assert report.status_code == 200, report.text
        assert report.json()["total"]["opportunity_amount"] == "2000000000000000.02"


class TestSamePlacesOnPostAndGet:
    DECIMALS = ("exchange_rate", "subtotal", "tax_total", "total", "total_base")
    LINE_DECIMALS = ("quantity", "unit_price", "discount_percent", "tax_rate", "net_amount",
                     "tax_amount", "total_amount")

    def _decimals(self, body: dict) -> tuple:
        return ({name: body[name] for name in self.DECIMALS},
                [{name: line[name] for name in self.LINE_DECIMALS} for line in body["lines"]])

    async def test_contract(self, client, company):
        body = contract_body(company.customer_id, company.product_id, currency="USD",
                             exchange_rate="7.1")
        body["lines"] = [{"product_id": company.product_id, "quantity": "3",
                          "unit_price": "1000", "discount_percent": "5", "tax_rate": "0.13"}]
        created = await client.post("/api/v1/contracts", headers=company.rep, json=body)
        assert created.status_code == 201, created.text
        read = await client.get(f"/api/v1/contracts/{created.json()['id']}", headers=company.rep)
        assert self._decimals(created.json()) == self._decimals(read.json())
        assert self._decimals(read.json()) == (
            {"exchange_rate": "7.100000", "subtotal": "2850.00", "tax_total": "370.50",
             "total": "3220.50", "total_base": "22865.55"},
            [{"quantity": "3.000", "unit_price": "1000.0000", "discount_percent": "5.00",
              "tax_rate": "0.1300", "net_amount": "2850.00", "tax_amount": "370.50",
              "total_amount": "3220.50"}])

    async def test_quote(self, client, company):
        created = await client.post("/api/v1/quotes", headers=company.rep, json=quote_body(
            company.customer_id, [quote_line(company.product_id, quantity="3", discount="-0",
                                             unit_price="12345678901234.5678", tax_rate="0.13")],
            currency="USD", exchange_rate="7.123456"))
        assert created.status_code == 201, created.text
        read = await client.get(f"/api/v1/quotes/{created.json()['id']}", headers=company.rep)
        assert self._decimals(created.json()) == self._decimals(read.json())
        assert self._decimals(read.json()) == (
            {"exchange_rate": "7.123456", "subtotal": "37037036703703.70",
             "tax_total": "4814814771481.48", "total": "41851851475185.18",
             "total_base": "298129822502016.72"},
            [{"quantity": "3.000", "unit_price": "12345678901234.5678", "discount_percent": "0.00",
              "tax_rate": "0.1300", "net_amount": "37037036703703.70",
              "tax_amount": "4814814771481.48", "total_amount": "41851851475185.18"}])


class TestSqliteMigration:
    def test_converts_every_decimal_column(self):
        # The migration names the columns it converts (it must not import the models):
        # it must name every decimal column there is, with the column's scale.
        scripts = ScriptDirectory.from_config(alembic_config())
        module = scripts.get_revision(EXACT_DECIMALS).module
        # Tables created by later migrations are out of its reach (and get integer minor
        # units from the start).
        existing = {name for revision in scripts.iterate_revisions(EXACT_DECIMALS, "base")
                    for name in re.findall(r"create_table\(\s*'(\w+)'",
                                           Path(revision.path).read_text(encoding="utf-8"))}
        declared = {(table.name, column.name): column.type.scale
                    for table in metadata.tables.values() for column in table.columns
                    if isinstance(column.type, ExactDecimal) and table.name in existing}
        converted = {(table, column): scale for table, columns in module.SCALES.items()
                     for column, scale in columns.items()}
        assert converted == declared

    async def test_upgrade_turns_reals_into_exact_values(self, settings, admin, tmp_path):
        # A database of its own, written at the previous revision the way the old column
        # type wrote it (floats), then upgraded, then read back through the API.
        migrated = make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'old.db'}",
                                 jwt_secret=settings.jwt_secret)
        engine = create_engine(migrated)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(upgrade_connection, BEFORE_EXACT_DECIMALS)
                for sku, prices in {"OLD-1": (1234567890123.45, 0.29, 0.0725),
                                    "OLD-2": (100.0, 99.9, 0.13)}.items():
                    await connection.exec_driver_sql(
                        "INSERT INTO product (sku, name, unit, list_price, floor_price, tax_rate,"
                        " active, version, created_at, updated_at) VALUES (?, ?, 'pcs', ?, ?, ?,"
                        " 1, 1, '2026-11-30 00:00:00', '2026-11-30 00:00:00')",
                        (sku, sku, *prices))
            async with engine.begin() as connection:
                await connection.run_sync(upgrade_connection)
            app = create_app(migrated)
            app.state.engine = engine
            app.state.sessionmaker = create_sessionmaker(engine)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                items = (await client.get(PRODUCTS, headers=admin)).json()["items"]
        finally:
            await engine.dispose()
        assert {p["sku"]: (p["list_price"], p["floor_price"], p["tax_rate"]) for p in items} == {
            "OLD-1": ("1234567890123.45", "0.29", "0.0725"),
            "OLD-2": ("100.00", "99.90", "0.1300")}

