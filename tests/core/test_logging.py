"""Logs carry no personal data from SQL parameters, and every library logs in our format."""

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core.db import create_engine
from app.core.observability import configure_logging
from tests.conftest import make_settings

PHONE = "+8613912345678"
FAILING = text("SELECT name FROM no_such_customer_table WHERE phone = :phone")


async def test_a_failing_statement_does_not_show_its_parameters(engine):
    with pytest.raises(DBAPIError) as caught:
        async with engine.connect() as connection:
            await connection.execute(FAILING, {"phone": PHONE})
    message = str(caught.value)
    assert "no_such_customer_table" in message  # the statement is still there to debug
    assert PHONE not in message


@pytest.fixture
def structured_logs():  # type: ignore[no-untyped-def]
    configure_logging(level="INFO", json_logs=True)
    yield
    configure_logging(level="WARNING", json_logs=True)


async def test_echoed_sql_is_structured_and_hides_parameters(structured_logs, capsys):
    engine = create_engine(make_settings(db_echo=True))
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT :phone AS phone"), {"phone": PHONE})
    finally:
        await engine.dispose()
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line]
    echoed = [line for line in lines if line.get("logger") == "sqlalchemy.engine.Engine"]
    assert any("SELECT" in line["event"] and "AS phone" in line["event"] for line in echoed)
    assert PHONE not in out
