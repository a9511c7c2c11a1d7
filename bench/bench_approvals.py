#!/usr/bin/env python3
"""Approval decisions per second over HTTP, measured with wrk.

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_approvals.py [--requests 4000] [--connections 32] [--threads 2]

It creates a throwaway PostgreSQL database, migrates it and starts the API with one uvicorn
worker. Through the API it then creates a department, a product, a customer and
`--requests` + `--warmup` contracts of 1000.00, and submits each: every contract gets an
approval request with the chain finance ∥ legal → dept_head. Then each approver in turn
approves every request once, with POST /api/v1/approvals/{id}/approve and body {}
(bench/wrk/approve.lua):

  1. finance: the first of the two parallel review steps (the stage stays open)
  2. legal:   the second one; it completes the review stage and activates dept_head
  3. head:    (with --approvers finance,legal,head) the last step; the request and the
              contract become approved

Each load is a fixed list of decisions, one per request, and is timed from wrk's start to
the last response. It prints decisions/s, latency percentiles, errors and the worker's
resident memory, beside the target. The database is dropped at the end, also on failure or
Ctrl-C (unless --keep-db). It is a measurement, not a test: the exit status is 0 whatever
the figures (1 only if the benchmark could not run, 130 on Ctrl-C).

Only the standard library, httpx and bench/_common.py; `wrk` and `psql` must be on PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

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
    print_failures_note,
    print_load_errors,
    print_load_table,
    print_server_log,
    print_targets,
    psql,
    running_server,
    server_env,
)

APPROVE_SCRIPT = WRK_SCRIPTS / "approve.lua"

# In the order the chain needs them: finance and legal review in parallel (stage 1), then
# the department head decides (stage 2, the tier for totals up to 100 000).
APPROVERS = {
    "finance": {"sub": "fin.bench", "roles": "finance"},
    "legal": {"sub": "legal.bench", "roles": "legal"},
    "head": {"sub": "head.bench", "roles": "dept_head", "dept": DEPARTMENT["id"]},
}
WHAT_IT_DOES = {
    "finance": "1st of 2 parallel review steps",
    "legal": "2nd review step: stage done, dept_head step activated",
    "head": "last step: request and contract approved",
}
EXPECTED_CHAIN = [["finance", "legal"], ["dept_head"]]

PRODUCT = {"sku": "B-1", "name": "Pump", "list_price": "1000.00", "floor_price": "800.00"}
CUSTOMER = {"name": "Bench customer", "contacts": [{"name": "Li", "phone": "+86 21 5555 0000"}],
            "address": "Shanghai"}
CONTRACT_TOTAL = "1000.00"

TARGET_DECISIONS_PER_S = 200
TARGET_MEMORY_MIB = 150  # the customer benchmark's worker target, shown for reference

SETUP_CONCURRENCY = 16
# A load slower than this many decisions/s is cut off (see _common.run_each_once).
MIN_RATE = 25


# --- Setup through the API ----------------------------------------------------------

def contract_body(customer_id: int, product_id: int) -> dict:
    """One line, tax rate 0, so the total including tax is exactly CONTRACT_TOTAL (as
    tests/factories/contracts.py)."""
    return {
        "customer_id": customer_id, "title": "水泵采购合同",
        "lines": [{"product_id": product_id, "quantity": "1", "unit_price": CONTRACT_TOTAL,
                   "tax_rate": "0"}],
        "payment_schedule": [{"kind": "on_delivery", "percent": "100"}],
        "major_interest": False,
    }


def expect(response: httpx.Response, status: int, what: str) -> dict:
    if response.status_code != status:
        raise BenchError(f"{what}: {response.status_code} {response.text[:500]}")
    return response.json()


async def submitted_requests(base_url: str, *, admin_token: str, rep_token: str,
                             count: int) -> list[int]:
    """Create the master data, then `count` contracts, submitted; returns their approval
    request ids."""
    admin = {"Authorization": f"Bearer {admin_token}"}
    rep = {"Authorization": f"Bearer {rep_token}"}
    limits = httpx.Limits(max_connections=SETUP_CONCURRENCY,
                          max_keepalive_connections=SETUP_CONCURRENCY)
    async with httpx.AsyncClient(base_url=f"{base_url}/api/v1", limits=limits,
                                 timeout=30) as client:
        expect(await client.post("/departments", json=DEPARTMENT, headers=admin), 201,
               "creating the department")
        product = expect(await client.post("/products", json=PRODUCT, headers=admin), 201,
                         "creating the product")
        customer = expect(await client.post("/customers", json=CUSTOMER, headers=rep), 201,
                          "creating the customer")
        body = contract_body(customer["id"], product["id"])

        async def one() -> int:
            contract = expect(await client.post("/contracts", json=body, headers=rep), 201,
                              "creating a contract")
            submitted = expect(await client.post(f"/contracts/{contract['id']}/submit",
                                                 headers=rep), 200, "submitting a contract")
            return submitted["approval"]["id"]

        first = expect(await client.post("/contracts", json=body, headers=rep), 201,
                       "creating a contract")
        submitted = expect(await client.post(f"/contracts/{first['id']}/submit", headers=rep),
                           200, "submitting a contract")
        chain = [[step["role"] for step in stage["steps"]]
                 for stage in submitted["approval"]["stages"]]
        if chain != EXPECTED_CHAIN:
            raise BenchError(f"the approval chain is {chain}, not {EXPECTED_CHAIN}: has the "
                             "policy changed?")
        ids = [submitted["approval"]["id"]]

        started, reported = time.monotonic(), time.monotonic()
        queue = iter(range(count - 1))

        async def worker() -> None:
            nonlocal reported
            for _ in queue:
                ids.append(await one())
                if time.monotonic() - reported >= 10:
                    reported = time.monotonic()
                    print(f"    {len(ids)}/{count} ...", flush=True)

        await asyncio.gather(*(worker() for _ in range(SETUP_CONCURRENCY)))
        elapsed = time.monotonic() - started
        print(f"    {count} contracts created and submitted in {elapsed:.0f} s "
              f"({count / elapsed:.0f}/s)", flush=True)
    return ids


# --- Loads ---------------------------------------------------------------------------

def decisions_in_database(database: str) -> str:
    """What the database holds after the loads: decisions per approver, requests by
    status and stage."""
    decisions = psql("SELECT actor_id || ' ' || count(*) FROM approval_decision "
                     "GROUP BY actor_id ORDER BY min(id)", database=database)
    requests = psql("SELECT status || ' at stage ' || current_stage || ': ' || count(*) "
                    "FROM approval_request GROUP BY status, current_stage "
                    "ORDER BY status, current_stage", database=database)
    return (f"decisions by approver: {', '.join(decisions.splitlines()) or 'none'}; "
            f"requests: {', '.join(requests.splitlines())}")


# --- Report --------------------------------------------------------------------------

def print_report(loads: list[LoadResult], args: argparse.Namespace, server: ApiServer,
                 database: str) -> None:
    print()
    print(f"Results: {args.threads} wrk threads, {args.connections} connections, "
          f"{args.requests} decisions per load after {args.warmup} warm-up decisions; "
          f"1 uvicorn worker, SALESFLOW_LOG_LEVEL={args.log_level}")
    print()
    print_load_table(loads, rate="dec/s", count="decisions")
    print()
    for load in loads:
        w = load.wrk
        print(f"  {load.name}: {WHAT_IT_DOES[load.name]}; {w.ok} of {args.requests} "
              f"answered 200 in {w.duration_s:.1f} s")
        unanswered = w.extra.get("items", args.requests) - w.extra.get("answered", w.requests)
        if unanswered:
            print(f"    {unanswered} decisions were never answered (socket errors?); wrk was "
                  "cut off at its time limit, so the rate above is too low")
    print()
    print_load_errors(loads)
    print()
    print(f"  database: {decisions_in_database(database)}")

    peak_memory = max(load.rss_peak_mib for load in loads)
    checks = [(f"{load.name} >= {TARGET_DECISIONS_PER_S} dec/s", f"{load.wrk.rps:.1f} dec/s",
               load.wrk.rps >= TARGET_DECISIONS_PER_S) for load in loads]
    checks.append((f"worker memory < {TARGET_MEMORY_MIB} MiB", f"peak {peak_memory:.1f} MiB",
                   peak_memory < TARGET_MEMORY_MIB))
    print_targets(checks)
    print_failures_note(loads, unit="decisions")
    print_server_log(server, verbose=args.verbose)


# --- Main ----------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", "--contracts", type=int, default=4000,
                        help="approval requests (contracts) decided in each measured load "
                             "(default 4000)")
    parser.add_argument("--warmup", type=int, default=300,
                        help="further requests decided before each load, not measured "
                             "(default 300; 0 turns it off)")
    parser.add_argument("--approvers", default="finance,legal",
                        help="the loads, in chain order: finance, finance,legal or "
                             "finance,legal,head (default finance,legal)")
    parser.add_argument("--setup-workers", type=int, default=2,
                        help="uvicorn workers of the server that creates the contracts; "
                             "the loads then run against a new server with one worker "
                             "(default 2)")
    add_common_arguments(parser)
    args = parser.parse_args()
    check_common_arguments(parser, args)
    if args.setup_workers < 1:
        parser.error("--setup-workers must be at least 1")
    if args.requests < args.threads:
        parser.error("--requests must be at least --threads")
    if args.warmup and args.warmup < args.threads:
        parser.error("--warmup must be 0 or at least --threads")
    args.approvers = [name.strip() for name in args.approvers.split(",") if name.strip()]
    if not args.approvers or args.approvers != list(APPROVERS)[:len(args.approvers)]:
        parser.error("--approvers must be finance, finance,legal or finance,legal,head "
                     "(each step needs the ones before it)")
    return args


def run(args: argparse.Namespace) -> None:
    env = server_env(args.log_level)
    name = f"salesflow_bench_{os.getpid()}"
    with benchmark_database("approval", env, name=name, keep=args.keep_db) as tmp:
        total = args.warmup + args.requests
        with running_server(env, tmp / "setup-server.log", workers=args.setup_workers,
                            announce=False) as setup_server:
            print(f"  setup: {total} contracts through the API ({args.setup_workers} "
                  f"uvicorn workers) ...", flush=True)
            ids = asyncio.run(submitted_requests(
                setup_server.base_url, admin_token=mint_token(env, **ADMIN),
                rep_token=mint_token(env, **REP), count=total))
        # Every approver decides the same requests, each once: its step of each.
        warmup, measured = item_lists(tmp, "approve", ids, args.warmup)

        with running_server(env, tmp / "server.log") as server:
            loads = [measure_each_once(
                WrkLoad(approver, server.base_url, APPROVE_SCRIPT,
                        mint_token(env, **APPROVERS[approver]), args.threads,
                        args.connections),
                server, warmup=warmup, measured=measured, unit="decisions",
                min_rate=MIN_RATE, verbose=args.verbose) for approver in args.approvers]
            print_report(loads, args, server, name)


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
