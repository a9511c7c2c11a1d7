"""The duplicate check and the search by phone or e-mail read indexes, never a whole
table: creating a customer stays fast however many customers there are."""

import pytest
from sqlalchemy import select, text

from app.customers.duplicates import duplicates_params, duplicates_query, search_clauses
from app.customers.models import ContactKeyKind, Customer
from tests.conftest import IS_POSTGRES

KEYS = frozenset({(ContactKeyKind.phone, "+8613812345678"),
                  (ContactKeyKind.email, "wang@hengyuan.cn")})


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
        assert not line.strip().startswith(("SCAN customer", "SCAN customer_contact_key")), plan


@pytest.mark.parametrize("excluding", [False, True])
async def test_duplicate_check_uses_the_key_indexes(session, excluding):
    params = duplicates_params(name_key="杭州恒远化工", keys=KEYS,
                               customer_id=7 if excluding else None)
    plan = await _plan(session, duplicates_query(excluding=excluding).params(params))
    assert "ix_customer_name_key" in plan, plan
    # The contact keys' primary key (kind, value, customer_id); SQLite names it itself.
    assert any(name in plan for name in ("pk_customer_contact_key",
                                         "sqlite_autoindex_customer_contact_key")), plan
    _assert_no_table_scan(plan)


@pytest.mark.parametrize("q", ["138 1234 5678", "Wang@HengYuan.cn", "91350100M000100Y43"])
async def test_search_by_phone_email_or_credit_code_uses_indexes(session, q):
    [clause] = search_clauses(q)
    plan = await _plan(session, select(Customer.id).where(clause))
    _assert_no_table_scan(plan)
