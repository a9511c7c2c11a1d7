"""`?q=` (app/core/search.py): the lists find what a plain, case-insensitive
`LIKE '%term%'` finds, whichever way the database gets there, and on PostgreSQL a rare
term is read from the trigram or gram indexes instead of a scan of the table."""

import re

import pytest
from sqlalchemy import event, text

from app.core.numbering import number_searched
from app.core.search import grams_of, term_grams
from tests.conftest import IS_POSTGRES

LEADS = "/api/v1/leads"

COMPANIES = [
    "Acme Trading Ltd", "ACME-2 Holdings", "Globex 100% Foods", "a_b Systems", "aXb Systems",
    "华为技术有限公司", "深圳华为终端", "中兴通讯", "宁波港城机械制造有限公司", "张三贸易",
    "上海张江科技", "Beijing 华为 Partners", "鑫源化工", "O'Brien \\ Sons", "'引号' 公司",
]
CONTACTS = ["王经理", "Zhang San", None, "李四", "zhang wei"]

TERMS = [
    "acme", "ACME", "Acme Trading", "cm", "a", "z",          # ASCII: 3+, 2 and 1 characters
    "100%", "%", "_", "a_b", "2 h",                         # wildcards are characters
    "华为", "华", "鑫", "华为技术", "技术有限", "港城机械制造",   # Chinese: 2, 1 and 3+ characters
    "为 p", "Beijing 华", "zhang", "张",                      # mixed, and the contact's name
    "没有这个", "qqq", "xyzzy", "鑫鑫",                       # found nowhere
    # Quotes and backslashes (the term is written into the SQL on PostgreSQL).
    "o'brien", "'", "\\ s", "\\", "'引", "号'", "''", "\\'",
]


@pytest.fixture
async def leads(client, company) -> dict[int, tuple[str, str | None]]:
    created = {}
    for n, name in enumerate(COMPANIES):
        contact = CONTACTS[n % len(CONTACTS)]
        response = await client.post(LEADS, headers=company.rep, json={
            "source": "web", "company": name, "email": f"lead{n}@example.cn"}
            | ({"contact_name": contact} if contact else {}))
        assert response.status_code == 201, response.text
        created[response.json()["id"]] = (name, contact)
    return created


@pytest.mark.parametrize("term", TERMS)
async def test_q_finds_what_a_plain_case_insensitive_like_finds(client, company, leads, term):
    expected = {lead_id for lead_id, (name, contact) in leads.items()
                if term.lower() in name.lower() or term.lower() in (contact or "").lower()}
    body = (await client.get(LEADS, headers=company.gm, params={"q": term, "limit": 100})).json()
    assert {lead["id"] for lead in body["items"]} == expected


def test_a_term_takes_the_grams_path_when_trigrams_cannot_serve_it():
    assert term_grams("acme") is None  # pg_trgm's
    assert term_grams("a") is None  # nearly every row: no index helps
    assert term_grams("cm") == ["cm"]
    assert term_grams("华") == ["华"]
    assert term_grams("华为") == ["华为"]
    assert term_grams("华为技术") == sorted(["华为", "为技", "技术"])


def test_a_number_is_searched_only_for_what_a_number_can_hold():
    assert number_searched("ht-2026-0001", "number") == ("number",)
    assert number_searched("HT", "number") == ("number",)
    assert number_searched("华为", "number") == ()
    assert number_searched("ht 2026", "number") == ()


@pytest.mark.skipif(not IS_POSTGRES, reason="the SQL function exists on PostgreSQL only")
async def test_the_sql_grams_are_the_python_grams(session):
    """The containment narrows rows by search_grams(lower(value)) @> term_grams(term): it
    only finds every match if the SQL function builds what grams_of() builds."""
    for value in ["", "a", "ab", "华", "华为技术", "Acme 华为 100%_x", "a\tb\\c", "😀ok"]:
        lowered = value.lower()
        in_sql = (await session.execute(text("SELECT search_grams(:v)"), {"v": lowered})).scalar()
        assert sorted(set(in_sql)) == sorted(set(grams_of(lowered))), value
        for term in {lowered[i:j] for i in range(len(lowered))
                     for j in range(i + 1, len(lowered) + 1)}:
            assert set(term_grams(term) or []) <= set(in_sql), (value, term)


# What the planner sees on PostgreSQL: a table with statistics, where a rare term is rare.
SEED_LEADS = """
INSERT INTO lead (source, company, contact_name, company_key, possible_duplicate, status,
                  department_id, owner_id, created_by, version, created_at, updated_at)
SELECT 'web', CASE WHEN g % 2 = 0 THEN
         (ARRAY['宁波','杭州','上海','北京','深圳','苏州'])[1 + g % 6]
         || (ARRAY['港城','恒达','东方','宏图','永盛','金泰','瑞丰','天成'])[1 + g % 8]
         || (ARRAY['机械制造','电子科技','贸易','化工','物流'])[1 + g % 5] || '有限公司' || g
       ELSE (ARRAY['Acme','Globex','Initech','Umbrella','Stark','Wayne'])[1 + g % 6]
         || ' ' || (ARRAY['Industries','Trading','Logistics','Systems'])[1 + g % 4] || ' ' || g
       END,
       (ARRAY['王经理','李工','Zhang Wei','Chen Li'])[1 + g % 4],
       'k' || g, false, 'new', 'east', 'rep.zhang', 'seed', 1,
       now() - g * interval '1 minute', now()
FROM generate_series(1, 5000) AS g
"""
SEED_CUSTOMERS = """
INSERT INTO customer (name, contacts, owner_id, department_id, credit_rating, credit_limit,
                      payment_terms_days, is_key_customer, version, created_at, updated_at)
SELECT (ARRAY['宁波','杭州','上海','北京'])[1 + g % 4] || (ARRAY['港城','恒达','东方'])[1 + g % 3]
       || '机械有限公司' || g, '[]', 'rep.zhang', 'east', 'B', 0, 30, false, 1,
       now() - g * interval '1 minute', now()
FROM generate_series(1, 5000) AS g
"""
# A contract of each customer, storing its name as the service does.
SEED_CONTRACTS = """
INSERT INTO contract (number, customer_id, customer_name, department_id, owner_id, title,
                      currency, exchange_rate, subtotal, tax_total, total, total_base,
                      major_interest, payment_schedule, status, revision, signatories,
                      created_by, version, created_at, updated_at)
SELECT 'HT-T-' || c.id, c.id, c.name, 'east', 'rep.zhang', '离心泵采购合同', 'CNY', 1, 1000, 0,
       1000, 1000, false, '[]', 'draft', 1, '[]', 'seed', 1, c.created_at, now()
FROM customer AS c
"""


async def plan_of_list(client, session, engine, url, headers, params, table) -> str:
    """The plan of the list's page statement (the one reading `table` with ORDER BY)."""
    statements = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if f"FROM {table}" in statement and "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        response = await client.get(url, headers=headers, params=params)
        assert response.status_code == 200, response.text
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    [(statement, parameters)] = statements
    connection = await session.connection()
    # With sequential scans priced out, a plan without the search indexes shows that the
    # query cannot use them (at this table's size a scan is cheaper; bench/bench_search.py
    # shows the planner's own choice over a million rows).
    await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    rows = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(row[0] for row in rows)


async def seed(session, statement: str, table: str) -> None:
    """Rows and statistics as a table in service has them: GIN's list of entries pending
    since the inserts merged into the index (autovacuum's work), then ANALYZE."""
    await session.execute(text(statement))
    await session.execute(text(
        "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
        "WHERE i.indrelid = CAST(:table AS regclass) AND a.amname = 'gin'"), {"table": table})
    await session.execute(text(f"ANALYZE {table}"))
    await session.commit()


@pytest.fixture
async def many_leads(session, company):
    await seed(session, SEED_LEADS, "lead")


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's plans")
@pytest.mark.parametrize(("term", "kinds"), [
    ("xyzzy", ("trgm",)),  # ASCII, found nowhere
    ("initech industries 4", ("trgm",)),
    ("鑫源", ("grams",)),  # two characters: no trigram in them
    ("鑫", ("grams",)),  # one
    ("qz", ("grams",)),  # two ASCII characters
    # Three or more Chinese characters: the grams in any locale (and only they: the trigram
    # index, ANDed in, would read every row for a term it has no trigram of).
    ("宁波港城机械制造有限公司1", ("grams",)),
])
async def test_a_rare_term_reads_the_search_indexes(client, company, session, engine,
                                                    many_leads, term, kinds):
    plan = await plan_of_list(client, session, engine, LEADS, company.gm,
                              {"q": term, "limit": 50}, "lead")
    # Every searched column through one of its indexes (an OR of bitmap scans): a column
    # without would make it a walk of the whole table.
    for column in ("company", "contact_name"):
        assert any(f"ix_lead_{column}_{kind}" in plan for kind in kinds), (column, plan)
    assert "Seq Scan on lead" not in plan, plan
    if "trgm" not in kinds:
        assert "_trgm" not in plan, plan


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's plans")
async def test_documents_find_their_customer_by_name_through_the_index(
        client, company, session, engine):
    await seed(session, SEED_CUSTOMERS, "customer")
    await seed(session, SEED_CONTRACTS, "contract")
    plan = await plan_of_list(client, session, engine, "/api/v1/contracts", company.gm,
                              {"q": "鑫源", "limit": 50}, "contract")
    # The name the contract stores, through its own gram index: the customers are not read.
    assert "ix_contract_customer_name_grams" in plan, plan
    assert "Seq Scan on contract" not in plan, plan
    assert not re.search(r"\bon customer\b", plan), plan
    assert "SubPlan" not in plan, plan


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL's plans")
@pytest.mark.parametrize("term", ["港城", "港城机械", "鑫"])  # common and rare, 1-4 characters
async def test_the_grams_path_compares_the_stored_grams(client, company, session, engine,
                                                        many_leads, term):
    """Whether the planner filters a newest-first read or rechecks a bitmap's rows, it
    compares each searched column's stored grams: a call of the PL/pgSQL search_grams()
    per row made a common term over a million leads take half a second."""
    plan = await plan_of_list(client, session, engine, LEADS, company.gm,
                              {"q": term, "limit": 50}, "lead")
    for column in ("company", "contact_name"):
        assert f"{column}_grams @>" in plan, (column, plan)
    assert "search_grams(" not in plan, plan
