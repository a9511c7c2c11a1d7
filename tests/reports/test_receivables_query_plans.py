"""The receivables reports read the partial indexes over open receivables, as PostgreSQL
plans them on a table where most receivables are paid: the collection schedule walks its
index in the page's order from the cursor on (no sort, so a deep page costs what the first
does), and aging one department reads the rollup of open balances, not the receivables."""

from datetime import date

import pytest
from sqlalchemy import event, text

from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's plans")

SEED = """
INSERT INTO receivable (number, source, customer_id, department_id, owner_id, currency,
                        exchange_rate, amount, amount_base, balance, balance_base, credited,
                        invoice_date, payment_terms_days, due_date, status, created_by,
                        version, created_at, updated_at)
SELECT 'YS-P-' || g, 'delivery', :customer, (ARRAY['east', 'west'])[1 + g % 2],
       'rep.p' || (g % 20), 'CNY', 1, 100, 100,
       CASE WHEN g % 10 = 0 THEN 100 ELSE 0 END, CASE WHEN g % 10 = 0 THEN 100 ELSE 0 END, 0,
       DATE '2026-01-01' + (g % 300), 30, DATE '2026-01-31' + (g % 300),
       (CASE WHEN g % 10 = 0 THEN 'open' ELSE 'paid' END)::receivablestatus, 'seed', 1,
       now(), now()
FROM generate_series(1, 20000) AS g
"""

# What the commands would have kept in the rollup for the receivables seeded above.
ROLLUP = """
INSERT INTO receivable_open_balance (department_id, owner_id, due_date, receivables,
                                     balance_base)
SELECT department_id, owner_id, due_date, count(*), sum(balance_base)
FROM receivable WHERE status IN ('open', 'partially_paid')
GROUP BY department_id, owner_id, due_date
"""


async def plans_of(client, session, engine, url, headers, params) -> list[str]:
    """The plans of the statements on `receivable` the request ran."""
    statements = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM receivable" in statement:
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        response = await client.get(url, headers=headers, params=params)
        assert response.status_code == 200, response.text
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    plans = []
    for statement, parameters in statements:
        result = await session.connection()
        rows = await result.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        plans.append("\n".join(row[0] for row in rows))
    return plans


@pytest.fixture
async def many(session, ledger):
    await session.execute(text(SEED), {"customer": ledger.zhang.id})
    await session.execute(text(ROLLUP))
    await session.execute(text("ANALYZE receivable"))
    await session.execute(text("ANALYZE receivable_open_balance"))
    await session.commit()


async def test_a_deep_schedule_page_is_an_index_range_in_order(client, company, session,
                                                               engine, many):
    first = (await client.get("/api/v1/reports/collection-schedule", headers=company.gm,
                              params={"date": "2026-12-31", "limit": 50})).json()
    [plan] = await plans_of(client, session, engine, "/api/v1/reports/collection-schedule",
                            company.gm, {"date": "2026-12-31", "limit": 50,
                                         "cursor": first["next_cursor"]})
    assert "ix_receivable_open_owner_id_due_date_id" in plan, plan
    assert "Sort" not in plan and "Seq Scan on receivable" not in plan, plan


async def test_aging_one_department_by_rep_reads_the_rollup(client, company, session, engine,
                                                           many):
    plans = await plans_of(client, session, engine, "/api/v1/reports/receivables-aging",
                           company.gm, {"as_of": str(date(2026, 6, 30)),
                                        "department_id": "east", "group_by": "owner"})
    # One statement, the page and the total, over the rollup of what is owed: never the
    # receivables themselves.
    assert len(plans) == 1, plans
    [plan] = plans
    assert "receivable_open_balance" in plan, plan
    assert "on receivable " not in plan and "on receivable\n" not in plan, plan


async def test_aging_one_department_by_customer_reads_its_open_items(client, company, session,
                                                                     engine, many):
    plans = await plans_of(client, session, engine, "/api/v1/reports/receivables-aging",
                           company.gm, {"as_of": str(date(2026, 6, 30)),
                                        "department_id": "east", "group_by": "customer"})
    # The rollup keys no customers: the open items, through an index, never a scan of
    # every receivable ever issued.
    assert len(plans) == 1, plans
    [plan] = plans
    assert "ix_receivable_open_department_id_owner_id_due_date" in plan \
        or "ix_receivable_status_due_date" in plan, plan
    assert "Seq Scan on receivable" not in plan, plan
