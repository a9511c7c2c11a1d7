#!/usr/bin/env python3
"""Throughput, latency and memory of the customer endpoints, measured with wrk.

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_customers.py [--duration 20] [--connections 32] [--threads 2]

It creates a throwaway PostgreSQL database, migrates it, starts the API with one uvicorn
worker, creates a department and then runs two loads as a sales rep:

  1. create: POST /api/v1/customers         (bench/wrk/create_customer.lua)
  2. get:    GET  /api/v1/customers/{id}    (bench/wrk/get_customer.lua), over the ids
                                             created during load 1

and prints requests/s, latency percentiles, errors and the worker's resident memory, beside
the targets. The database is dropped at the end, also on failure or Ctrl-C (unless
--keep-db). It is a measurement, not a test: the exit status is 0 whatever the figures
(1 only if the benchmark could not run, 130 on Ctrl-C).

Only the standard library, httpx and bench/_common.py; `wrk` and `psql` must be on PATH.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

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
    add_timed_load_arguments,
    benchmark_database,
    check_common_arguments,
    main,
    measure_for,
    mint_token,
    print_failures_note,
    print_load_errors,
    print_load_table,
    print_server_log,
    print_targets,
    psql,
    running_server,
    server_env,
    warm_up_for,
)

CREATE_SCRIPT = WRK_SCRIPTS / "create_customer.lua"
GET_SCRIPT = WRK_SCRIPTS / "get_customer.lua"

TARGET_CREATE_RPS = 250
TARGET_GET_RPS = 400
TARGET_MEMORY_MIB = 150


# --- Report --------------------------------------------------------------------------

def print_report(loads: list[LoadResult], args: argparse.Namespace, server: ApiServer) -> None:
    print()
    print(f"Results: {args.threads} wrk threads, {args.connections} connections, "
          f"{args.duration:g} s per load after {args.warmup:g} s warm-up; "
          f"1 uvicorn worker, SALESFLOW_LOG_LEVEL={args.log_level}")
    print()
    print_load_table(loads)
    print()
    print_load_errors(loads)

    by_name = {load.name: load for load in loads}
    peak_memory = max(load.rss_peak_mib for load in loads)
    checks = []
    if "create" in by_name:
        rps = by_name["create"].wrk.rps
        checks.append((f"create >= {TARGET_CREATE_RPS} req/s", f"{rps:.1f} req/s",
                       rps >= TARGET_CREATE_RPS))
    if "get" in by_name:
        rps = by_name["get"].wrk.rps
        checks.append((f"get >= {TARGET_GET_RPS} req/s", f"{rps:.1f} req/s",
                       rps >= TARGET_GET_RPS))
    checks.append((f"worker memory < {TARGET_MEMORY_MIB} MiB", f"peak {peak_memory:.1f} MiB",
                   peak_memory < TARGET_MEMORY_MIB))
    print_targets(checks)
    print_failures_note(loads)
    print_server_log(server, verbose=args.verbose)


# --- Main ----------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_timed_load_arguments(parser)
    add_common_arguments(parser)
    args = parser.parse_args()
    check_common_arguments(parser, args)
    if args.duration <= 0:
        parser.error("--duration must be positive")
    return args


def run(args: argparse.Namespace) -> None:
    env = server_env(args.log_level)
    name = f"salesflow_bench_{os.getpid()}"
    with (benchmark_database("customer", env, name=name, keep=args.keep_db) as tmp,
          running_server(env, tmp / "server.log") as server):
        admin_token = mint_token(env, **ADMIN)
        rep_token = mint_token(env, **REP)
        response = httpx.post(f"{server.base_url}/api/v1/departments", json=DEPARTMENT,
                              headers={"Authorization": f"Bearer {admin_token}"})
        if response.status_code != 201:
            raise BenchError(f"creating the department: {response.status_code} "
                             f"{response.text}")

        create = WrkLoad("create", server.base_url, CREATE_SCRIPT, rep_token, args.threads,
                         args.connections)
        warm_up_for(create, args.warmup)
        first_id = int(psql("SELECT coalesce(max(id), 0) + 1 FROM customer", database=name))
        loads = [measure_for(create, server, args.duration, verbose=args.verbose)]
        last_id, created = (int(v) for v in psql(
            f"SELECT coalesce(max(id), 0), count(*) FROM customer WHERE id >= {first_id}",
            database=name).split("|"))
        if created == 0:
            print("  get: skipped, load 1 created no customers")
        else:
            if created != last_id - first_id + 1:
                print(f"  note: ids {first_id}..{last_id} have gaps "
                      f"({created} customers); GETs of the gaps will be 404s")
            get = replace(create, name="get", script=GET_SCRIPT,
                          script_args=(str(first_id), str(last_id)))
            warm_up_for(get, args.warmup)
            loads.append(measure_for(get, server, args.duration, verbose=args.verbose))
        print_report(loads, args, server)


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
