#!/usr/bin/env python3
"""Lead creation (with its duplicate check) and the funnel report, over 100,000 leads.

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_leads.py [--leads 100000] [--duration 20] [--connections 32]

It creates a throwaway PostgreSQL database, migrates it and seeds it with SQL: five
departments of ten reps, 2,000 customers and `--leads` leads created over the last 90
days (one in ten converted into an opportunity, a third of those won, a tenth of the
company names shared). It starts the API with one uvicorn worker and runs two loads:

  1. create: POST /api/v1/leads as a sales rep (bench/wrk/create_lead.lua); every fifth
             lead repeats a seeded prospect's phone (in another spelling) and company, so
             the duplicate check finds it
  2. funnel: GET /api/v1/reports/funnel as the GM over the 90 days, one request at a time
             (bench/wrk/get.lua), so each latency is the report's own

It prints requests/s and latency percentiles beside the targets (create ≥ 200 req/s; the
funnel under 300 ms at p99), and the plan PostgreSQL chooses for the duplicate check. The
database is dropped at the end, also on failure or Ctrl-C (unless --keep-db). It is a
measurement, not a test: the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, timedelta

import httpx
from _common import (
    WRK_SCRIPTS,
    ApiServer,
    BenchError,
    LoadResult,
    WrkLoad,
    add_common_arguments,
    add_timed_load_arguments,
    benchmark_database,
    check_common_arguments,
    main,
    measure_for,
    mint_token,
    print_failures_note,
    print_load_errors,
    print_load_table,
    print_plan,
    print_server_log,
    print_targets,
    psql,
    running_server,
    server_env,
    warm_up_for,
)
from bench_funnel import ROLLUP_SQL

CREATE_SCRIPT = WRK_SCRIPTS / "create_lead.lua"
GET_SCRIPT = WRK_SCRIPTS / "get.lua"

TARGET_CREATE_RPS = 200
TARGET_FUNNEL_MS = 300
DEPARTMENTS = ["bench", "bench2", "bench3", "bench4", "bench5"]
REP = {"sub": "rep.bench.0", "roles": "sales_rep", "dept": "bench"}
GM = {"sub": "gm.bench", "roles": "gm"}
HISTORY_DAYS = 90

SEED_SQL = """
INSERT INTO department (id, name, active, version, created_at, updated_at)
SELECT d, d || ' dept', true, 1, now(), now() FROM unnest(ARRAY[{departments}]) AS d;

INSERT INTO customer (name, contacts, owner_id, department_id, credit_rating, credit_limit,
                      payment_terms_days, is_key_customer, version, created_at, updated_at)
SELECT '客户' || g, '[]', 'rep.' || d || '.' || (g % 10), d, 'C', 0, 30, false, 1, now(), now()
FROM generate_series(1, 2000) AS g,
     LATERAL (SELECT (ARRAY[{departments}])[1 + g % 5] AS d) AS dept;

-- Lead g: phone 138 + g in eight digits, company 公司(g mod 90000), created over the last
-- {days} days; status by g mod 10 (0 converted, 1-2 qualified, 3 disqualified,
-- 4-5 contacted, else new).
INSERT INTO lead (source, company, contact_name, phone, email, company_key,
                  possible_duplicate, status, owner_id, department_id, qualified_at,
                  converted_at, created_by, version, created_at, updated_at)
SELECT (ARRAY['web', 'exhibition', 'referral', 'phone', 'social', 'other'])[1 + g % 6]::leadsource,
       '公司' || (g % 90000) || '有限公司', '联系人' || g, '+86138' || lpad(g::text, 8, '0'),
       'c' || g || '@example.cn', '公司' || (g % 90000), g > 90000,
       (CASE WHEN g % 10 = 0 THEN 'converted' WHEN g % 10 IN (1, 2) THEN 'qualified'
             WHEN g % 10 = 3 THEN 'disqualified' WHEN g % 10 IN (4, 5) THEN 'contacted'
             ELSE 'new' END)::leadstatus,
       'rep.' || d || '.' || (g / 7 % 10), d,
       CASE WHEN g % 10 IN (0, 1, 2) THEN created + interval '2 days' END,
       CASE WHEN g % 10 = 0 THEN created + interval '5 days' END,
       'seed', 1, created, created
FROM generate_series(1, {leads}) AS g,
     LATERAL (SELECT (ARRAY[{departments}])[1 + g / 3 % 5] AS d,
                     now() - (g % {days}) * interval '1 day' - (g % 1440) * interval '1 minute'
                     AS created) AS l;

INSERT INTO opportunity (customer_id, customer_name, lead_id, department_id, owner_id, title,
                         grade, stage, probability, expected_amount, expected_close_date,
                         won_amount, stage_changed_at, created_by, version, created_at,
                         updated_at)
SELECT 1 + lead.id % 2000, (SELECT name FROM customer WHERE customer.id = 1 + lead.id % 2000),
       id, department_id, owner_id, company,
       (ARRAY['high', 'medium', 'low'])[1 + id % 3]::opportunitygrade,
       (CASE id % 3 WHEN 0 THEN 'won' WHEN 1 THEN 'lost' ELSE 'negotiation' END)::opportunitystage,
       CASE id % 3 WHEN 0 THEN 100 WHEN 1 THEN 0 ELSE 75 END,
       10000 + (id % 500) * 1000, current_date + 30,
       CASE WHEN id % 3 = 0 THEN 9000 + (id % 500) * 1000 END,
       converted_at, 'seed', 1, converted_at, converted_at
FROM lead WHERE status = 'converted';

ANALYZE;
"""

DUPLICATE_PLAN_SQL = """
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT id, phone, email, company_key, status, owner_id, department_id, created_at
FROM lead
WHERE company_key = '公司4242' OR phone = '+8613800004242' OR email = 'c4242@example.cn'
ORDER BY id DESC LIMIT 20
"""


def seed(database: str, leads: int) -> None:
    departments = ", ".join(f"'{d}'" for d in DEPARTMENTS)
    psql(SEED_SQL.format(departments=departments, leads=leads, days=HISTORY_DAYS),
         database=database)
    # Leads written by SQL: the funnel's rollup is built as the migration builds it.
    psql(ROLLUP_SQL, database=database)


def measure(load: WrkLoad, server: ApiServer, args: argparse.Namespace) -> LoadResult:
    """The load after its warm-up, for --duration seconds."""
    warm_up_for(load, args.warmup)
    return measure_for(load, server, args.duration, verbose=args.verbose)


def print_report(loads: list[LoadResult], args: argparse.Namespace, server: ApiServer,
                 *, plan: str, funnel_sample: dict, total_leads: int) -> None:
    print()
    print(f"Results: {total_leads} leads in the database after the create load; create with "
          f"{args.threads} wrk threads and {args.connections} connections, the funnel one "
          f"request at a time; {args.duration:g} s per load after {args.warmup:g} s warm-up; "
          f"1 uvicorn worker, SALESFLOW_LOG_LEVEL={args.log_level}")
    print()
    print_load_table(loads)
    print()
    print_load_errors(loads)
    print()
    print_plan("Duplicate check, as PostgreSQL runs it on the seeded data:", plan)
    total = funnel_sample["total"]
    print()
    print(f"Funnel over {funnel_sample['date_from']} .. {funnel_sample['date_to']}: "
          f"{total['leads']} leads, {total['qualified']} qualified, {total['opportunities']} "
          f"opportunities ({total['opportunity_amount']} CNY), {total['won']} won "
          f"({total['won_amount']} CNY), {len(funnel_sample['departments'])} departments")

    by_name = {load.name: load for load in loads}
    create, funnel = by_name["create"].wrk, by_name["funnel"].wrk
    print_targets([
        (f"create >= {TARGET_CREATE_RPS} req/s", f"{create.rps:.1f} req/s",
         create.rps >= TARGET_CREATE_RPS),
        (f"funnel p99 < {TARGET_FUNNEL_MS} ms", f"{funnel.p99_ms:.1f} ms",
         funnel.p99_ms < TARGET_FUNNEL_MS),
    ])
    print_failures_note(loads)
    print_server_log(server, verbose=args.verbose)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000,
                        help="leads seeded before the loads (default 100000)")
    add_timed_load_arguments(parser)
    parser.add_argument("--db-name", default=f"salesflow_bench_leads_{os.getpid()}",
                        help="name of the throwaway database (default salesflow_bench_leads_<pid>)")
    add_common_arguments(parser)
    args = parser.parse_args()
    check_common_arguments(parser, args)
    if args.duration <= 0 or args.leads < 1000:
        parser.error("--duration must be positive and --leads at least 1000")
    return args


def run(args: argparse.Namespace) -> None:
    env = server_env(args.log_level)
    name = args.db_name
    with benchmark_database("lead", env, name=name, keep=args.keep_db) as tmp:
        print(f"  seeding {args.leads} leads ...", flush=True)
        seed(name, args.leads)
        plan = psql(DUPLICATE_PLAN_SQL, database=name)

        with running_server(env, tmp / "server.log") as server:
            rep_token, gm_token = mint_token(env, **REP), mint_token(env, **GM)
            loads = [measure(WrkLoad("create", server.base_url, CREATE_SCRIPT, rep_token,
                                     args.threads, args.connections, (str(args.leads),)),
                             server, args)]
            today = date.today()
            query = f"from={today - timedelta(days=HISTORY_DAYS)}&to={today + timedelta(days=1)}"
            funnel_url = f"{server.base_url}/api/v1/reports/funnel?{query}"
            response = httpx.get(funnel_url, headers={"Authorization": f"Bearer {gm_token}"},
                                 timeout=30)
            if response.status_code != 200:
                raise BenchError(f"the funnel report: {response.status_code} {response.text}")
            # One request at a time, so that each latency is the report's own.
            loads.append(measure(WrkLoad("funnel", funnel_url, GET_SCRIPT, gm_token,
                                         threads=1, connections=1), server, args))
            total_leads = int(psql("SELECT count(*) FROM lead", database=name))
            print_report(loads, args, server, plan=plan, funnel_sample=response.json(),
                         total_leads=total_leads)


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
