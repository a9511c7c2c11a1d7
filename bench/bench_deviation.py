#!/usr/bin/env python3
"""The deviation report (销售偏差) over 1,000,000 confirmed orders: a month and a year, for
every department (the GM) and for one (its head).

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_deviation.py [--orders 1000000] [--requests 100]

It creates a throwaway PostgreSQL database, migrates it and seeds it in bulk with SQL: five
departments with a growth target each for this year, 5,000 customers, and `--orders`
orders confirmed over the last three years (one in twenty cancelled since), and their
monthly totals (`sales_month_total`, as the migration fills them); then VACUUM ANALYZE.
Each request is sent `--requests` times one at a time after a warm-up, and timed by the
server's access log (the same plumbing as bench_receivables.py, in _common.py). It prints p50/p95
beside the target (< 100 ms; the report sums two periods' rows of the monthly totals, a row
per rep and month, whatever the number of orders), and the plan PostgreSQL chooses for one
month of all departments. A measurement, not a test: the exit status is 0 whatever
the figures.
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

from app.orders.month_totals import backfill_sql

TARGET_MS = 100
DEPARTMENTS = ["bench", "bench2", "bench3", "bench4", "bench5"]
GM = {"sub": "gm.bench", "roles": "gm"}
HEAD = {"sub": "head.bench", "roles": "dept_head", "dept": "bench"}

SEED_SQL = """
INSERT INTO department (id, name, active, version, created_at, updated_at)
SELECT d, d || ' dept', true, 1, now(), now() FROM unnest(ARRAY[{departments}]) AS d;

INSERT INTO growth_target (department_id, year, growth_rate, set_by, version, created_at,
                           updated_at)
SELECT d, extract(year FROM current_date)::int, 0.1, 'gm.bench', 1, now(), now()
FROM unnest(ARRAY[{departments}]) AS d;

INSERT INTO customer (name, contacts, owner_id, department_id, credit_rating, credit_limit,
                      payment_terms_days, is_key_customer, version, created_at, updated_at)
SELECT '客户' || c, '[]', 'rep.' || d || '.' || (c / 5 % 10), d, 'C', 0, 30, false, 1,
       now(), now()
FROM generate_series(1, 5000) AS c,
     LATERAL (SELECT (ARRAY[{departments}])[1 + c % 5] AS d) AS dept;

-- Order g: customer 1 + g mod 5000, confirmed (g mod 1095) days and (g mod 1440) minutes
-- before now; one in twenty cancelled since.
INSERT INTO sales_order (number, customer_id, department_id, owner_id, title,
                         payment_terms_days, prepayment_percent, status, credit_held,
                         invoiced_base, confirmed_at, created_by, version, created_at,
                         updated_at, currency, exchange_rate, subtotal, tax_total, total,
                         total_base)
SELECT 'DD-B-' || g, c.id, c.department_id, c.owner_id, '订单', 30, 0,
       (CASE WHEN g % 20 = 0 THEN 'cancelled' ELSE 'confirmed' END)::orderstatus, false, 0,
       now() - make_interval(days => g % 1095, mins => g % 1440), 'seed', 1, now(), now(),
       'CNY', 1, amount, 0, amount, amount
FROM generate_series(1, {orders}) AS g
JOIN customer AS c ON c.id = 1 + g % 5000,
     LATERAL (SELECT 1000 + (g % 997) * 10 AS amount) AS a;
"""

PLAN_SQL = """
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT department_id,
       sum(confirmed_base) FILTER (WHERE month >= '{start}' AND month < '{end}'),
       sum(confirmed_base) FILTER (WHERE month >= '{last_start}' AND month < '{last_end}')
FROM sales_month_total
WHERE (month >= '{start}' AND month < '{end}')
   OR (month >= '{last_start}' AND month < '{last_end}')
GROUP BY department_id
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000,
                        help="orders seeded (default 1000000)")
    add_report_arguments(parser, benchmark="deviation", requests=100, warmup=10)
    args = parser.parse_args()
    check_report_arguments(parser, args, {"--orders": 10_000})
    return args


def run(args: argparse.Namespace) -> None:
    name = args.db_name
    with report_database("deviation", args) as (env, tmp):
        print(f"  seeding {args.orders} orders ...", flush=True)
        departments = ", ".join(f"'{d}'" for d in DEPARTMENTS)
        psql(SEED_SQL.format(departments=departments, orders=args.orders), database=name)
        # The rows went in beside the commands: their monthly totals as the migration fills them.
        psql(backfill_sql("postgresql"), database=name)
        psql("VACUUM ANALYZE", database=name)
        today = date.today()
        month = f"{today.year - 1}-{today.month:02d}"
        start = date(today.year - 1, today.month, 1)
        end = date(today.year - 1 + today.month // 12, today.month % 12 + 1, 1)
        plan = psql(PLAN_SQL.format(start=start, end=end,
                                    last_start=start.replace(year=start.year - 1),
                                    last_end=end.replace(year=end.year - 1)), database=name)
        with running_server(env, tmp / "server.log") as server:
            gm, head = (mint_token(env, **who) for who in (GM, HEAD))
            path = "/api/v1/reports/deviation"
            common = {"requests": args.requests, "warmup": args.warmup}
            target = f"< {TARGET_MS} ms"
            with httpx.Client(timeout=60) as client:
                timings = measure_figures([
                    Figure("month, all", target, path, {"period": month}, gm),
                    Figure("month, one", target, path, {"period": month}, head),
                    Figure("year, all", target, path, {"period": str(today.year - 1)}, gm),
                ], server, client, **common)
            print_report(timings, args, month=month, plan=plan)


def print_report(timings: list[Timing], args: argparse.Namespace, *, month: str,
                 plan: str) -> None:
    print()
    print(f"Results: {args.orders} orders over three years, five departments; the month "
          f"{month} against the year before; {args.requests} requests per figure, one at a "
          f"time, after {args.warmup} warm-up requests; server time from the access log; "
          "1 uvicorn worker")
    print()
    print_timings(timings, width=14)
    print()
    print_plan("One month of all departments, as PostgreSQL runs it:", plan)
    print_targets(p95_checks(timings, TARGET_MS))


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
