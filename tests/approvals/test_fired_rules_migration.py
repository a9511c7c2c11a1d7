"""The migration that made approval rules codes: every sentence the resolver used to store
parses back into the code and parameters it now stores (so an old request reads the same
in English, and in Chinese too), anything else is kept whole, and a downgrade writes the
sentences back. On a scratch database of the suite's kind."""

import importlib.util
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.approvals.models import ApprovalRequest
from app.approvals.policy import (
    BELOW_FLOOR,
    DEFAULT_POLICY,
    DiscountBand,
    DocumentFacts,
    Tier,
    resolve,
)
from app.approvals.rules import FiredRule, render_rule
from app.core.db import create_engine
from app.core.migrations import alembic_config, upgrade_connection
from app.core.permissions import Role
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL, make_settings

BEFORE = "84c3fff6733d"
REVISION = "5e0c1f7a9b21"
NOW = datetime(2026, 11, 30, tzinfo=UTC)
REQUEST = ApprovalRequest.__table__  # its columns are those of the previous revision too


def _migration():  # type: ignore[no-untyped-def]
    versions = Path(__file__).resolve().parents[2] / "migrations" / "versions"
    path = next(versions.glob("*_fired_rules_as_codes.py"))
    spec = importlib.util.spec_from_file_location("fired_rules_as_codes", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MIGRATION = _migration()


def _every_kind_of_rule() -> list[FiredRule]:
    cumulative = DEFAULT_POLICY.model_copy(update={"tier_mode": "cumulative"})
    no_bands = DEFAULT_POLICY.model_copy(update={"discount_bands": []})
    nobody_on_top = DEFAULT_POLICY.model_copy(update={"discount_bands": [
        DiscountBand(up_to_percent=Decimal(5), role=None),
        DiscountBand(up_to_percent=None, role=None)]})
    wide_tiers = DEFAULT_POLICY.model_copy(update={"tiers": [
        Tier(up_to=Decimal("1000000.00"), role=Role.dept_head), Tier(up_to=None, role=Role.gm)]})
    rules: list[FiredRule] = []
    for policy, key, amount, flags, percent in [
        (DEFAULT_POLICY, "contract", "1234567.89", {"major_interest"}, None),
        (DEFAULT_POLICY, "contract", "100000.00", set(), None),
        (cumulative, "contract", "600000.00", set(), None),
        (wide_tiers, "contract", "999.99", set(), None),
        (DEFAULT_POLICY, "quote_discount", "1.00", set(), "4.00"),
        (DEFAULT_POLICY, "quote_discount", "1.00", set(), "12.50"),
        (DEFAULT_POLICY, "quote_discount", "1.00", set(), "30.00"),
        (DEFAULT_POLICY, "quote_discount", "1.00", {BELOW_FLOOR}, "0.00"),
        (no_bands, "quote_discount", "1.00", set(), "10.00"),
        (nobody_on_top, "quote_discount", "1.00", {BELOW_FLOOR}, "0.00"),
    ]:
        facts = DocumentFacts(policy_key=key, amount=Decimal(amount), department_id="east",
                              flags=frozenset(flags),
                              discount_percent=Decimal(percent) if percent else None)
        rules += resolve(policy, facts).fired_rules
    return rules


RULES = _every_kind_of_rule()


def test_the_rules_cover_every_code():
    assert {r.code for r in RULES} == {
        "stage.added", "stage.skipped", "tier.selected", "tier.cumulative", "band.none",
        "band.below_floor", "band.within_authority", "band.selected"}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: render_rule(r, "en"))
def test_each_old_sentence_parses_into_its_code(rule):
    sentence = render_rule(rule, "en")
    assert MIGRATION.parse(sentence) == rule.stored()
    assert MIGRATION.render(rule.stored()) == sentence


def test_an_unknown_sentence_is_kept_whole():
    stored = MIGRATION.parse("a rule someone wrote by hand")
    assert stored == {"code": "legacy", "params": {"text": "a rule someone wrote by hand"}}
    assert render_rule(FiredRule.from_stored(stored), "zh-CN") == "a rule someone wrote by hand"


@pytest.fixture
async def scratch_url(engine: AsyncEngine, tmp_path) -> AsyncIterator[str]:
    if not IS_POSTGRES:
        yield f"sqlite+aiosqlite:///{tmp_path / 'before.db'}"
        return
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_rules_{secrets.token_hex(3)}"
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


async def test_stored_rules_are_converted_and_back(settings, scratch_url):
    sentences = [render_rule(rule, "en") for rule in RULES] + ["written by hand"]
    engine = create_engine(make_settings(database_url=scratch_url,
                                         jwt_secret=settings.jwt_secret))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade_connection, BEFORE)
            row_id = (await connection.execute(insert(REQUEST).values(
                document_type="contract", document_id=1, document_version=1,
                policy_key="contract", title="HT-1", amount=Decimal("1.00"),
                department_id="east", owner_id="rep", submitted_by="rep", flags=[],
                policy_version=1, fired_rules=sentences, status="approved", current_stage=0,
                created_at=NOW, version=1).returning(REQUEST.c.id))).scalar_one()
        async with engine.begin() as connection:
            await connection.run_sync(upgrade_connection, REVISION)
            stored = (await connection.execute(select(REQUEST.c.fired_rules).where(
                REQUEST.c.id == row_id))).scalar_one()
        assert stored == [rule.stored() for rule in RULES] + [
            {"code": "legacy", "params": {"text": "written by hand"}}]
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, BEFORE)
            restored = (await connection.execute(select(REQUEST.c.fired_rules).where(
                REQUEST.c.id == row_id))).scalar_one()
        assert restored == sentences
    finally:
        await engine.dispose()
