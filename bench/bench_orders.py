#!/usr/bin/env python3
"""Order submission with its credit check, against a plain order create, measured with wrk.

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_orders.py [--requests 3000] [--history 10000]

It creates a throwaway PostgreSQL database, migrates it and starts the API. Through the API
(a setup server with two uvicorn workers) it creates a department, a product and a
customer, has finance give the customer a credit limit, and has a contract of 10,000,000
units at 1.00 approved (finance ∥ legal → GM) and signed. With SQL it then gives the
customer a history: `--history` confirmed orders (half of each already invoiced) and open
receivables standing for as many invoices, with the customer's running exposure set to
match, as the commands would have left it. On a new server with one uvicorn worker it runs
two loads, each a fixed list of requests after an unmeasured warm-up:

  1. create: POST /api/v1/orders, a call-off of one unit of the contract, as the rep
             (bench/wrk/create_order.lua): the plain create
  2. submit: POST /api/v1/orders/{id}/submit for each order the create load made
             (bench/wrk/submit_order.lua): the credit check under the lock of the
             customer's credit row, the reservation, and the review request
             (finance ∥ logistics) with its events

It prints requests/s, latency percentiles, errors and the server's CPU per request for
both, the submission's rate as a share of the create's, and a check of the database: the
orders by status, and the customer's running counters against a fresh aggregate over its
orders. The database is dropped at the end, also on failure or Ctrl-C (unless --keep-db).
It is a measurement, not a test: the exit status is 0 whatever the figures (1 only if the
benchmark could not run, 130 on Ctrl-C).

Only the standard library, httpx and bench/_common.py; `wrk` and `psql` must be on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import httpx
from _common import (
    ADMIN,
    DEPARTMENT,
    REP,
    WRK_SCRIPTS,
    ApiServer,
    BenchError,
    LoadResult,
    WrkLoad,
    add_common_arguments,
    benchmark_database,
    check_common_arguments,
    item_lists,
    main,
    measure_each_once,
    mint_token,
    print_load_errors,
    print_load_table,
    print_server_log,
    psql,
    running_server,
    server_env,
)

CREATE_SCRIPT = WRK_SCRIPTS / "create_order.lua"
SUBMIT_SCRIPT = WRK_SCRIPTS / "submit_order.lua"

DECIDERS = {
    "finance": {"sub": "fin.bench", "roles": "finance"},
    "legal": {"sub": "legal.bench", "roles": "legal"},
    "gm": {"sub": "gm.bench", "roles": "gm"},
}
PRODUCT = {"sku": "B-1", "name": "Pump", "list_price": "1.00", "floor_price": "0.50"}
CUSTOMER = {"name": "Bench customer", "contacts": [{"name": "Li", "phone": "+86 21 5555 0000"}],
            "address": "Shanghai"}
CONTRACT_UNITS = "10000000"
SIGN = {"signed_date": "2026-01-05", "signatories": [
    {"party": "customer", "name": "王总"}, {"party": "company", "name": "周总"}]}
# Every bench order passes the check: its cost is the same whichever way it goes.
CREDIT = {"credit_limit": "100000000000.00", "credit_rating": "B", "payment_terms_days": 30}
HISTORY_ORDER_TOTAL = 100  # CNY, each seeded confirmed order
HISTORY_RECEIVABLE = 75    # CNY, each open receivable the counter stands for

MIN_RATE = 20  # a load slower than this many requests/s is cut off (see wrk/once.lua)

HISTORY_SQL = """
INSERT INTO sales_order (number, currency, exchange_rate, subtotal, tax_total, total,
                         total_base, customer_id, department_id, owner_id, title,
                         payment_terms_days, prepayment_percent, status, credit_held,
                         invoiced_base, confirmed_at, created_by, version, created_at,
                         updated_at)
SELECT 'DD-H-' || g, 'CNY', 1, {total}, 0, {total}, {total}, {customer}, '{department}',
       'rep.bench', '历史订单 ' || g, 30, 0, 'confirmed', false, CASE WHEN g % 2 = 0 THEN {total} / 2 ELSE 0 END,
       now() - g * interval '1 hour', 'seed', 1, now() - g * interval '1 hour', now()
FROM generate_series(1, {history}) AS g;

INSERT INTO sales_order_line (order_id, line_no, product_id, description, quantity,
                              unit_price, discount_percent, tax_rate, net_amount, tax_amount,
                              total_amount, scheduled_quantity, shipped_quantity,
                              returned_quantity)
SELECT id, 1, {product}, 'Pump', {total}, 1, 0, 0, {total}, 0, {total}, 0, 0, 0
FROM sales_order WHERE created_by = 'seed';

-- What the commands would have left: the orders' uninvoiced rest, and the open receivables
-- (issue 15 brings their table; the check reads only this counter).
INSERT INTO customer_credit (customer_id, receivables_open, orders_uninvoiced,
                             orders_in_review, updated_at)
SELECT {customer}, {history} * {receivable}, coalesce(sum(total_base - invoiced_base), 0), 0,
       now()
FROM sales_order WHERE customer_id = {customer} AND status = 'confirmed'
ON CONFLICT (customer_id) DO UPDATE
SET receivables_open = excluded.receivables_open,
    orders_uninvoiced = excluded.orders_uninvoiced;

ANALYZE;
"""

COUNTERS_SQL = """
SELECT c.orders_in_review || ' ' || c.orders_uninvoiced || ' ' || c.receivables_open || ' '
       || (SELECT coalesce(sum(total_base), 0)::numeric(18, 2) FROM sales_order
           WHERE customer_id = c.customer_id AND status IN ('pending_review', 'credit_hold'))
       || ' ' ||
       (SELECT coalesce(sum(total_base - invoiced_base), 0)::numeric(18, 2) FROM sales_order
        WHERE customer_id = c.customer_id
          AND status IN ('confirmed', 'partially_delivered', 'delivered'))
FROM customer_credit AS c WHERE c.customer_id = {customer}
"""


def expect(response: httpx.Response, status: int, what: str) -> dict:
    if response.status_code != status:
        raise BenchError(f"{what}: {response.status_code} {response.text[:500]}")
    return response.json()


def setup(base_url: str, env: dict[str, str]) -> dict:
    """Master data, the customer's credit terms, and a signed contract to call off."""
    def headers(who: dict) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(env, **who)}"}

    admin, rep = headers(ADMIN), headers(REP)
    with httpx.Client(base_url=f"{base_url}/api/v1", timeout=30) as client:
        expect(client.post("/departments", json=DEPARTMENT, headers=admin), 201,
               "creating the department")
        product = expect(client.post("/products", json=PRODUCT, headers=admin), 201,
                         "creating the product")
        customer = expect(client.post("/customers", json=CUSTOMER, headers=rep), 201,
                          "creating the customer")
        expect(client.patch(f"/customers/{customer['id']}", json=CREDIT,
                            headers=headers(DECIDERS["gm"])), 200, "setting credit terms")
        contract = expect(client.post("/contracts", headers=rep, json={
            "customer_id": customer["id"], "title": "年度框架合同",
            "lines": [{"product_id": product["id"], "quantity": CONTRACT_UNITS,
                       "unit_price": "1.00", "tax_rate": "0"}],
            "payment_schedule": [{"kind": "on_delivery", "percent": "100"}]}), 201,
            "creating the contract")
        url = f"/contracts/{contract['id']}"
        request = expect(client.post(f"{url}/submit", headers=rep), 200,
                         "submitting the contract")["approval"]["id"]
        for who in DECIDERS.values():
            expect(client.post(f"/approvals/{request}/approve", json={}, headers=headers(who)),
                   200, f"approving the contract as {who['roles']}")
        signed = expect(client.post(f"{url}/sign", json=SIGN, headers=rep), 200,
                        "signing the contract")
    return {"customer_id": customer["id"], "product_id": product["id"],
            "contract_id": signed["id"], "line_id": signed["lines"][0]["id"]}


def load(name: str, server: ApiServer, script: Path, items: tuple[Path, Path], *,
         token: str, args: argparse.Namespace) -> LoadResult:
    """One request per item: the warm-up's items, then the measured ones."""
    warmup, measured = items
    return measure_each_once(
        WrkLoad(name, server.base_url, script, token, args.threads, args.connections),
        server, warmup=warmup, measured=measured, unit="requests", min_rate=MIN_RATE,
        verbose=args.verbose)


def print_report(loads: list[LoadResult], args: argparse.Namespace, server: ApiServer,
                 database: str, customer_id: int) -> None:
    print()
    print(f"Results: {args.threads} wrk threads, {args.connections} connections, "
          f"{args.requests} requests per load after {args.warmup} warm-up requests; the "
          f"customer has {args.history} confirmed orders and {args.history} open receivables "
          f"besides the bench's; 1 uvicorn worker, SALESFLOW_LOG_LEVEL={args.log_level}")
    print()
    print_load_table(loads)
    print()
    print_load_errors(loads)
    create, submit = (next(x for x in loads if x.name == name) for name in ("create", "submit"))
    cpu = [x.server_cpu_s / x.wrk.requests * 1000 if x.wrk.requests else 0.0
           for x in (create, submit)]
    print()
    print(f"  submit with its credit check: {submit.wrk.rps / create.wrk.rps * 100:.0f} % of "
          f"the create's rate, {cpu[1]:.2f} ms of server CPU per request against "
          f"{cpu[0]:.2f} ms")
    statuses = psql("SELECT status || ' ' || count(*) FROM sales_order GROUP BY status "
                    "ORDER BY status", database=database)
    print(f"  database: orders {', '.join(statuses.splitlines())}")
    counters = psql(COUNTERS_SQL.format(customer=customer_id), database=database).split()
    in_review, uninvoiced, receivables, fresh_review, fresh_uninvoiced = counters
    agree = (in_review, uninvoiced) == (fresh_review, fresh_uninvoiced)
    print(f"  customer's counters: in review {in_review}, uninvoiced {uninvoiced}, "
          f"receivables {receivables}; a fresh aggregate over its orders: in review "
          f"{fresh_review}, uninvoiced {fresh_uninvoiced} ({'agree' if agree else 'DIFFER'})")
    print_server_log(server, verbose=args.verbose)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000,
                        help="orders created, then submitted, in each measured load "
                             "(default 3000)")
    parser.add_argument("--warmup", type=int, default=300,
                        help="further orders created and submitted before each load, not "
                             "measured (default 300; 0 turns it off)")
    parser.add_argument("--history", type=int, default=10_000,
                        help="confirmed orders (and open receivables) the customer has "
                             "before the loads (default 10000)")
    add_common_arguments(parser)
    # Every request of a load takes the same row lock (the contract's for a call-off, the
    # customer's credit row for a submission), so they run one after the other whatever
    # the connections: more only queue longer, and past wrk's 10 s timeout.
    parser.set_defaults(connections=8)
    args = parser.parse_args()
    check_common_arguments(parser, args)
    if args.requests < args.threads or (args.warmup and args.warmup < args.threads):
        parser.error("--requests (and --warmup unless 0) must be at least --threads")
    if args.history < 0:
        parser.error("--history must not be negative")
    return args


def run(args: argparse.Namespace) -> None:
    env = server_env(args.log_level)
    name = f"salesflow_bench_orders_{os.getpid()}"
    with benchmark_database("order", env, name=name, keep=args.keep_db) as work:
        with running_server(env, work / "setup-server.log", workers=2,
                            announce=False) as setup_server:
            print("  setup: master data, credit terms and a signed contract through the "
                  "API ...", flush=True)
            made = setup(setup_server.base_url, env)
        print(f"  seeding {args.history} confirmed orders and the customer's exposure ...",
              flush=True)
        psql(HISTORY_SQL.format(total=HISTORY_ORDER_TOTAL, receivable=HISTORY_RECEIVABLE,
                                customer=made["customer_id"], product=made["product_id"],
                                department=DEPARTMENT["id"], history=args.history),
             database=name)

        # The create script sends the same body for every line: the lines only count.
        creates = item_lists(work, "create", range(args.warmup + args.requests), args.warmup)
        os.environ["BENCH_ORDER_BODY"] = json.dumps({
            "contract_id": made["contract_id"],
            "lines": [{"contract_line_id": made["line_id"], "quantity": "1"}]})
        rep_token = mint_token(env, **REP)
        with running_server(env, work / "server.log") as server:
            created = load("create", server, CREATE_SCRIPT, creates, token=rep_token,
                           args=args)
            drafts = psql("SELECT id FROM sales_order WHERE status = 'draft' ORDER BY id",
                          database=name).split()
            if len(drafts) <= args.warmup:
                print_load_errors([created])
                raise BenchError(f"only {len(drafts)} draft orders after the create load")
            submits = item_lists(work, "submit", drafts, args.warmup)
            submitted = load("submit", server, SUBMIT_SCRIPT, submits, token=rep_token,
                             args=args)
            print_report([created, submitted], args, server, name, made["customer_id"])


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
