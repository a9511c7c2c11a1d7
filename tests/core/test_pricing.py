"""Pricing shared by the priced documents: totals over any document shape, the money columns
each priced table gets, and the imports that keep pricing out of any one domain."""

import ast
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import app.models  # noqa: F401  (every table, so every priced table is registered)
from app.core.pricing import PricedColumns, apply_totals

APP = Path(__file__).parents[2] / "app"


@dataclass
class Line:
    net_amount: Decimal
    tax_amount: Decimal


@dataclass
class Document:
    exchange_rate: Decimal
    subtotal: Decimal = Decimal(0)
    tax_total: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    total_base: Decimal = Decimal(0)


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from app import contracts` imports app.contracts
            modules.update({node.module} | {f"{node.module}.{a.name}" for a in node.names})
    return modules


class TestTotals:
    def test_sums_the_rounded_lines_and_converts_the_total(self):
        document = Document(exchange_rate=Decimal("7.123456"))
        apply_totals(document, [Line(Decimal("100.01"), Decimal("13.00")),
                                Line(Decimal("0.01"), Decimal("0.00"))])
        assert (document.subtotal, document.tax_total, document.total) == (
            Decimal("100.02"), Decimal("13.00"), Decimal("113.02"))
        assert document.total_base == Decimal("805.09")  # 805.0930...: half-up to 0.01

    def test_no_lines_is_zero(self):
        document = Document(exchange_rate=Decimal(1), total=Decimal(5))
        apply_totals(document, [])
        assert (document.subtotal, document.total, document.total_base) == (
            Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


class TestPricedTables:
    def test_each_priced_table_has_its_own_columns_and_rate_check(self):
        # Autogenerate compares no CHECK constraints, so a priced table that forgot
        # exchange_rate_check() would pass the migration test; this one would not.
        tables = [model.__table__ for model in PricedColumns.__subclasses__()]
        assert {table.name for table in tables} >= {"quote", "contract"}
        for table in tables:
            checks = {c.name for c in table.constraints if c.name and c.name.startswith("ck_")}
            assert f"ck_{table.name}_exchange_rate_positive" in checks
            assert table.c.exchange_rate.table is table
            assert table.c.total_base.type.precision == 18 and table.c.total_base.type.scale == 2


class TestImports:
    def test_pricing_depends_on_the_core_only(self):
        outside = {m for m in _imported_modules(APP / "core" / "pricing.py")
                   if m.startswith("app.") and not m.startswith("app.core")}
        assert outside == set()

    def test_quotes_do_not_import_contracts(self):
        # Contracts import quotes (a contract is drafted from an accepted quote).
        for path in (APP / "quotes").glob("*.py"):
            imported = _imported_modules(path)
            assert not {m for m in imported if m.startswith("app.contracts")}, path
