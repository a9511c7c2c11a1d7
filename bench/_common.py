"""Shared by the benchmark scripts in this directory: the throwaway PostgreSQL database,
migrated, and the header line; the API server as a subprocess and its memory; the report
benchmarks' plumbing (their arguments, requests sent one at a time in turns and timed by
the server's access log, the timings table and the targets); running wrk with the Lua
scripts in bench/wrk, for a time or over a list, and reading their results; the load
table.

Only the standard library and httpx; `psql` must be on PATH, and `wrk` for the HTTP
benchmarks. The scripts import this module as `_common`: run them as files
(`.venv/bin/python bench/bench_X.py`), which puts this directory on sys.path.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, Self

import httpx

ROOT = Path(__file__).resolve().parent.parent
SALESFLOW = ROOT / ".venv" / "bin" / "salesflow"
WRK_SCRIPTS = Path(__file__).resolve().parent / "wrk"

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
ADMIN = {"sub": "admin", "roles": "admin"}
DEPARTMENT = {"id": "bench", "name": "Bench dept"}
REP = {"sub": "rep.bench", "roles": "sales_rep", "dept": DEPARTMENT["id"]}

READY_TIMEOUT_S = 60
MEMORY_SAMPLE_INTERVAL_S = 0.2


class BenchError(Exception):
    """The benchmark could not be set up or run; the message says why."""


# --- PostgreSQL ----------------------------------------------------------------------

def psql(sql: str, *, database: str = "postgres", input: str | None = None) -> str:
    """Run one statement with psql (trust auth) and return its unaligned output. `input`
    goes to psql's standard input: the data of a `COPY ... FROM STDIN`."""
    result = subprocess.run(
        ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST,
         "-p", str(PG_PORT), "-U", PG_USER, "-d", database, "-c", sql],
        capture_output=True, text=True, check=False, input=input,
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


@contextlib.contextmanager
def migrated_database(name: str, env: dict[str, str], *, keep: bool) -> Iterator[Path]:
    """A throwaway database `name` migrated to head, `env` pointing the server and the CLI
    at it, and a temporary directory for logs and lists (yielded). The database is dropped
    at the end unless `keep`; the directory is always removed."""
    with (throwaway_database(name, keep=keep),
          tempfile.TemporaryDirectory(prefix="salesflow_bench_") as tmp):
        env["SALESFLOW_DATABASE_URL"] = database_url(name)
        print(f"  database {name}: migrating ...", flush=True)
        salesflow(env, "migrate")
        yield Path(tmp)


# --- The API server ------------------------------------------------------------------

def server_env(log_level: str, *, environment: str = "production") -> dict[str, str]:
    """The environment for the server and the CLI: production mode (unless `environment`
    says otherwise), a random 48-character JWT secret and webhook secrets key, the given
    log level; other SALESFLOW_* variables pass through."""
    return {
        **os.environ,
        "SALESFLOW_ENVIRONMENT": environment,
        "SALESFLOW_JWT_SECRET": secrets.token_urlsafe(36),  # 48 characters
        "SALESFLOW_WEBHOOK_SECRETS_KEYS": json.dumps([secrets.token_hex(24)]),
        "SALESFLOW_LOG_LEVEL": log_level,
    }


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


def mint_token(env: dict[str, str], *, sub: str, roles: str, dept: str | None = None,
               depts: str | None = None) -> str:
    args = ["token", "--sub", sub, "--roles", roles]
    if dept:
        args += ["--dept", dept]
    if depts:
        args += ["--depts", depts]
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
    """`salesflow serve --workers N` as a subprocess, its output in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int = 1) -> None:
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(SALESFLOW), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers), "--no-migrate"],
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


@contextlib.contextmanager
def running_server(env: dict[str, str], log_path: Path, *, workers: int = 1,
                   announce: bool = True) -> Iterator[ApiServer]:
    """The API server, ready, and stopped at the end, also on failure. `announce` prints
    its pid (for a profiler to attach to) and URL."""
    server = ApiServer(env, log_path, workers=workers)
    try:
        server.start()
        if announce:
            print(f"  server pid {server.pid} ready at {server.base_url}", flush=True)
        yield server
    finally:
        server.stop()


class HasMemory(Protocol):
    def memory_mib(self) -> float: ...


# --- CPU time ------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 if it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass(frozen=True)
class MachineCpu:
    """CPU seconds of the whole machine since boot, from /proc/stat: busy (not idle or
    waiting for I/O), stolen by the hypervisor for other guests, and in all."""

    busy: float
    steal: float
    total: float

    def __sub__(self, earlier: MachineCpu) -> MachineCpu:
        return MachineCpu(self.busy - earlier.busy, self.steal - earlier.steal,
                          self.total - earlier.total)


def machine_cpu() -> MachineCpu:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])       # guest time is already in user
    return MachineCpu((total - idle) / CLOCK_TICKS, values[7] / CLOCK_TICKS,
                      total / CLOCK_TICKS)


class MemoryPeak:
    """Samples the server's (or another process's) RSS in a background thread while a load
    runs."""

    def __init__(self, server: HasMemory) -> None:
        self.server = server
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.memory_mib())
            self._stop.wait(MEMORY_SAMPLE_INTERVAL_S)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.server.memory_mib())


# --- Requests timed by the access log -------------------------------------------------
# The report benchmarks send each request one at a time and take its time from the
# server's access log line (`duration_ms`, matched by X-Request-Id): from the request
# reaching the app to the last byte of the response, without the client and the socket.

@dataclass
class Timing:
    """The server times of one figure's measured requests."""

    name: str
    target: str
    durations_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.durations_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.durations_ms, n=20)[-1]


@dataclass
class Figure:
    """One request to time: GET `path` with `params`, as the holder of `token`."""

    name: str
    target: str
    path: str
    params: dict[str, object]
    token: str


def cursor_of(values: object) -> str:
    """The API's cursor encoding (app/core/pagination.py): URL-safe base64 of JSON."""
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def server_durations(log_path: Path, request_ids: set[str]) -> dict[str, float]:
    """duration_ms of the access log lines of the given requests."""
    found = {}
    for line in log_path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "request" and entry.get("request_id") in request_ids:
            found[entry["request_id"]] = float(entry["duration_ms"])
    return found


def measure_figures(figures: list[Figure], server: ApiServer, client: httpx.Client, *,
                    requests: int, warmup: int) -> list[Timing]:
    """Each figure's requests, taken in turns (one of each figure, then the next round), so
    that a busy moment of the machine weighs on every figure alike: a deep page and its
    first page are compared under the same load."""
    print(f"  {len(figures)} figures in turns: {warmup} warm-up and {requests} measured "
          "requests each ...", flush=True)
    ids: dict[str, list[str]] = {figure.name: [] for figure in figures}
    for n in range(warmup + requests):
        for figure in figures:
            request_id = uuid.uuid4().hex
            response = client.get(f"{server.base_url}{figure.path}", params=figure.params,
                                  headers={"Authorization": f"Bearer {figure.token}",
                                           "X-Request-Id": request_id})
            if response.status_code != 200:
                raise BenchError(f"{figure.name}: {response.status_code} "
                                 f"{response.text[:500]}")
            if n >= warmup:
                ids[figure.name].append(request_id)
    wanted = {request_id for names in ids.values() for request_id in names}
    # The access log line is written just after the response's last byte: give the last
    # one a moment to land.
    deadline = time.monotonic() + 10
    while len(durations := server_durations(server.log_path, wanted)) < len(wanted) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    if len(durations) != len(wanted):
        raise BenchError(f"{len(wanted) - len(durations)} requests missing from the "
                         "access log (is SALESFLOW_LOG_LEVEL=INFO?)")
    return [Timing(figure.name, figure.target, [durations[i] for i in ids[figure.name]])
            for figure in figures]


# --- wrk -----------------------------------------------------------------------------

THREAD_DONE = "BENCH_THREAD_DONE "  # printed by wrk/once.lua when a thread has finished
RESULT = "BENCH_RESULT "            # printed by wrk/common.lua's done()


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
    extra: dict = field(default_factory=dict)  # what a script adds to BENCH_RESULT
    threads_done: int = 0                      # threads that printed BENCH_THREAD_DONE

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= int(status) <= 299)

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def run_wrk(url: str, script: Path, *, token: str, threads: int, connections: int,
            duration: float, script_args: tuple[str, ...] = (),
            until_threads_done: bool = False) -> WrkResult:
    """Run wrk for `duration` seconds and return what the script's done() reported.

    With `until_threads_done` (scripts built on wrk/once.lua, which send a fixed list of
    requests), wrk is interrupted with SIGINT as soon as every thread has printed
    BENCH_THREAD_DONE; `duration` is then only a limit. wrk handles SIGINT by ending its
    run early and reporting as usual, so its elapsed time (`duration_us`) is the wall
    time from its start until the last response.
    """
    command = ["wrk", "--latency", f"--threads={threads}", f"--connections={connections}",
               f"--duration={max(1, round(duration))}s", "--timeout=10s", f"--script={script}", url,
               "--", *script_args]
    process = subprocess.Popen(command, env={**os.environ, "BENCH_TOKEN": token},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threads_done = 0
    try:
        assert process.stdout is not None
        for text in process.stdout:
            lines.append(text.rstrip("\n"))
            if text.startswith(THREAD_DONE):
                threads_done += 1
                if until_threads_done and threads_done == threads:
                    process.send_signal(signal.SIGINT)
        returncode = process.wait()
    finally:
        if process.poll() is None:  # interrupted (Ctrl-C, SIGTERM) or an error above
            process.kill()
            process.wait()
    output = "\n".join(lines)
    line = next((text for text in lines if text.startswith(RESULT)), None)
    if returncode != 0 or line is None:
        raise BenchError(f"wrk failed (exit {returncode}):\n{output}")
    data = json.loads(line.removeprefix(RESULT))
    latency = data["latency_us"]
    return WrkResult(
        requests=data["requests"], duration_s=data["duration_us"] / 1e6,
        p50_ms=latency["p50"] / 1000, p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000, statuses=data["statuses"], non_2xx=data["non_2xx"],
        socket_errors=data["socket_errors"], sample_error=data["sample_error"],
        output="\n".join(text for text in lines
                         if not text.startswith((RESULT, THREAD_DONE))),
        extra=data.get("extra", {}), threads_done=threads_done,
    )


@dataclass
class LoadResult:
    name: str
    wrk: WrkResult
    rss_before_mib: float
    rss_after_mib: float
    rss_peak_mib: float
    server_cpu_s: float     # the server's CPU time during the load
    machine: MachineCpu     # the whole machine's during the load
    elapsed_s: float        # wall time of the load, as the CPU figures were taken


def server_cpu_seconds(server: ApiServer) -> float:
    return sum(cpu_seconds(pid) for pid in process_tree(server.pid))


def measure_load(name: str, server: ApiServer, run: Callable[[], WrkResult], *,
                 verbose: bool) -> LoadResult:
    """Run one measured load (`run` starts wrk); sample the server's memory around it and
    take its CPU time and the machine's."""
    before = server.memory_mib()
    cpu_before, machine_before, started = server_cpu_seconds(server), machine_cpu(), time.monotonic()
    with MemoryPeak(server) as memory:
        result = run()
    cpu, machine = server_cpu_seconds(server) - cpu_before, machine_cpu() - machine_before
    elapsed = time.monotonic() - started
    if verbose:
        print(result.output)
    return LoadResult(name, result, before, server.memory_mib(), memory.peak, cpu, machine,
                      elapsed)


# A list load that is not finished after TIME_LIMIT_SLACK_S + items / its minimum rate is
# cut off (see wrk/once.lua: a request lost at the socket leaves its thread waiting).
TIME_LIMIT_SLACK_S = 30


@dataclass(frozen=True)
class WrkLoad:
    """One load for wrk: `script` sent to `url` with `token` from `threads` threads over
    `connections` connections; `script_args` go after wrk's `--`."""

    name: str
    url: str
    script: Path
    token: str
    threads: int
    connections: int
    script_args: tuple[str, ...] = ()

    def run(self, duration: float, *, until_threads_done: bool = False) -> WrkResult:
        return run_wrk(self.url, self.script, token=self.token, threads=self.threads,
                       connections=self.connections, duration=duration,
                       script_args=self.script_args, until_threads_done=until_threads_done)


def warm_up_for(load: WrkLoad, seconds: float) -> None:
    """An unmeasured run of `seconds` before the measured one (none for 0)."""
    if seconds > 0:
        print(f"  {load.name}: warm-up {seconds:g} s ...", flush=True)
        load.run(seconds)


def measure_for(load: WrkLoad, server: ApiServer, seconds: float, *,
                verbose: bool) -> LoadResult:
    """The measured run of `seconds`, with the server's memory and CPU around it."""
    print(f"  {load.name}: measuring {seconds:g} s ...", flush=True)
    return measure_load(load.name, server, lambda: load.run(seconds), verbose=verbose)


def item_lists(folder: Path, name: str, items: Iterable[object],
               warmup: int) -> tuple[Path, Path]:
    """The two lists of a load over items (see run_each_once), one item a line: the first
    `warmup` items for the warm-up, the rest for the measured load."""
    lines = [f"{item}\n" for item in items]
    warmup_file = folder / f"{name}-warmup.items"
    measured_file = folder / f"{name}-measured.items"
    warmup_file.write_text("".join(lines[:warmup]))
    measured_file.write_text("".join(lines[warmup:]))
    return warmup_file, measured_file


def count_items(items: Path) -> int:
    return len(items.read_text().split())


def run_each_once(load: WrkLoad, items: Path, *, min_rate: int) -> WrkResult:
    """Send one request per line of `items` with a script built on wrk/once.lua (its
    arguments: the file and the thread count), and stop wrk after the last answer; a load
    slower than `min_rate` requests/s is cut off."""
    time_limit = TIME_LIMIT_SLACK_S + count_items(items) // min_rate  # wrk takes whole seconds
    return replace(load, script_args=(str(items), str(load.threads))).run(
        time_limit, until_threads_done=True)


def measure_each_once(load: WrkLoad, server: ApiServer, *, warmup: Path, measured: Path,
                      unit: str, min_rate: int, verbose: bool) -> LoadResult:
    """The items of `warmup`, unmeasured (none if it is empty), then those of `measured`,
    each sent once; `unit` names them in the progress lines ("decisions")."""
    if warmup_count := count_items(warmup):
        print(f"  {load.name}: warm-up, {warmup_count} {unit} ...", flush=True)
        run_each_once(load, warmup, min_rate=min_rate)
    print(f"  {load.name}: measuring {count_items(measured)} {unit} ...", flush=True)
    return measure_load(load.name, server, lambda: run_each_once(
        load, measured, min_rate=min_rate), verbose=verbose)


# --- Report --------------------------------------------------------------------------

def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def print_load_table(loads: list[LoadResult], *, rate: str = "req/s",
                     count: str = "requests") -> None:
    """One line per load: rate, latency percentiles, count, errors and memory."""
    print(f"  {'load':<8}{rate:>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
          f"{count:>10}{'errors':>8}   {'RSS before -> after (peak) MiB':<30}")
    for load in loads:
        w = load.wrk
        print(f"  {load.name:<8}{w.rps:>9.1f}{w.p50_ms:>9.1f}{w.p90_ms:>9.1f}{w.p99_ms:>9.1f}"
              f"{w.requests:>10}{w.errors:>8}   "
              f"{load.rss_before_mib:.1f} -> {load.rss_after_mib:.1f} ({load.rss_peak_mib:.1f})")
    print()
    # The server's CPU per request is what its code costs; the rate also depends on how
    # much of a core it got. A busy or stolen machine shows here, not in the code.
    for load in loads:
        m = load.machine
        per_request = load.server_cpu_s / load.wrk.requests * 1000 if load.wrk.requests else 0
        core = load.server_cpu_s / load.elapsed_s * 100 if load.elapsed_s else 0
        busy, stolen = ((m.busy / m.total * 100, m.steal / m.total * 100) if m.total
                        else (0.0, 0.0))
        print(f"  {load.name}: server CPU {per_request:.2f} ms per {count[:-1]} ({core:.0f}% of "
              f"one core); machine {busy:.0f}% busy, {stolen:.0f}% stolen")


def print_load_errors(loads: list[LoadResult]) -> None:
    """Per load: non-2xx responses, socket errors, statuses and the first non-2xx body."""
    for load in loads:
        w = load.wrk
        socket_errors = ", ".join(f"{k} {v}" for k, v in w.socket_errors.items())
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(w.statuses.items()))
        print(f"  {load.name}: non-2xx responses {w.non_2xx}; socket errors: {socket_errors}; "
              f"statuses {{{statuses}}}")
        if w.sample_error:
            print(f"    first non-2xx response: {' '.join(w.sample_error.split())}")


def print_timings(timings: list[Timing], *, width: int,
                  column: tuple[str, int, Callable[[Timing], str]] | None = None) -> None:
    """The timings table: one line per figure, its name in `width` characters, then p50,
    p95 and max in ms. `column` (heading, width, value of a timing) adds a text column
    after the name."""
    heading, column_width, value = column or ("", 0, lambda _timing: "")
    print(f"  {'figure':<{width}}{heading:<{column_width}}"
          f"{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for timing in timings:
        print(f"  {timing.name:<{width}}{value(timing):<{column_width}}"
              f"{timing.p50:>9.1f}{timing.p95:>9.1f}{max(timing.durations_ms):>9.1f}")


def print_plan(title: str, plan: str) -> None:
    """A title line, then PostgreSQL's plan (EXPLAIN's output) indented under it."""
    print(title)
    for line in plan.splitlines():
        print(f"    {line}")


def p95_checks(timings: Iterable[Timing],
               target_ms: float | Mapping[str, float]) -> list[tuple[str, str, bool]]:
    """For print_targets: each timing's p95 under `target_ms`, one for all or one per
    figure's name."""
    checks = []
    for timing in timings:
        target = target_ms if isinstance(target_ms, int | float) else target_ms[timing.name]
        checks.append((f"{timing.name} p95 < {target:g} ms", f"{timing.p95:.1f} ms",
                       timing.p95 < target))
    return checks


def ratio_check(deep: Timing, first: Timing, ratio: float) -> tuple[str, str, bool]:
    """For print_targets: a deep page's p50 within `ratio` times its first page's."""
    return (f"{deep.name} p50 <= {ratio}x {first.name}", f"{deep.p50 / first.p50:.2f}x",
            deep.p50 <= ratio * first.p50)


def print_failures_note(loads: list[LoadResult], *, unit: str = "requests") -> None:
    """A closing note when some of the loads' requests failed."""
    if any(load.wrk.errors for load in loads):
        print(f"\n  note: some {unit} failed; see the error counts above.")


def print_server_log(server: ApiServer, *, verbose: bool) -> None:
    """With --verbose, the server log's tail."""
    if verbose:
        print("\nServer log (tail):\n" + server.log_tail())


def print_targets(checks: list[tuple[str, str, bool]]) -> None:
    print()
    print("Targets:")
    for target, figure, met in checks:
        print(f"  {target:<26}{figure:>18}   {verdict(met)}")


# --- Main ----------------------------------------------------------------------------

def print_header(benchmark: str, *, show: Sequence[str] = ()) -> None:
    """The report's first line: the machine (CPUs), Python and PostgreSQL, and the
    PostgreSQL settings named in `show` (`lc_ctype` prints `, LC_CTYPE C.UTF-8`)."""
    settings = "".join(f", {setting.upper()} {psql(f'SHOW {setting}')}" for setting in show)
    print(f"salesflow {benchmark} benchmark: {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, PostgreSQL {psql('SHOW server_version')}{settings}")


@contextlib.contextmanager
def benchmark_database(benchmark: str, env: dict[str, str], *, name: str, keep: bool,
                       tools: tuple[str, ...] = ("wrk", "psql"),
                       show: Sequence[str] = ()) -> Iterator[Path]:
    """How every benchmark starts: the tools checked, the header line, then the migrated
    throwaway database and the temporary directory of migrated_database (yielded)."""
    check_tools(tools)
    print_header(benchmark, show=show)
    with migrated_database(name, env, keep=keep) as tmp:
        yield tmp


@contextlib.contextmanager
def report_database(benchmark: str, args: argparse.Namespace, *,
                    show: Sequence[str] = ()) -> Iterator[tuple[dict[str, str], Path]]:
    """benchmark_database for a report benchmark (see add_report_arguments): only psql
    needed, the server's environment logging each request, which is how the requests are
    timed (yielded with the directory)."""
    env = server_env("INFO")
    env["PYTHONUNBUFFERED"] = "1"  # the access log reaches the file as each request ends
    with benchmark_database(benchmark, env, name=args.db_name, keep=args.keep_db,
                            tools=("psql",), show=show) as tmp:
        yield env, tmp


def add_report_arguments(parser: argparse.ArgumentParser, *, benchmark: str, requests: int,
                         warmup: int, requests_help: str = "measured requests per figure",
                         warmup_help: str = "unmeasured requests before each figure") -> None:
    """The options every report benchmark has after its sizes: --requests, --warmup,
    --db-name (salesflow_bench_<benchmark>_<pid>) and --keep-db."""
    parser.add_argument("--requests", type=int, default=requests,
                        help=f"{requests_help} (default {requests})")
    parser.add_argument("--warmup", type=int, default=warmup,
                        help=f"{warmup_help} (default {warmup})")
    parser.add_argument("--db-name", default=f"salesflow_bench_{benchmark}_{os.getpid()}",
                        help="name of the throwaway database")
    parser.add_argument("--keep-db", action="store_true",
                        help="do not drop the benchmark database at the end")


def check_report_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace,
                           minimums: Mapping[str, int]) -> None:
    """Refuse sizes under their `minimums` ({"--orders": 10_000}), fewer than 20 requests
    (too few for a p95) or a negative warm-up."""
    too_small = any(getattr(args, flag.removeprefix("--").replace("-", "_")) < minimum
                    for flag, minimum in minimums.items())
    if too_small or args.requests < 20 or args.warmup < 0:
        sizes = ", ".join(f"{flag} at least {minimum}" for flag, minimum in minimums.items())
        parser.error(f"{sizes}, --requests at least 20")


def add_timed_load_arguments(parser: argparse.ArgumentParser) -> None:
    """--duration and --warmup, in seconds, of the benchmarks whose loads run for a time."""
    parser.add_argument("--duration", type=float, default=20,
                        help="seconds of measurement per load (default 20)")
    parser.add_argument("--warmup", type=float, default=3,
                        help="seconds of warm-up before each load, not measured (default 3)")


def check_tools(tools: tuple[str, ...] = ("wrk", "psql")) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        packages = " ".join({"wrk": "wrk", "psql": "postgresql-client"}.get(tool, tool)
                            for tool in missing)
        raise BenchError(f"not on PATH: {', '.join(missing)} (apt-get install {packages})")
    if not SALESFLOW.exists():
        raise BenchError(f"{SALESFLOW} not found; create the virtualenv first")


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
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


def check_common_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.threads < 1 or args.connections < args.threads:
        parser.error("need at least one thread and no fewer connections than threads")


def _raise_keyboard_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(run: Callable[[], None]) -> int:
    """Run a benchmark: exit 0 whatever the figures, 1 if it could not run, 130 on
    Ctrl-C (SIGTERM cleans up the same way)."""
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        run()
    except BenchError as exc:
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; cleaned up.", file=sys.stderr)
        return 130
    return 0  # whether or not the targets were met: a measurement, not a test
