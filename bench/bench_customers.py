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
import platform
import sys
import tempfile
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
    add_common_arguments,
    check_common_arguments,
    check_tools,
    database_url,
    main,
    measure_load,
    mint_token,
    print_load_errors,
    print_load_table,
    print_targets,
    psql,
    run_wrk,
    salesflow,
    server_env,
    throwaway_database,
)

CREATE_SCRIPT = WRK_SCRIPTS / "create_customer.lua"
GET_SCRIPT = WRK_SCRIPTS / "get_customer.lua"

TARGET_CREATE_RPS = 250
TARGET_GET_RPS = 400
TARGET_MEMORY_MIB = 150


def warm_up(name: str, server: ApiServer, script: Path, *, token: str,
            args: argparse.Namespace, script_args: tuple[str, ...] = ()) -> None:
    if args.warmup > 0:
        print(f"  {name}: warm-up {args.warmup:g} s ...", flush=True)
        run_wrk(server.base_url, script, token=token, threads=args.threads,
                connections=args.connections, duration=args.warmup, script_args=script_args)


def measure(name: str, server: ApiServer, script: Path, *, token: str,
            args: argparse.Namespace, script_args: tuple[str, ...] = ()) -> LoadResult:
    print(f"  {name}: measuring {args.duration:g} s ...", flush=True)
    return measure_load(name, server, lambda: run_wrk(
        server.base_url, script, token=token, threads=args.threads,
        connections=args.connections, duration=args.duration, script_args=script_args),
        verbose=args.verbose)


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
    if any(load.wrk.errors for load in loads):
        print("\n  note: some requests failed; see the error counts above.")
    if args.verbose:
        print("\nServer log (tail):\n" + server.log_tail())


# --- Main ----------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20,
                        help="seconds of measurement per load (default 20)")
    parser.add_argument("--warmup", type=float, default=3,
                        help="seconds of warm-up before each load, not measured (default 3)")
    add_common_arguments(parser)
    args = parser.parse_args()
    check_common_arguments(parser, args)
    if args.duration <= 0:
        parser.error("--duration must be positive")
    return args


def run(args: argparse.Namespace) -> None:
    check_tools()
    env = server_env(args.log_level)
    name = f"salesflow_bench_{os.getpid()}"
    print(f"salesflow customer benchmark: {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, PostgreSQL {psql('SHOW server_version')}")

    with (throwaway_database(name, keep=args.keep_db),
          tempfile.TemporaryDirectory(prefix="salesflow_bench_") as tmp):
        env["SALESFLOW_DATABASE_URL"] = database_url(name)
        print(f"  database {name}: migrating ...", flush=True)
        salesflow(env, "migrate")

        server = ApiServer(env, Path(tmp) / "server.log")
        try:
            server.start()
            print(f"  server pid {server.pid} ready at {server.base_url}", flush=True)
            admin_token = mint_token(env, **ADMIN)
            rep_token = mint_token(env, **REP)
            response = httpx.post(f"{server.base_url}/api/v1/departments", json=DEPARTMENT,
                                  headers={"Authorization": f"Bearer {admin_token}"})
            if response.status_code != 201:
                raise BenchError(f"creating the department: {response.status_code} "
                                 f"{response.text}")

            loads = []
            warm_up("create", server, CREATE_SCRIPT, token=rep_token, args=args)
            first_id = int(psql("SELECT coalesce(max(id), 0) + 1 FROM customer", database=name))
            loads.append(measure("create", server, CREATE_SCRIPT, token=rep_token, args=args))
            last_id, created = (int(v) for v in psql(
                f"SELECT coalesce(max(id), 0), count(*) FROM customer WHERE id >= {first_id}",
                database=name).split("|"))
            if created == 0:
                print("  get: skipped, load 1 created no customers")
            else:
                if created != last_id - first_id + 1:
                    print(f"  note: ids {first_id}..{last_id} have gaps "
                          f"({created} customers); GETs of the gaps will be 404s")
                ids = (str(first_id), str(last_id))
                warm_up("get", server, GET_SCRIPT, token=rep_token, args=args, script_args=ids)
                loads.append(measure("get", server, GET_SCRIPT, token=rep_token, args=args,
                                     script_args=ids))
            print_report(loads, args, server)
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
