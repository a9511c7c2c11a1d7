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
server's access log (the same plumbing as bench_receivables.py). It prints p50/p95
beside the target (< 100 ms; the report sums two periods' rows of the monthly totals, a row
per rep and month, whatever the number of orders), and the plan PostgreSQL chooses for one
month of all departments. A measurement, not a test: the exit status is 0 whatever
the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from datetime import date
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import (
    ApiServer,
    check_tools,
    database_url,
    main,
    mint_token,
    print_targets,
    psql,
    salesflow,
    server_env,
    throwaway_database,
)
from bench_receivables import Figure, Timing, measure

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
    parser.add_argument("--requests", type=int, default=100,
                        help="measured requests per figure (default 100)")
    parser.add_argument("--warmup", type=int, default=10,
                        help="unmeasured requests before each figure (default 10)")
    parser.add_argument("--db-name", default=f"salesflow_bench_deviation_{os.getpid()}",
                        help="name of the throwaway database")
    parser.add_argument("--keep-db", action="store_true",
                        help="do not drop the benchmark database at the end")
    args = parser.parse_args()
    if args.orders < 10_000 or args.requests < 20 or args.warmup < 0:
        parser.error("--orders at least 10000, --requests at least 20")
    return args


def run(args: argparse.Namespace) -> None:
    check_tools(("psql",))
    env = server_env("INFO")
    env["PYTHONUNBUFFERED"] = "1"  # the access log reaches the file as each request ends
    name = args.db_name
    print(f"salesflow deviation benchmark: {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, PostgreSQL {psql('SHOW server_version')}")
    with (throwaway_database(name, keep=args.keep_db),
          tempfile.TemporaryDirectory(prefix="salesflow_bench_") as tmp):
        env["SALESFLOW_DATABASE_URL"] = database_url(name)
        print(f"  database {name}: migrating ...", flush=True)
        salesflow(env, "migrate")
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
        server = ApiServer(env, Path(tmp) / "server.log")
        try:
            server.start()
            print(f"  server pid {server.pid} ready at {server.base_url}", flush=True)
            gm, head = (mint_token(env, **who) for who in (GM, HEAD))
            path = "/api/v1/reports/deviation"
            common = {"requests": args.requests, "warmup": args.warmup}
            target = f"< {TARGET_MS} ms"
            with httpx.Client(timeout=60) as client:
                timings = measure([
                    Figure("month, all", target, path, {"period": month}, gm),
                    Figure("month, one", target, path, {"period": month}, head),
                    Figure("year, all", target, path, {"period": str(today.year - 1)}, gm),
                ], server, client, **common)
            print_report(timings, args, month=month, plan=plan)
        finally:
            server.stop()


def print_report(timings: list[Timing], args: argparse.Namespace, *, month: str,
                 plan: str) -> None:
    print()
    print(f"Results: {args.orders} orders over three years, five departments; the month "
          f"{month} against the year before; {args.requests} requests per figure, one at a "
          f"time, after {args.warmup} warm-up requests; server time from the access log; "
          "1 uvicorn worker")
    print()
    print(f"  {'figure':<14}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for timing in timings:
        print(f"  {timing.name:<14}{timing.p50:>9.1f}{timing.p95:>9.1f}"
              f"{max(timing.durations_ms):>9.1f}")
    print()
    print("One month of all departments, as PostgreSQL runs it:")
    for line in plan.splitlines():
        print(f"    {line}")
    print_targets([(f"{t.name} p95 < {TARGET_MS} ms", f"{t.p95:.1f} ms", t.p95 < TARGET_MS)
                   for t in timings])


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
