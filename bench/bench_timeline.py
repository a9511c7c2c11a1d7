#!/usr/bin/env python3
"""The customer timeline (GET /customers/{id}/timeline) of a customer with ~50,000
documents: its first page, the same for its rep (each entry's visibility applied), and a
page deep in the list.

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_timeline.py [--documents 50000] [--requests 200]

It creates a throwaway PostgreSQL database, migrates it and seeds it in bulk with SQL
(INSERT ... SELECT over generate_series): one department, 1,000 customers, and for the
measured customer `--documents` documents spread evenly over the seven kinds (quotes,
contracts, orders, deliveries, receivables, payments, visits), one a minute back in time
with every other pair sharing its timestamp (ties across kinds and within one); the other
customers get as many again between them, so the indexes have something to skip. Then
VACUUM ANALYZE, as autovacuum would have run.

It starts the API with one uvicorn worker, its access log on (INFO), and sends each
request `--requests` times one at a time after a warm-up. The times are the server's
(`duration_ms` of the access log line of each request, matched by its X-Request-Id). It
prints p50/p95 of:

  page 1      ?limit=50, as the GM: < 50 ms
  rep page 1  ?limit=50, as the customer's rep (visibility on every source): < 50 ms
  deep        ?limit=50 with the cursor of the entry at 90 % depth: within 1.2x of page 1

A measurement, not a test: the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import sys

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
    print_targets,
    print_timings,
    psql,
    ratio_check,
    report_database,
    running_server,
)

TARGET_MS = 50
DEEP_RATIO = 1.2
KINDS = 7
GM = {"sub": "gm.bench", "roles": "gm"}
REP = {"sub": "rep.bench", "roles": "sales_rep", "dept": "bench"}

# Document g of a kind: customer 1 (the measured one) for g <= {per_kind}, else one of the
# others; created (g + kind offset) / 2 minutes ago, so pairs share a timestamp.
SEED_SQL = """
INSERT INTO department (id, name, active, version, created_at, updated_at)
VALUES ('bench', 'bench dept', true, 1, now(), now());

INSERT INTO customer (name, contacts, owner_id, department_id, credit_rating, credit_limit,
                      payment_terms_days, is_key_customer, version, created_at, updated_at)
SELECT '客户' || c, '[]', CASE WHEN c = 1 THEN 'rep.bench' ELSE 'rep.other' END, 'bench',
       'C', 0, 30, false, 1, now(), now()
FROM generate_series(1, 1000) AS c;

CREATE TEMP TABLE seed AS
SELECT g, CASE WHEN g <= {per_kind} THEN 1 ELSE 2 + g % 999 END AS customer_id,
       CASE WHEN g <= {per_kind} THEN 'rep.bench' ELSE 'rep.other' END AS owner_id
FROM generate_series(1, 2 * {per_kind}) AS g;

INSERT INTO quote (number, customer_id, customer_name, department_id, owner_id, title,
                   currency, exchange_rate, subtotal, tax_total, total, total_base,
                   max_discount_percent, below_floor, valid_until, status, revision,
                   created_by, version, created_at, updated_at)
SELECT 'BJ-B-' || g, customer_id, '客户' || customer_id, 'bench', owner_id, '报价 ' || g,
       'CNY', 1, 100, 13, 113, 113, 0, false, current_date + 30, 'sent', 1, owner_id, 1,
       now() - ((g * 7 + 0) / 2) * interval '1 minute', now()
FROM seed;

INSERT INTO contract (number, customer_id, customer_name, department_id, owner_id, title,
                      currency, exchange_rate, subtotal, tax_total, total, total_base,
                      major_interest, payment_schedule, status, revision, signatories,
                      created_by, version, created_at, updated_at)
SELECT 'HT-B-' || g, customer_id, '客户' || customer_id, 'bench', owner_id, '合同 ' || g,
       'CNY', 1, 1000, 130, 1130, 1130, false, '[]', 'signed', 1, '[]', owner_id, 1,
       now() - ((g * 7 + 1) / 2) * interval '1 minute', now()
FROM seed;

INSERT INTO sales_order (number, customer_id, department_id, owner_id, title, currency,
                         exchange_rate, subtotal, tax_total, total, total_base,
                         payment_terms_days, prepayment_percent, status, credit_held,
                         invoiced_base, created_by, version, created_at, updated_at)
SELECT 'DD-B-' || g, customer_id, 'bench', owner_id, '订单 ' || g, 'CNY', 1, 1000, 130,
       1130, 1130, 30, 0, 'confirmed', false, 0, owner_id, 1,
       now() - ((g * 7 + 2) / 2) * interval '1 minute', now()
FROM seed;

INSERT INTO delivery (number, order_id, customer_id, department_id, owner_id, status,
                      currency, shipped_total, shipped_total_base, carrier,
                      tracking_number, created_by, version, created_at, updated_at)
SELECT 'FH-B-' || g, o.id, seed.customer_id, 'bench', seed.owner_id, 'shipped', 'CNY',
       1130, 1130, '顺丰速运', 'SF' || g, seed.owner_id, 1,
       now() - ((g * 7 + 3) / 2) * interval '1 minute', now()
FROM seed JOIN sales_order AS o ON o.number = 'DD-B-' || g;

INSERT INTO receivable (number, source, customer_id, department_id, owner_id, currency,
                        exchange_rate, amount, amount_base, balance, balance_base, credited,
                        invoice_number, invoice_date, payment_terms_days, due_date, status,
                        created_by, version, created_at, updated_at)
SELECT 'YS-B-' || g, 'delivery', customer_id, 'bench', owner_id, 'CNY', 1, 1130, 1130, 0, 0, 0,
       'FP' || g, current_date, 30, current_date + 30, 'paid', owner_id, 1,
       now() - ((g * 7 + 4) / 2) * interval '1 minute', now()
FROM seed;

INSERT INTO payment (number, customer_id, department_id, owner_id, external_reference,
                     method, currency, amount, amount_base, received_on, recorded_by,
                     created_at)
SELECT 'HK-B-' || g, customer_id, 'bench', owner_id, 'BANK-' || g, 'bank_transfer', 'CNY',
       1130, 1130, current_date, 'fin.bench',
       now() - ((g * 7 + 5) / 2) * interval '1 minute'
FROM seed;

INSERT INTO customer_visit (number, customer_id, department_id, owner_id, purpose,
                            planned_at, place, status, key_customer, created_by, version,
                            created_at, updated_at)
SELECT 'BF-B-' || g, customer_id, 'bench', owner_id, '回访 ' || g,
       now() - ((g * 7 + 6) / 2) * interval '1 minute', '客户工厂', 'reported', false,
       owner_id, 1, now(), now()
FROM seed;
"""

# The entry at a given depth of customer 1's timeline, in the API's order.
DEPTH_SQL = """
SET TIME ZONE 'UTC';
SELECT to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), kind, id FROM (
  SELECT created_at AS at, 'quote' AS kind, id FROM quote WHERE customer_id = 1
  UNION ALL SELECT created_at, 'contract', id FROM contract WHERE customer_id = 1
  UNION ALL SELECT created_at, 'order', id FROM sales_order WHERE customer_id = 1
  UNION ALL SELECT created_at, 'delivery', id FROM delivery WHERE customer_id = 1
  UNION ALL SELECT created_at, 'receivable', id FROM receivable WHERE customer_id = 1
  UNION ALL SELECT created_at, 'payment', id FROM payment WHERE customer_id = 1
  UNION ALL SELECT planned_at, 'visit', id FROM customer_visit WHERE customer_id = 1
) AS timeline ORDER BY at DESC, kind DESC, id DESC OFFSET {offset} LIMIT 1
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=50_000,
                        help="documents of the measured customer (default 50000)")
    add_report_arguments(parser, benchmark="timeline", requests=200, warmup=20)
    args = parser.parse_args()
    check_report_arguments(parser, args, {"--documents": 700})
    return args


def run(args: argparse.Namespace) -> None:
    name = args.db_name
    per_kind = args.documents // KINDS
    with report_database("timeline", args) as (env, tmp):
        print(f"  seeding {per_kind * KINDS} documents of the customer, as many of others ...",
              flush=True)
        psql(SEED_SQL.format(per_kind=per_kind), database=name)
        psql("VACUUM ANALYZE", database=name)
        depth = per_kind * KINDS * 9 // 10
        at, kind, entry_id = psql(DEPTH_SQL.format(offset=depth - 1),
                                  database=name).splitlines()[-1].split("|")
        deep_cursor = cursor_of([at, kind, int(entry_id)])

        with running_server(env, tmp / "server.log") as server:
            gm, rep = (mint_token(env, **who) for who in (GM, REP))
            path = "/api/v1/customers/1/timeline"
            common = {"requests": args.requests, "warmup": args.warmup}
            with httpx.Client(timeout=60) as client:
                timings = measure_figures([
                    Figure("page 1", f"< {TARGET_MS} ms", path, {"limit": 50}, gm),
                    Figure("rep page 1", f"< {TARGET_MS} ms", path, {"limit": 50}, rep),
                    Figure("deep", f"<= {DEEP_RATIO}x page 1", path,
                           {"limit": 50, "cursor": deep_cursor}, gm),
                ], server, client, **common)
            print_report(timings, args, documents=per_kind * KINDS, depth=depth)


def print_report(timings: list[Timing], args: argparse.Namespace, *, documents: int,
                 depth: int) -> None:
    print()
    print(f"Results: a customer with {documents} documents ({documents // KINDS} of each of "
          f"{KINDS} kinds) among {2 * documents} in all; the deep page starts after entry "
          f"{depth}; {args.requests} requests per figure, one at a time, after "
          f"{args.warmup} warm-up requests; server time from the access log; 1 uvicorn "
          "worker")
    print()
    print_timings(timings, width=12)
    by_name = {timing.name: timing for timing in timings}
    checks = p95_checks((by_name[name] for name in ("page 1", "rep page 1")), TARGET_MS)
    checks.append(ratio_check(by_name["deep"], by_name["page 1"], DEEP_RATIO))
    print_targets(checks)


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
