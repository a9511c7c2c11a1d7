"""A sorted list's deep page is an index range read in the page's order, as PostgreSQL plans
it over a table of some size: no sort of every matching row, no scan of the table, so a
page at any depth costs what the first does (app/list_indexes.py)."""

import pytest
from sqlalchemy import event, text

from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's plans")

SEED = """
INSERT INTO receivable (number, source, customer_id, department_id, owner_id, currency,
                        exchange_rate, amount, amount_base, balance, balance_base, credited,
                        invoice_date, payment_terms_days, due_date, status, created_by,
                        version, created_at, updated_at)
SELECT 'YS-S-' || g, 'delivery', :customer, 'east',
       CASE WHEN g % 20 = 0 THEN 'rep.zhang' ELSE 'rep.s' || (g % 20) END, 'CNY', 1,
       100 + g % 500, 100 + g % 500, 100, 100, 0, DATE '2026-01-01' + (g % 300), 30,
       DATE '2026-01-31' + (g % 300), 'open'::receivablestatus, 'seed', 1,
       now() - g * interval '1 minute', now()
FROM generate_series(1, 20000) AS g
"""


async def plan_of_page(client, session, engine, url, headers, params) -> str:
    """The plan of the page's statement on `receivable` (the one with ORDER BY)."""
    statements = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM receivable" in statement and "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        response = await client.get(url, headers=headers, params=params)
        assert response.status_code == 200, response.text
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    [(statement, parameters)] = statements
    connection = await session.connection()
    rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(row[0] for row in rows)


@pytest.fixture
async def many(session, company):
    await session.execute(text(SEED), {"customer": company.customer_id})
    await session.execute(text("ANALYZE receivable"))
    await session.commit()


@pytest.mark.parametrize(("who", "sort", "index"), [
    ("gm", "-due_date", "ix_receivable_due_date_id"),
    ("gm", "amount", "ix_receivable_amount_id"),
    ("gm", "-created_at", "ix_receivable_created_at_id"),
    ("rep", "-created_at", "ix_receivable_owner_id_created_at_id"),
])
async def test_a_deep_sorted_page_reads_its_index_in_order(client, company, session, engine,
                                                           many, who, sort, index):
    headers = getattr(company, who)
    params = {"sort": sort, "limit": 50}
    cursor = None
    for _ in range(3):  # a few pages in
        body = (await client.get("/api/v1/receivables", headers=headers,
                                 params=params | ({"cursor": cursor} if cursor else {}))).json()
        cursor = body["next_cursor"]
    assert cursor
    plan = await plan_of_page(client, session, engine, "/api/v1/receivables", headers,
                              params | {"cursor": cursor})
    assert index in plan, plan
    assert "Sort" not in plan and "Seq Scan on receivable" not in plan, plan
