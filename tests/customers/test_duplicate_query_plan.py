"""The duplicate check and the search by phone or e-mail read indexes, never a whole
table: creating a customer stays fast however many customers there are."""

import pytest
from sqlalchemy import select, text

from app.customers.duplicates import duplicates_params, duplicates_query, search_clauses
from app.customers.models import Customer, KeyKind
from tests.conftest import IS_POSTGRES

KEYS = frozenset({(KeyKind.name, "杭州恒远化工"), (KeyKind.phone, "+8613812345678"),
                  (KeyKind.email, "wang@hengyuan.cn")})


async def _plan(session, statement) -> str:
    connection = await session.connection()
    sql = str(statement.compile(dialect=connection.dialect,
                                compile_kwargs={"literal_binds": True}))
    if IS_POSTGRES:
        # With sequential scans priced out, a plan that still scans shows that the query
        # cannot use an index.
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars())
    return "\n".join(row[-1] for row in await session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))


def _assert_no_table_scan(plan: str) -> None:
    assert "Seq Scan on customer" not in plan, plan
    for line in plan.splitlines():
        assert not line.strip().startswith(("SCAN customer", "SCAN customer_key")), plan


@pytest.mark.parametrize("excluding", [False, True])
async def test_duplicate_check_uses_the_key_indexes(session, excluding):
    params = duplicates_params(KEYS, customer_id=7 if excluding else None)
    plan = await _plan(session, duplicates_query(excluding=excluding).params(params))
    # The keys' primary key (kind, value, customer_id), once per kind; SQLite names it
    # itself.
    index = "pk_customer_key" if IS_POSTGRES else "sqlite_autoindex_customer_key"
    assert plan.count(index) == 3, plan
    _assert_no_table_scan(plan)


@pytest.mark.parametrize("q", ["138 1234 5678", "Wang@HengYuan.cn", "91350100M000100Y43"])
async def test_search_by_phone_email_or_credit_code_uses_indexes(session, q):
    [clause] = search_clauses(q)
    plan = await _plan(session, select(Customer.id).where(clause))
    _assert_no_table_scan(plan)
