#!/usr/bin/env python3
"""The receivables reports and list over 1,000,000 receivables: aging for one department,
the collection schedule's first page and a page at depth ~500,000 of it, a filtered page of
the list, and the list's first page and a page at depth 500,000.

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_receivables.py [--receivables 1000000] [--requests 200]

It creates a throwaway PostgreSQL database, migrates it and seeds it in bulk with SQL
(INSERT ... SELECT over generate_series, which PostgreSQL runs as one statement per
table): five departments of ten reps, 10,000 customers, `--receivables` receivables
issued over the last 400 days and due 30 days after their invoice (`--open-percent`, 70
by default, still open or partly paid, the rest paid), and a dunning entry on every fifth
open one; then VACUUM ANALYZE, as autovacuum would have run on a table in service. 70 %
open is a company with a collection problem on purpose: the collection schedule needs
more than 500,000 open overdue items for a page at that depth to exist.

It starts the API with one uvicorn worker, its access log on (INFO), and sends each
request `--requests` times one at a time after a warm-up, so each figure is the request's
own; the figures take turns (one request of each, round after round), so a busy moment of
the machine weighs on all of them alike. The times are the server's: `duration_ms` of the access log line of each request
(matched by its X-Request-Id), from the request reaching the app to the last byte of the
response, without the client and the socket. It prints p50/p95 beside the targets:

  aging     GET /reports/receivables-aging?department_id=bench&group_by=owner, as the
            department's head: < 50 ms
  page 1    GET /reports/collection-schedule?limit=50, as the GM: < 50 ms
  page 1 of one rep  the same with ?owner_id=, as that rep: < 50 ms
  deep      the same as page 1 with the cursor of the 500,000th item: within 1.2x of
            page 1
  list filtered  GET /receivables?department_id=bench&status=open&overdue=true&limit=50,
            as the department's head: < 50 ms
  list page 1    GET /receivables?status=open&limit=50, as the GM: < 50 ms
  list deep      the same with the cursor of the 500,000th open receivable: within 1.2x
            of list page 1

and the plans PostgreSQL chooses for the deep page, the aging query (over the rollup of
open balances, seeded as the commands would have kept it) and the filtered list. The database is
dropped at the end, also on failure or Ctrl-C (unless --keep-db). A measurement, not a
test: the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

import httpx
from _common import (
    Figure,
    Timing,
    add_report_arguments,
    check_report_arguments,
    cursor_of,
    main,
    measure_figures,
    mint_token,
    p95_checks,
    print_plan,
    print_targets,
    print_timings,
    psql,
    ratio_check,
    report_database,
    running_server,
)

TARGET_MS = 50
DEEP_RATIO = 1.2
DEPTH = 500_000
DEPARTMENTS = ["bench", "bench2", "bench3", "bench4", "bench5"]
GM = {"sub": "gm.bench", "roles": "gm"}
HEAD = {"sub": "head.bench", "roles": "dept_head", "dept": "bench"}
REP = {"sub": "rep.bench.3", "roles": "sales_rep", "dept": "bench"}
OPEN = "status IN ('open', 'partially_paid')"

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

-- Receivable g: customer 1 + g mod 10000 (its department and rep), invoiced (g mod 400)
-- days ago, due 30 days later; g / 7 mod 100 (independent of the department) below
-- {open_percent} still owed (one in seven of those partly paid), else paid.
INSERT INTO receivable (number, source, customer_id, department_id, owner_id, currency,
                        exchange_rate, amount, amount_base, balance, balance_base, credited,
                        invoice_number, invoice_date, payment_terms_days, due_date, status,
                        created_by, version, created_at, updated_at)
SELECT 'YS-B-' || g, 'delivery', c.id, c.department_id, c.owner_id, 'CNY', 1,
       amount, amount, balance, balance, 0, 'FP' || g, invoiced, 30, invoiced + 30,
       (CASE WHEN g / 7 % 100 >= {open_percent} THEN 'paid'
             WHEN g / 7 % 100 % 7 = 0 THEN 'partially_paid' ELSE 'open' END)::receivablestatus, 'seed', 1, now(), now()
FROM generate_series(1, {receivables}) AS g
JOIN customer AS c ON c.id = 1 + g % 10000,
     LATERAL (SELECT 1000 + (g % 997) * 10 AS amount, current_date - (g % 400) AS invoiced)
     AS a,
     LATERAL (SELECT CASE WHEN g / 7 % 100 >= {open_percent} THEN 0
                          WHEN g / 7 % 100 % 7 = 0 THEN amount / 2
                          ELSE amount END AS balance) AS b;

-- What the receivables commands would have kept in the rollup aging reads.
INSERT INTO receivable_open_balance (department_id, owner_id, due_date, receivables,
                                     balance_base)
SELECT department_id, owner_id, due_date, count(*), sum(balance_base)
FROM receivable WHERE {open} GROUP BY department_id, owner_id, due_date;

INSERT INTO dunning_entry (receivable_id, action, days_overdue, recorded_by, created_at)
SELECT id, (ARRAY['reminder_letter', 'visit', 'legal'])[1 + id % 3]::dunningaction,
       GREATEST(current_date - due_date, 1), owner_id, now()
FROM receivable WHERE {open} AND id % 5 = 0 AND due_date < current_date;
"""

DEEP_CURSOR_SQL = """
SELECT owner_id, due_date, id FROM receivable
WHERE {open} AND due_date <= current_date
ORDER BY owner_id, due_date, id OFFSET {offset} LIMIT 1
"""

SCHEDULE_PLAN_SQL = """
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT receivable.*, customer.name FROM receivable JOIN customer ON customer.id =
receivable.customer_id
WHERE receivable.{open} AND receivable.due_date <= current_date
  AND (receivable.owner_id, receivable.due_date, receivable.id) > ('{owner}', '{due}', {id})
ORDER BY receivable.owner_id, receivable.due_date, receivable.id LIMIT 51
"""

AGING_PLAN_SQL = """
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT owner_id, due_date, sum(receivables), sum(balance_base) FROM receivable_open_balance
WHERE department_id = 'bench' GROUP BY owner_id, due_date
"""

# The list's own order (newest first) among the open receivables: the id of the
# 500,000th, whose cursor starts the deep page.
# The list's default order is newest first (`-created_at`, then id): its cursor names that
# sort beside the row's created_at and id (app/core/pagination.py).
LIST_SORT = "-created_at"
DEEP_LIST_SQL = """
SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') || '|' || id
FROM receivable WHERE status = 'open' ORDER BY created_at DESC, id DESC OFFSET {offset} LIMIT 1
"""

DEEP_LIST_PLAN_SQL = """
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)
SELECT * FROM receivable WHERE status = 'open' AND (created_at, id) < ('{at}', {id})
ORDER BY created_at DESC, id DESC LIMIT 51
"""

LIST_PLAN_SQL = """
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
SELECT * FROM receivable
WHERE department_id = 'bench' AND status = 'open'
  AND status IN ('open', 'partially_paid', 'pending_write_off') AND due_date < current_date
ORDER BY created_at DESC, id DESC LIMIT 51
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--receivables", type=int, default=1_000_000,
                        help="receivables seeded (default 1000000)")
    parser.add_argument("--open-percent", type=int, default=70,
                        help="share of the receivables still owed (default 70: enough "
                             "open overdue items for a page at depth 500,000)")
    add_report_arguments(parser, benchmark="receivables", requests=200, warmup=20)
    args = parser.parse_args()
    check_report_arguments(parser, args, {"--receivables": 10_000})
    if not 1 <= args.open_percent <= 100:
        parser.error("--open-percent from 1 to 100")
    return args


def run(args: argparse.Namespace) -> None:
    name = args.db_name
    with report_database("receivables", args) as (env, tmp):
        print(f"  seeding {args.receivables} receivables ...", flush=True)
        departments = ", ".join(f"'{d}'" for d in DEPARTMENTS)
        psql(SEED_SQL.format(departments=departments, receivables=args.receivables,
                             open=OPEN, open_percent=args.open_percent), database=name)
        # What autovacuum does to a table in service: statistics, and the visibility map
        # that lets PostgreSQL answer from an index alone.
        psql("VACUUM ANALYZE", database=name)
        scheduled = int(psql(f"SELECT count(*) FROM receivable WHERE {OPEN} "
                             "AND due_date <= current_date", database=name))
        depth = min(DEPTH, scheduled - 100)
        owner, due, last_id = psql(DEEP_CURSOR_SQL.format(open=OPEN, offset=depth - 1),
                                   database=name).split("|")
        deep_cursor = cursor_of([owner, due, int(last_id)])
        schedule_plan = psql(SCHEDULE_PLAN_SQL.format(open=OPEN, owner=owner, due=due,
                                                      id=last_id), database=name)
        aging_plan = psql(AGING_PLAN_SQL, database=name)
        list_plan = psql(LIST_PLAN_SQL, database=name)
        open_count = int(psql("SELECT count(*) FROM receivable WHERE status = 'open'",
                              database=name))
        list_depth = min(DEPTH, open_count - 100)
        deep_at, deep_id = psql(DEEP_LIST_SQL.format(offset=list_depth - 1),
                                database=name).split("|")
        deep_list_cursor = cursor_of({"sort": LIST_SORT, "after": [deep_at, int(deep_id)]})
        list_plan += "\n(the deep page:)\n" + psql(
            DEEP_LIST_PLAN_SQL.format(at=deep_at, id=deep_id), database=name)

        with running_server(env, tmp / "server.log") as server:
            gm, head, rep = (mint_token(env, **who) for who in (GM, HEAD, REP))
            today = date.today().isoformat()
            schedule = "/api/v1/reports/collection-schedule"
            receivables = "/api/v1/receivables"
            common = {"requests": args.requests, "warmup": args.warmup}
            with httpx.Client(timeout=60) as client:
                timings = measure_figures([
                    Figure("aging", f"< {TARGET_MS} ms", "/api/v1/reports/receivables-aging",
                           {"department_id": "bench", "group_by": "owner", "as_of": today},
                           head),
                    Figure("page 1", f"< {TARGET_MS} ms", schedule,
                           {"date": today, "limit": 50}, gm),
                    Figure("rep page 1", f"< {TARGET_MS} ms", schedule,
                           {"date": today, "limit": 50, "owner_id": REP["sub"]}, rep),
                    Figure("deep", f"<= {DEEP_RATIO}x page 1", schedule,
                           {"date": today, "limit": 50, "cursor": deep_cursor}, gm),
                    Figure("list filtered", f"< {TARGET_MS} ms", receivables,
                           {"department_id": "bench", "status": "open", "overdue": "true",
                            "limit": 50}, head),
                    Figure("list page 1", f"< {TARGET_MS} ms", receivables,
                           {"status": "open", "limit": 50}, gm),
                    Figure("list deep", f"<= {DEEP_RATIO}x list page 1", receivables,
                           {"status": "open", "limit": 50, "cursor": deep_list_cursor}, gm),
                ], server, client, **common)
            print_report(timings, args, scheduled=scheduled, depth=depth,
                         list_depth=list_depth, schedule_plan=schedule_plan,
                         aging_plan=aging_plan, list_plan=list_plan)


def print_report(timings: list[Timing], args: argparse.Namespace, *, scheduled: int,
                 depth: int, list_depth: int, schedule_plan: str, aging_plan: str,
                 list_plan: str) -> None:
    print()
    print(f"Results: {args.receivables} receivables ({args.open_percent} % still owed), "
          f"{scheduled} open and due by today (the "
          f"GM's collection schedule); the deep page starts after item {depth}, the "
          f"list's after open receivable {list_depth}; "
          f"{args.requests} requests per figure, one at a time, after {args.warmup} "
          "warm-up requests; server time from the access log; 1 uvicorn worker")
    print()
    print_timings(timings, width=15)
    print()
    print_plan("The deep page, as PostgreSQL runs it:", schedule_plan)
    print_plan("Aging one department (the rollup), as PostgreSQL runs it:", aging_plan)
    print_plan("The filtered list's page, as PostgreSQL runs it:", list_plan)
    by_name = {timing.name: timing for timing in timings}
    checks = p95_checks((by_name[name] for name in ("aging", "page 1", "rep page 1",
                                                    "list filtered", "list page 1")),
                        TARGET_MS)
    for deep_name, first_name in (("deep", "page 1"), ("list deep", "list page 1")):
        checks.append(ratio_check(by_name[deep_name], by_name[first_name], DEEP_RATIO))
    print_targets(checks)


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
