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

Only the standard library and httpx; `wrk` and `psql` must be on PATH.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SALESFLOW = ROOT / ".venv" / "bin" / "salesflow"
WRK_SCRIPTS = Path(__file__).resolve().parent / "wrk"
CREATE_SCRIPT = WRK_SCRIPTS / "create_customer.lua"
GET_SCRIPT = WRK_SCRIPTS / "get_customer.lua"

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REP = {"sub": "rep.bench", "roles": "sales_rep", "dept": "bench"}
ADMIN = {"sub": "admin", "roles": "admin"}
DEPARTMENT = {"id": "bench", "name": "Bench dept"}

TARGET_CREATE_RPS = 250
TARGET_GET_RPS = 400
TARGET_MEMORY_MIB = 150

READY_TIMEOUT_S = 60
MEMORY_SAMPLE_INTERVAL_S = 0.2


class BenchError(Exception):
    """The benchmark could not be set up or run; the message says why."""


# --- PostgreSQL ----------------------------------------------------------------------

def psql(sql: str, *, database: str = "postgres") -> str:
    """Run one statement with psql (trust auth) and return its unaligned output."""
    result = subprocess.run(
        ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST,
         "-p", str(PG_PORT), "-U", PG_USER, "-d", database, "-c", sql],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"psql failed ({sql!r}): {result.stderr.strip()}")
    return result.stdout.strip()


def database_url(database: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


@contextlib.contextmanager
def throwaway_database(name: str, *, keep: bool) -> Iterator[str]:
    psql(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        if keep:
            print(f"\nKept database {name} ({database_url(name)}).")
        else:
            try:
                psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except BenchError as exc:
                print(f"warning: could not drop database {name}: {exc}", file=sys.stderr)


# --- The API server ------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def salesflow(env: dict[str, str], *args: str) -> str:
    """Run the `salesflow` CLI and return its stdout."""
    result = subprocess.run([str(SALESFLOW), *args], env=env, cwd=ROOT,
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BenchError(f"salesflow {args[0]} failed:\n{result.stderr.strip()}")
    return result.stdout.strip()


def mint_token(env: dict[str, str], *, sub: str, roles: str, dept: str | None = None) -> str:
    args = ["token", "--sub", sub, "--roles", roles]
    if dept:
        args += ["--dept", dept]
    return salesflow(env, *args)


def process_tree(root_pid: int) -> list[int]:
    """root_pid and all its descendants, from the parent ids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process went away
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def rss_mib(pid: int) -> float | None:
    """VmRSS of one process in MiB (None if it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024  # the kernel reports kB (KiB)
    except OSError:
        pass
    return None


class ApiServer:
    """`salesflow serve --workers 1` as a subprocess, its output in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(SALESFLOW), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", "1", "--no-migrate"],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us only; we stop it in order
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"the server exited with {self.process.returncode}:\n"
                                 + self.log_tail())
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise BenchError(f"GET /readyz was not 200 within {READY_TIMEOUT_S} s:\n"
                         + self.log_tail())

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def memory_mib(self) -> float:
        """The largest VmRSS in the server's process tree (with --workers 1 uvicorn serves
        in-process, so this is normally the `salesflow serve` process itself)."""
        sizes = [rss_mib(pid) for pid in process_tree(self.pid)]
        return max((size for size in sizes if size is not None), default=0.0)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:]) or "(no server output)"


class MemoryPeak:
    """Samples the server's RSS in a background thread while a load runs."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.memory_mib())
            self._stop.wait(MEMORY_SAMPLE_INTERVAL_S)

    def __enter__(self) -> MemoryPeak:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.server.memory_mib())


# --- wrk -----------------------------------------------------------------------------

@dataclass
class WrkResult:
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    statuses: dict[str, int]
    non_2xx: int
    socket_errors: dict[str, int]
    sample_error: str | None
    output: str

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def run_wrk(url: str, script: Path, *, token: str, threads: int, connections: int,
            duration: float, script_args: tuple[str, ...] = ()) -> WrkResult:
    command = ["wrk", "--latency", f"--threads={threads}", f"--connections={connections}",
               f"--duration={duration:g}s", "--timeout=10s", f"--script={script}", url,
               "--", *script_args]
    result = subprocess.run(command, env={**os.environ, "BENCH_TOKEN": token},
                            capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    lines = output.splitlines()
    line = next((text for text in lines if text.startswith("BENCH_RESULT ")), None)
    if result.returncode != 0 or line is None:
        raise BenchError(f"wrk failed (exit {result.returncode}):\n{output}")
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    latency = data["latency_us"]
    return WrkResult(
        requests=data["requests"], duration_s=data["duration_us"] / 1e6,
        p50_ms=latency["p50"] / 1000, p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000, statuses=data["statuses"], non_2xx=data["non_2xx"],
        socket_errors=data["socket_errors"], sample_error=data["sample_error"],
        output="\n".join(text for text in lines if not text.startswith("BENCH_RESULT ")),
    )


@dataclass
class LoadResult:
    name: str
    wrk: WrkResult
    rss_before_mib: float
    rss_after_mib: float
    rss_peak_mib: float


def warm_up(name: str, server: ApiServer, script: Path, *, token: str,
            args: argparse.Namespace, script_args: tuple[str, ...] = ()) -> None:
    if args.warmup > 0:
        print(f"  {name}: warm-up {args.warmup:g} s ...", flush=True)
        run_wrk(server.base_url, script, token=token, threads=args.threads,
                connections=args.connections, duration=args.warmup, script_args=script_args)


def measure(name: str, server: ApiServer, script: Path, *, token: str,
            args: argparse.Namespace, script_args: tuple[str, ...] = ()) -> LoadResult:
    print(f"  {name}: measuring {args.duration:g} s ...", flush=True)
    before = server.memory_mib()
    with MemoryPeak(server) as memory:
        result = run_wrk(server.base_url, script, token=token, threads=args.threads,
                         connections=args.connections, duration=args.duration,
                         script_args=script_args)
    if args.verbose:
        print(result.output)
    return LoadResult(name, result, before, server.memory_mib(), memory.peak)


# --- Report --------------------------------------------------------------------------

def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def print_report(loads: list[LoadResult], args: argparse.Namespace, server: ApiServer) -> None:
    print()
    print(f"Results: {args.threads} wrk threads, {args.connections} connections, "
          f"{args.duration:g} s per load after {args.warmup:g} s warm-up; "
          f"1 uvicorn worker, SALESFLOW_LOG_LEVEL={args.log_level}")
    print()
    print(f"  {'load':<8}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
          f"{'requests':>10}{'errors':>8}   {'RSS before -> after (peak) MiB':<30}")
    for load in loads:
        w = load.wrk
        print(f"  {load.name:<8}{w.rps:>9.1f}{w.p50_ms:>9.1f}{w.p90_ms:>9.1f}{w.p99_ms:>9.1f}"
              f"{w.requests:>10}{w.errors:>8}   "
              f"{load.rss_before_mib:.1f} -> {load.rss_after_mib:.1f} ({load.rss_peak_mib:.1f})")
    print()
    for load in loads:
        w = load.wrk
        socket_errors = ", ".join(f"{k} {v}" for k, v in w.socket_errors.items())
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(w.statuses.items()))
        print(f"  {load.name}: non-2xx responses {w.non_2xx}; socket errors: {socket_errors}; "
              f"statuses {{{statuses}}}")
        if w.sample_error:
            print(f"    first non-2xx response: {' '.join(w.sample_error.split())}")

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
    print()
    print("Targets:")
    for target, figure, met in checks:
        print(f"  {target:<26}{figure:>18}   {verdict(met)}")
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
    parser.add_argument("--connections", type=int, default=32,
                        help="open HTTP connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--log-level", default="WARNING",
                        help="SALESFLOW_LOG_LEVEL for the server (default WARNING: the "
                             "per-request access log, at INFO, is off)")
    parser.add_argument("--keep-db", action="store_true",
                        help="do not drop the benchmark database at the end")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print wrk's own output and the server log tail")
    args = parser.parse_args()
    if args.threads < 1 or args.connections < args.threads:
        parser.error("need at least one thread and no fewer connections than threads")
    if args.duration <= 0:
        parser.error("--duration must be positive")
    return args


def check_tools() -> None:
    missing = [tool for tool in ("wrk", "psql") if shutil.which(tool) is None]
    if missing:
        raise BenchError(f"not on PATH: {', '.join(missing)} (apt-get install wrk "
                         "postgresql-client)")
    if not SALESFLOW.exists():
        raise BenchError(f"{SALESFLOW} not found; create the virtualenv first")


def raise_keyboard_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> None:
    check_tools()
    env = {
        **os.environ,
        "SALESFLOW_ENVIRONMENT": "production",
        "SALESFLOW_JWT_SECRET": secrets.token_urlsafe(36),  # 48 characters
        "SALESFLOW_LOG_LEVEL": args.log_level,
    }
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


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)  # clean up as on Ctrl-C
    try:
        run(args)
    except BenchError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; cleaned up.", file=sys.stderr)
        return 130
    return 0  # whether or not the targets were met: a measurement, not a test


if __name__ == "__main__":
    sys.exit(main())
