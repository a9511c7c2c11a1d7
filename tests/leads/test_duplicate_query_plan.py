"""The duplicate check reads three indexes, never the whole table: lead creation stays
fast however many leads there are."""

from sqlalchemy import text

from app.leads.models import Lead
from app.leads.service import duplicates_query
from tests.conftest import IS_POSTGRES


async def test_duplicate_check_uses_the_key_indexes(session):
    statement, params = duplicates_query(Lead(
        company="x", company_key="x", phone="+8613812345678", email="a@b.cn", source="web",
        department_id="d", created_by="t"))
    connection = await session.connection()
    sql = str(statement.params(params).compile(dialect=connection.dialect,
                                               compile_kwargs={"literal_binds": True}))
    if IS_POSTGRES:
        # With sequential scans priced out, a plan without the key indexes would show that
        # the query cannot use them.
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars())
    else:
        plan = "\n".join(row[-1] for row in await session.execute(
            text(f"EXPLAIN QUERY PLAN {sql}")))
    for index in ("ix_lead_phone", "ix_lead_email", "ix_lead_company_key"):
        assert index in plan, plan
    assert "Seq Scan" not in plan and "SCAN lead" not in plan
