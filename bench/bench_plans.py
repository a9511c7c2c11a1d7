#!/usr/bin/env python3
"""The plan progress report over a year of sales: 1,000,000 orders and 500,000 payments in
five departments of ten reps, and a yearly plan in force per department with its ten
targets split by month.

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_plans.py [--orders 1000000] [--requests 200]

It creates a throwaway PostgreSQL database, migrates it and seeds it in bulk with SQL
(INSERT ... SELECT over generate_series): 10,000 customers, `--orders` orders confirmed
over the 400 days before today (one in ten cancelled since), half as many payments over
the same days, and for each department a yearly plan for this year, approved, with a
target per rep split over the twelve months; the monthly totals filled from those rows
(`sales_month_total`, as the migration fills them); then VACUUM ANALYZE.

It starts the API with one uvicorn worker, its access log on, and sends each request
`--requests` times one at a time after a warm-up; the times are the server's
(`duration_ms` of the access log, as in bench_receivables.py). It prints p50/p95 beside
the target:

  department  GET /reports/plan-progress?period=<this year>, as the department's head
              (10 targets × 12 months): < 100 ms
  rep         the same as one rep (1 target): < 100 ms
  company     the same as the GM (50 targets in 5 departments): < 250 ms

and the plan PostgreSQL chooses for one department's monthly totals of the year. The database is dropped at the end,
also on failure or Ctrl-C (unless --keep-db). A measurement, not a test: the exit status
is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (
    Figure,
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

from app.orders.month_totals import backfill_sql

DEPARTMENTS = ["bench", "bench2", "bench3", "bench4", "bench5"]
GM = {"sub": "gm.bench", "roles": "gm"}
HEAD = {"sub": "head.bench", "roles": "dept_head", "dept": "bench"}
REP = {"sub": "rep.bench.3", "roles": "sales_rep", "dept": "bench"}
TARGETS_MS = {"department": 100, "rep": 100, "company": 250}

SEED_SQL = """
INSERT INTO department (id, name, active, version, created_at, updated_at)
SELECT d, d || ' dept', true, 1, now(), now() FROM unnest(ARRAY[{departments}]) AS d;

-- Customer c belongs to department (c mod 5) and its rep (c mod 10).
INSERT INTO customer (name, contacts, owner_id, department_id, credit_rating, credit_limit,
                      payment_terms_days, is_key_customer, version, created_at, updated_at)
SELECT '客户' || c, '[]', 'rep.' || d || '.' || (c / 5 % 10), d, 'C', 0, 30, false, 1,
       now(), now()
FROM generate_series(1, 10000) AS c,
     LATERAL (SELECT (ARRAY[{departments}])[1 + c % 5] AS d) AS dept;

-- Order g: customer 1 + g mod 10000, confirmed (g mod 400) days ago at a time of day
-- that moves with g; one in ten cancelled since.
INSERT INTO sales_order (number, customer_id, department_id, owner_id, title, currency,
                         exchange_rate, subtotal, tax_total, total, total_base,
                         payment_terms_days, prepayment_percent, status, credit_held,
                         invoiced_base, confirmed_at, created_by, version, created_at,
                         updated_at)
SELECT 'DD-B-' || g, c.id, c.department_id, c.owner_id, 'bench', 'CNY', 1, amount, 0,
       amount, amount, 30, 0,
       (CASE WHEN g % 10 = 0 THEN 'cancelled' ELSE 'confirmed' END)::orderstatus, false, 0,
       now() - make_interval(days => g % 400, secs => g % 86400), 'seed', 1, now(), now()
FROM generate_series(1, {orders}) AS g
JOIN customer AS c ON c.id = 1 + g % 10000,
     LATERAL (SELECT 1000 + (g % 997) * 10 AS amount) AS a;

INSERT INTO payment (number, customer_id, department_id, owner_id, external_reference,
                     method, currency, amount, amount_base, received_on, recorded_by,
                     created_at)
SELECT 'HK-B-' || g, c.id, c.department_id, c.owner_id, 'BANK-' || g, 'bank_transfer', 'CNY',
       500 + g % 500, 500 + g % 500, current_date - g % 400, 'seed', now()
FROM generate_series(1, {payments}) AS g
JOIN customer AS c ON c.id = 1 + g % 10000;

-- A yearly plan in force per department: 10 reps × 1,200,000.00, 100,000.00 a month.
INSERT INTO sales_plan (number, revision, department_id, period, year, title, target_amount,
                        status, approved_at, created_by, version, created_at, updated_at)
SELECT 'JH-B-' || d, 1, d, '{year}', {year}, 'bench', 12000000, 'approved', now(), 'seed', 1,
       now(), now()
FROM unnest(ARRAY[{departments}]) AS d;
INSERT INTO sales_target (plan_id, department_id, owner_id, amount, version, created_at,
                          updated_at)
SELECT p.id, p.department_id, 'rep.' || p.department_id || '.' || r, 1200000, 1, now(), now()
FROM sales_plan AS p, generate_series(0, 9) AS r;
INSERT INTO sales_target_month (target_id, month, amount)
SELECT t.id, m, 100000 FROM sales_target AS t, generate_series(1, 12) AS m;
"""

ORDERS_PLAN_SQL = """
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT department_id, owner_id, month, confirmed_base, collected_base FROM sales_month_total
WHERE month >= '{year}-01-01' AND month < '{next}-01-01'
  AND owner_id IN ({owners}) AND department_id IN ('bench')
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000,
                        help="orders seeded (default 1000000); payments are half as many")
    add_report_arguments(parser, benchmark="plans", requests=200, warmup=20)
    args = parser.parse_args()
    check_report_arguments(parser, args, {"--orders": 10_000})
    return args


def run(args: argparse.Namespace) -> None:
    name = args.db_name
    year = date.today().year
    with report_database("plans", args) as (env, tmp):
        print(f"  seeding {args.orders} orders, {args.orders // 2} payments ...", flush=True)
        departments = ", ".join(f"'{d}'" for d in DEPARTMENTS)
        psql(SEED_SQL.format(departments=departments, orders=args.orders,
                             payments=args.orders // 2, year=year), database=name)
        # The rows went in beside the commands: their monthly totals as the migration fills them.
        psql(backfill_sql("postgresql"), database=name)
        psql("VACUUM ANALYZE", database=name)
        owners = ", ".join(f"'rep.bench.{r}'" for r in range(10))
        orders_plan = psql(ORDERS_PLAN_SQL.format(year=year, next=year + 1, owners=owners),
                           database=name)

        with running_server(env, tmp / "server.log") as server:
            gm, head, rep = (mint_token(env, **who) for who in (GM, HEAD, REP))
            path = "/api/v1/reports/plan-progress"
            params = {"period": str(year)}
            common = {"requests": args.requests, "warmup": args.warmup}
            with httpx.Client(timeout=60) as client:
                timings = measure_figures([
                    Figure("department", f"< {TARGETS_MS['department']} ms", path, params, head),
                    Figure("rep", f"< {TARGETS_MS['rep']} ms", path, params, rep),
                    Figure("company", f"< {TARGETS_MS['company']} ms", path, params, gm),
                ], server, client, **common)
    print()
    print(f"Results: {args.orders} orders and {args.orders // 2} payments over 400 days; "
          f"{args.requests} requests per figure, one at a time, after {args.warmup} "
          "warm-up requests; server time from the access log; 1 uvicorn worker")
    print()
    print_timings(timings, width=12)
    print()
    print_plan("One department's monthly totals of the year, as PostgreSQL runs it:",
               orders_plan)
    print_targets(p95_checks(timings, TARGETS_MS))


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
