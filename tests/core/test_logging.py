"""Logs carry no personal data from SQL parameters."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

PHONE = "+8613912345678"
FAILING = text("SELECT name FROM no_such_customer_table WHERE phone = :phone")


async def test_a_failing_statement_does_not_show_its_parameters(engine):
    with pytest.raises(DBAPIError) as caught:
        async with engine.connect() as connection:
            await connection.execute(FAILING, {"phone": PHONE})
    message = str(caught.value)
    assert "no_such_customer_table" in message  # the statement is still there to debug
    assert PHONE not in message

