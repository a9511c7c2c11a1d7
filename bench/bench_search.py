#!/usr/bin/env python3
"""`?q=` text search over 1,000,000 leads, 200,000 customers and 200,000 contracts: a common
term, a rare one, a missing one, Chinese terms of two characters (common and rare) and one
of four, on `GET /leads`, `/customers` and `/contracts`.

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_search.py [--leads 1000000] [--customers 200000]
                                           [--requests 100]

It creates a throwaway PostgreSQL database, migrates it and bulk-loads it with SQL
(`INSERT ... SELECT` over `generate_series`, the tables' secondary indexes dropped during
the load and rebuilt after it, as a bulk load does): half Chinese company names (city +
brand + trade + 有限公司), half Latin ones, contacts in both scripts, and a few rows carrying
the rare terms. Then VACUUM ANALYZE. Each figure is the list's first page (50 items,
newest first) as the GM, who sees the whole company: `--requests` requests after a warm-up,
the figures taking turns, timed by the server's access log (the plumbing in _common.py, as
bench_receivables.py). It prints p50/p95 beside the target (< 50 ms at p95) and PostgreSQL's plan for
each lead term. A measurement, not a test: the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import sys

import _common
import httpx
from _common import (
    Figure,
    Timing,
    add_report_arguments,
    check_report_arguments,
    main,
    measure_figures,
    mint_token,
    p95_checks,
    print_plan,
    print_targets,
    print_timings,
    psql,
    report_database,
    running_server,
)
from sqlalchemy.dialects import postgresql

from app.core.search import text_contains
from app.leads.models import Lead

TARGET_MS = 50
# After the load the machine is busy (autovacuum, checkpoints): the server's start may take
# longer than the shared 60 s.
_common.READY_TIMEOUT_S = 300
GM = {"sub": "gm.bench", "roles": "gm"}
# term kind → term. The rare ones are planted in a few rows by the seed (RARE_EVERY).
TERMS = {
    "common": "trading",
    "rare": "zyxwv",
    "missing": "qwertyx",
    "zh 2 common": "华为",
    "zh 2 rare": "鑫磊",
    "zh 4": "港城机械",
}
RARE_EVERY = 40_000

# A company name for row g (a Chinese one for even g, a Latin one for odd g), and now and
# then a rare term in front. The moduli differ so that the parts combine freely.
NAME_SQL = """
  CASE WHEN {g} % {rare_every} = 7 THEN 'Zyxwv ' WHEN {g} % {rare_every} = 9 THEN '鑫磊' ELSE ''
  END ||
  CASE WHEN {g} % 2 = 0 THEN
    (ARRAY['宁波','杭州','上海','北京','深圳','苏州','广州','天津','南京','成都','武汉',
           '西安','青岛','厦门','无锡','佛山'])[1 + {g} % 16]
    || (ARRAY['港城','新材','恒达','华为','东方','宏图','永盛','金泰','华宇','瑞丰','天成',
              '博远','康达','伟业','联创','信诚','明辉','嘉禾','兴隆','安泰'])[1 + {g} / 16 % 20]
    || (ARRAY['机械制造','电子科技','贸易','化工','物流','建材','医疗器械','软件','食品',
              '纺织'])[1 + {g} / 7 % 10]
    || '有限公司'
  ELSE
    (ARRAY['Acme','Globex','Initech','Umbrella','Stark','Wayne','Hooli','Vandelay','Soylent',
           'Tyrell','Cyberdyne','Wonka','Oscorp','Aperture','Massive'])[1 + {g} % 15]
    || ' ' || (ARRAY['Industries','Trading','Logistics','Systems','Holdings','Electronics',
                     'Materials','Foods'])[1 + {g} / 15 % 8]
    || ' ' || (ARRAY['Ltd','GmbH','Inc','Co','LLC'])[1 + {g} / 7 % 5]
  END || ' ' || {g}
"""
CONTACT_SQL = """
  CASE WHEN {g} % 2 = 0 THEN
    (ARRAY['张','王','李','赵','刘','陈','杨','黄','周','吴'])[1 + {g} / 3 % 10]
    || (ARRAY['伟','芳','娜','敏','静','强','军','洋','勇','艳','杰','涛'])[1 + {g} / 11 % 12]
  ELSE
    (ARRAY['Zhang','Wang','Li','Chen','Liu','Smith','Miller','Garcia'])[1 + {g} / 3 % 8]
    || ' ' || (ARRAY['Wei','Fang','Anna','John','Maria','Jun','Tao','Peter'])[1 + {g} / 11 % 8]
  END
"""

SEED_SQL = """
INSERT INTO department (id, name, active, version, created_at, updated_at)
VALUES ('bench', 'bench dept', true, 1, now(), now());

INSERT INTO customer (name, contacts, owner_id, department_id, credit_rating, credit_limit,
                      payment_terms_days, is_key_customer, version, created_at, updated_at)
SELECT {customer_name}, '[]', 'rep.bench.' || c % 10, 'bench', 'B', 0, 30, false, 1,
       now() - c * interval '1 minute', now()
FROM generate_series(1, {customers}) AS c;

INSERT INTO contract (number, customer_id, customer_name, department_id, owner_id, title,
                      currency, exchange_rate, subtotal, tax_total, total, total_base,
                      major_interest, payment_schedule, status, revision, signatories,
                      created_by, version, created_at, updated_at)
SELECT 'HT-2026-' || lpad(k::text, 6, '0'), 1 + k % {customers},
       (SELECT name FROM customer WHERE id = 1 + k % {customers}), 'bench',
       'rep.bench.' || k % 10,
       (ARRAY['离心泵','数控机床','服务器','钢材','包装材料','Pump','Spare parts','Software'])
         [1 + k % 8] || (ARRAY['年度框架协议','采购合同',' supply agreement','维保合同'])
         [1 + k / 8 % 4],
       'CNY', 1, 1000, 0, 1000, 1000, false, '[]', 'draft', 1, '[]', 'seed', 1,
       now() - k * interval '1 minute', now()
FROM generate_series(1, {contracts}) AS k;

INSERT INTO lead (source, company, contact_name, company_key, possible_duplicate, status,
                  department_id, owner_id, created_by, version, created_at, updated_at)
SELECT 'web', {lead_company}, {lead_contact}, 'k' || g, false, 'new', 'bench',
       'rep.bench.' || g % 10, 'seed', 1, now() - g * interval '1 second', now()
FROM generate_series(1, {leads}) AS g;
"""

# The secondary indexes of the loaded tables, dropped for the load and rebuilt after it.
INDEXES_SQL = """
SELECT i.indexrelid::regclass || '|' || pg_get_indexdef(i.indexrelid)
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname IN ('lead', 'customer', 'contract') AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""

PLAN_SQL = """
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON)
SELECT id FROM lead WHERE {where} ORDER BY created_at DESC, id DESC LIMIT 51
"""


def lead_predicate(term: str) -> str:
    """What app.core.search.text_contains() makes of `term` on the lead list, compiled by the
    service's own code with the values written in, for EXPLAIN."""
    predicate = text_contains(term, Lead.company, Lead.contact_name).compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return str(predicate).replace("%%", "%")  # the driver's escape of a literal %


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads (default 1000000)")
    parser.add_argument("--customers", type=int, default=200_000,
                        help="customers, and as many contracts (default 200000)")
    add_report_arguments(parser, benchmark="search", requests=100, warmup=10)
    args = parser.parse_args()
    check_report_arguments(parser, args, {"--leads": 10_000, "--customers": 1_000})
    return args


def load(name: str, args: argparse.Namespace) -> None:
    indexes = [line.split("|", 1) for line in psql(INDEXES_SQL, database=name).splitlines()]
    psql("DROP INDEX " + ", ".join(index for index, _ in indexes), database=name)
    psql(SEED_SQL.format(
        customers=args.customers, contracts=args.customers, leads=args.leads,
        customer_name=NAME_SQL.format(g="c", rare_every=RARE_EVERY // 5),
        lead_company=NAME_SQL.format(g="g", rare_every=RARE_EVERY),
        lead_contact=CONTACT_SQL.format(g="g")), database=name)
    print(f"  rebuilding {len(indexes)} indexes ...", flush=True)
    psql("SET maintenance_work_mem = '256MB'; "
         + "; ".join(definition for _, definition in indexes), database=name)
    # What autovacuum does to a table in service: statistics, the visibility map.
    psql("VACUUM ANALYZE lead, customer, contract", database=name)


def run(args: argparse.Namespace) -> None:
    name = args.db_name
    with report_database("search", args, show=("lc_ctype",)) as (env, tmp):
        print(f"  loading {args.leads} leads, {args.customers} customers and as many "
              "contracts ...", flush=True)
        load(name, args)
        counts = {kind: int(psql(f"SELECT count(*) FROM lead WHERE {lead_predicate(term)}",
                                 database=name)) for kind, term in TERMS.items()}
        plans = {kind: psql(PLAN_SQL.format(where=lead_predicate(term)), database=name)
                 for kind, term in TERMS.items()}
        print_plans(counts, plans)  # before the server: they stand even if it cannot start
        with running_server(env, tmp / "server.log") as server:
            gm = mint_token(env, **GM)
            target = f"< {TARGET_MS} ms"
            figures = [Figure(f"{path} {kind}", target, f"/api/v1/{path}",
                              {"q": term, "limit": 50}, gm)
                       for path in ("leads", "customers", "contracts")
                       for kind, term in TERMS.items()]
            with httpx.Client(timeout=60) as client:
                timings = measure_figures(figures, server, client, requests=args.requests,
                                          warmup=args.warmup)
            print_report(timings, args)


def print_plans(counts: dict[str, int], plans: dict[str, str]) -> None:
    for kind, term in TERMS.items():
        print_plan(f"Leads matching {term!r} ({kind}): {counts[kind]}; PostgreSQL's plan:",
                   plans[kind])
    print(flush=True)


def print_report(timings: list[Timing], args: argparse.Namespace) -> None:
    print()
    print(f"Results: {args.leads} leads, {args.customers} customers and as many contracts; "
          f"first pages of 50 as the GM; {args.requests} requests per figure in turns after "
          f"{args.warmup} warm-up; server time from the access log; 1 uvicorn worker")
    print()
    print_timings(timings, width=24,
                  column=("term", 10, lambda timing: TERMS[timing.name.split(" ", 1)[1]]))
    print_targets(p95_checks(timings, TARGET_MS))


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
