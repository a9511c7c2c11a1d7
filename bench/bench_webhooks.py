#!/usr/bin/env python3
"""Webhook delivery: deliveries per second and the lag from event to receiver.

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_webhooks.py [--events 20000] [--workers 1,2] [--lag-seconds 30]

It creates a throwaway PostgreSQL database, migrates it, starts a receiver
(bench/webhook_receiver.py: a minimal asyncio HTTP/1.1 server in its own process that
answers 204 and records when each message arrived) and, through the API
(`salesflow serve`, admin token), subscribes the receiver to `customer.updated`, so the
signing secret is a real one. The API is then stopped: delivery is the workers' business.
Then:

  1. throughput, for each K in --workers (1 and 2): K `salesflow worker` processes are
     started and warmed up; --events `customer.updated` events (subjects spread over
     --customers customers) are written straight into the outbox table in one transaction,
     as committed changes would be; the figure is deliveries/s from the first to the last
     delivery the receiver gets. Every event must arrive exactly once (duplicates are
     counted; with an always-204 receiver there must be none), and sampled messages must
     verify with standardwebhooks' `Webhook(secret).verify(body, headers)`. Each K gets
     fresh events; the workers' `salesflow_webhook_*` metrics (--metrics-port) are shown.
  2. lag: one worker; a producer (a `psql` session) commits --lag-rate events/s, each in
     its own transaction with `occurred_at = now()`, for --lag-seconds; per message the
     receiver's arrival time minus the message's `timestamp` field.

The server and the workers run with SALESFLOW_ENVIRONMENT=development: only there (and in
test) does a webhook URL `http://127.0.0.1:<port>` pass the SSRF checks (production wants
https and public addresses). They get a random JWT secret and a random webhook secrets
key, and SALESFLOW_IN_PROCESS_WORKER=false; other SALESFLOW_* variables pass through.

It prints the figures beside the targets (>= 500 deliveries/s for one worker, lag p99 < 1 s
at 100 events/s), the workers' peak resident memory and CPU use. The database is dropped
at the end, also on failure or Ctrl-C (unless --keep-db), and every process it started is
stopped. It is a measurement, not a test: the exit status is 0 whatever the figures (1 only
if the benchmark could not run, 130 on Ctrl-C).

Only the standard library, httpx, standardwebhooks (to verify signatures as a receiver
would) and bench/_common.py; `psql` must be on PATH.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from _common import (
    ADMIN,
    DEPARTMENT,
    PG_HOST,
    PG_PORT,
    PG_USER,
    READY_TIMEOUT_S,
    REP,
    ROOT,
    SALESFLOW,
    BenchError,
    MemoryPeak,
    check_tools,
    cpu_seconds,
    free_port,
    machine_cpu,
    main,
    migrated_database,
    mint_token,
    print_header,
    print_targets,
    process_tree,
    psql,
    rss_mib,
    running_server,
    server_env,
)
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

RECEIVER_SCRIPT = Path(__file__).resolve().parent / "webhook_receiver.py"
EVENT_TYPE = "customer.updated"

TARGET_DELIVERIES_PER_S = 500  # one worker
TARGET_LAG_P99_MS = 1000       # at 100 events/s
WORKER_MEMORY_LIMIT_MIB = 256  # deploy/k8s/worker-deployment.yaml, shown for reference

SAMPLE_EVERY = 500  # the receiver writes every N-th message in full, to verify it
POLL_S = 0.1
STOP_TIMEOUT_S = 15


# --- Events --------------------------------------------------------------------------

class EventSource:
    """`customer.updated` events as the customer service would emit them: subject
    `customer:<id>`, data the customer as GET /customers/{id} shows it, each customer's
    version going up by one per change."""

    def __init__(self, customers: int) -> None:
        self.customers = customers
        self.versions = [1] * customers
        self.next = 0
        self.created_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")

    def one(self) -> tuple[str, str, str]:
        """A new event: (event_id, subject, data as JSON)."""
        index = self.next % self.customers
        self.next += 1
        self.versions[index] += 1
        customer_id = index + 1
        data = {
            "id": customer_id, "name": f"Bench customer {customer_id}", "credit_code": None,
            "contacts": [{"name": "Li", "title": None, "phone": "+86 21 5555 0000",
                          "email": None}],
            "address": "Shanghai", "owner_id": REP["sub"], "department_id": DEPARTMENT["id"],
            "credit_rating": "B", "credit_limit": "100000.00", "payment_terms_days": 30,
            "is_key_customer": False, "version": self.versions[index],
            "created_at": self.created_at,
            "updated_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        # The id as app.events.service.new_event_id makes it.
        return f"evt_{uuid.uuid4().hex}", f"customer:{customer_id}", json.dumps(data)


def insert_events(database: str, source: EventSource, count: int) -> list[str]:
    """Write `count` events into the outbox in one transaction (one COPY statement), with
    `occurred_at` now; returns their event ids."""
    occurred_at = datetime.now(UTC).isoformat()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    ids = []
    for _ in range(count):
        event_id, subject, data = source.one()
        writer.writerow([event_id, EVENT_TYPE, subject, data, occurred_at])
        ids.append(event_id)
    psql("COPY event (event_id, type, subject, data, occurred_at) FROM STDIN (FORMAT csv)",
         database=database, input=buffer.getvalue())
    return ids


def last_event_id(database: str) -> int:
    return int(psql("SELECT coalesce(max(id), 0) FROM event", database=database))


def deliveries_in_database(database: str, after_event: int, up_to_event: int) -> str:
    """The deliveries of the events with ids in (after_event, up_to_event], by status,
    with their attempts."""
    rows = psql(
        "SELECT d.status || ' ' || count(*) || ' (' || sum(d.attempts) || ' attempts)' "
        "FROM webhook_delivery d JOIN event e ON e.event_id = d.event_id "
        f"WHERE e.id > {after_event} AND e.id <= {up_to_event} "
        "GROUP BY d.status ORDER BY d.status", database=database)
    return ", ".join(rows.splitlines()) or "none"


# --- Processes -----------------------------------------------------------------------

def stop_process(process: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL if it has not gone within STOP_TIMEOUT_S."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def postgres_backends(database: str) -> list[int]:
    """The PostgreSQL server processes serving connections to `database` (their process
    title names the database)."""
    pids = []
    marker = f" {database} ".encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes()
        except OSError:
            continue
        if text.startswith(b"postgres: ") and marker in text:
            pids.append(int(cmdline.parent.name))
    return pids


class Worker:
    """`salesflow worker --metrics-port P` as a subprocess, its output in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path, name: str) -> None:
        self.env, self.log_path, self.name = env, log_path, name
        self.metrics_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(SALESFLOW), "worker", "--metrics-port", str(self.metrics_port),
                 "--metrics-host", "127.0.0.1"],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us only; we stop it in order
            )

    def wait_ready(self) -> None:
        """Until its metrics endpoint answers (it starts once the worker has imported
        everything, just before the loops start)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.metrics_url, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise BenchError(f"{self.name}: no metrics within {READY_TIMEOUT_S} s:\n"
                         + self.log_tail())

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise BenchError(f"{self.name} exited with {self.process.returncode}:\n"
                             + self.log_tail())

    def metrics(self) -> list[str]:
        """Its `salesflow_webhook_*` sample lines."""
        try:
            text = httpx.get(self.metrics_url, timeout=5).text
        except httpx.HTTPError as exc:
            raise BenchError(f"{self.name}: reading its metrics: {exc}\n"
                             + self.log_tail()) from None
        return [line for line in text.splitlines() if line.startswith("salesflow_webhook_")]

    def delivered(self) -> float:
        for line in self.metrics():
            if line.startswith("salesflow_webhook_deliveries_delivered_total "):
                return float(line.split()[1])
        return 0.0

    def memory_mib(self) -> float:
        sizes = [rss_mib(pid) for pid in process_tree(self.pid)]
        return max((size for size in sizes if size is not None), default=0.0)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> None:
        stop_process(self.process)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:]) or "(no worker output)"


@dataclass
class Arrival:
    mono_ns: int  # CLOCK_MONOTONIC, the same clock as time.monotonic_ns() here
    wall_ns: int
    webhook_id: str
    timestamp: str  # the message's `timestamp` field


@dataclass
class Verified:
    webhook_id: str
    error: str | None  # None: the signature verified


class Receiver:
    """bench/webhook_receiver.py as a subprocess; a thread reads what it reports."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self.signer: Webhook | None = None  # set once the secret is known
        self.arrivals: list[Arrival] = []
        self.counts: Counter[str] = Counter()
        self.verified: list[Verified] = []
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/salesflow"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            # Its standard input is a pipe from us: it exits when we do, however we end.
            self.process = subprocess.Popen(
                [sys.executable, str(RECEIVER_SCRIPT), "--sample-every", str(SAMPLE_EVERY)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                start_new_session=True)
        self._thread.start()
        if not self._listening.wait(READY_TIMEOUT_S) or self.port is None:
            raise BenchError("the receiver did not start:\n"
                             + self.log_path.read_text(errors="replace"))

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.startswith("R "):
                _, mono, wall, webhook_id, timestamp = line.split(" ", 4)
                with self._lock:
                    self.arrivals.append(Arrival(int(mono), int(wall), webhook_id, timestamp))
                    self.counts[webhook_id] += 1
            elif line.startswith("S "):
                self._verify(json.loads(line[2:]))
            elif line.startswith("LISTENING "):
                self.port = int(line.split()[1])
                self._listening.set()

    def _verify(self, sample: dict) -> None:
        """Check a message's signature at once: verify() refuses timestamps more than
        five minutes from now."""
        headers = sample["headers"]
        if self.signer is None:
            return
        try:
            self.signer.verify(sample["body"], headers)
            error = None
        except WebhookVerificationError as exc:
            error = str(exc)
        with self._lock:
            self.verified.append(Verified(headers.get("webhook-id", "-"), error))

    def arrived(self, ids: list[str]) -> int:
        """How many of these ids have arrived at least once."""
        with self._lock:
            return sum(1 for i in ids if i in self.counts)

    def wait_for(self, ids: list[str], *, workers: list[Worker], stall_s: float) -> bool:
        """Until every id has arrived (True) or nothing new has arrived for `stall_s`
        seconds (False)."""
        seen, progress_at = -1, time.monotonic()
        while True:
            self.check_alive()
            for worker in workers:
                worker.check_alive()
            arrived = self.arrived(ids)
            if arrived == len(ids):
                return True
            if arrived != seen:
                seen, progress_at = arrived, time.monotonic()
            elif time.monotonic() - progress_at > stall_s:
                return False
            time.sleep(POLL_S)

    def arrivals_of(self, ids: list[str]) -> list[Arrival]:
        wanted = set(ids)
        with self._lock:
            return [a for a in self.arrivals if a.webhook_id in wanted]

    def verified_of(self, ids: list[str]) -> list[Verified]:
        wanted = set(ids)
        with self._lock:
            return [v for v in self.verified if v.webhook_id in wanted]

    def unexpected(self, known: set[str]) -> int:
        """Arrivals whose webhook-id is no event this benchmark wrote."""
        with self._lock:
            return sum(n for webhook_id, n in self.counts.items() if webhook_id not in known)

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise BenchError(f"the receiver exited with {self.process.returncode}:\n"
                             + self.log_path.read_text(errors="replace"))

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        stop_process(self.process)
        self._thread.join(timeout=5)


# --- CPU use -------------------------------------------------------------------------

@dataclass
class CpuUse:
    """CPU seconds over a measured window, per party."""

    wall_s: float
    workers: list[float]
    receiver: float
    postgres: float
    script: float  # this process: the reader thread, the waits, the memory sampling
    machine: float

    def lines(self, window: str) -> list[str]:
        def pct(seconds: float) -> str:
            return f"{100 * seconds / self.wall_s:.0f}" if self.wall_s > 0 else "-"
        workers = " + ".join(pct(w) for w in self.workers)
        rest = self.machine - sum(self.workers) - self.receiver - self.postgres - self.script
        return [(f"CPU {window}, % of one core: worker{'s' if len(self.workers) > 1 else ''} "
                 f"{workers}, receiver {pct(self.receiver)}, PostgreSQL backends "
                 f"{pct(self.postgres)}, this script {pct(self.script)}"),
                (f"  whole machine {pct(self.machine)} of {100 * (os.cpu_count() or 1)}, of "
                 f"which everything else (psql, PostgreSQL's own processes, other work) "
                 f"{pct(max(rest, 0))}")]


class CpuMeter:
    """CPU time of the workers, the receiver, this database's PostgreSQL backends and
    the machine, from a start to a stop."""

    def __init__(self, workers: list[Worker], receiver: Receiver, database: str) -> None:
        self.workers, self.receiver, self.database = workers, receiver, database

    def _snapshot(self) -> tuple[float, list[float], float, dict[int, float], float, float]:
        return (time.monotonic(), [w.cpu_seconds() for w in self.workers],
                self.receiver.cpu_seconds(),
                {pid: cpu_seconds(pid) for pid in postgres_backends(self.database)},
                time.process_time(), machine_cpu().busy)

    def start(self) -> None:
        self._start = self._snapshot()

    def stop(self) -> CpuUse:
        t0, workers0, receiver0, pg0, script0, machine0 = self._start
        t1, workers1, receiver1, pg1, script1, machine1 = self._snapshot()
        # Backends that ended in between are missed; the workers' pools keep theirs open.
        postgres = sum(seconds - pg0.get(pid, 0.0) for pid, seconds in pg1.items())
        return CpuUse(t1 - t0,
                      [b - a for a, b in zip(workers0, workers1, strict=True)],
                      receiver1 - receiver0, postgres, script1 - script0, machine1 - machine0)


# --- Runs ----------------------------------------------------------------------------

@dataclass
class ThroughputRun:
    workers: int
    events: int
    delivered: int          # distinct ids that arrived
    arrivals: int           # arrivals of those ids (duplicates included)
    window_s: float         # first to last arrival
    commit_to_last_s: float
    rss_peaks_mib: list[float]
    per_worker: list[float]  # deliveries by each worker in the run (its metrics)
    signatures: list[Verified]
    database: str
    cpu: CpuUse
    metrics: list[list[str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return (self.delivered - 1) / self.window_s if self.window_s > 0 else 0.0

    @property
    def duplicates(self) -> int:
        return self.arrivals - self.delivered

    @property
    def missing(self) -> int:
        return self.events - self.delivered


@dataclass
class LagRun:
    seconds: float
    rate: float
    produced: int
    produce_s: float
    delivered: int
    arrivals: int
    lags_ms: list[float]
    rss_peak_mib: float
    signatures: list[Verified]
    database: str
    cpu: CpuUse
    metrics: list[str]

    def percentile(self, p: float) -> float:
        """Nearest rank: the smallest lag with at least p% of the lags at or below it."""
        ordered = sorted(self.lags_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]


def start_workers(count: int, env: dict[str, str], tmp: Path, label: str) -> list[Worker]:
    """Start `count` workers and wait until each is ready (all stopped again if not)."""
    workers = [Worker(env, tmp / f"{label}-worker{i + 1}.log", f"worker {i + 1}")
               for i in range(count)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.wait_ready()
    except BaseException:
        for worker in workers:
            worker.stop()
        raise
    print(f"    {', '.join(f'{w.name} pid {w.pid}' for w in workers)} ready", flush=True)
    return workers


def warm_up(count: int, database: str, source: EventSource, receiver: Receiver,
            workers: list[Worker], known: set[str], *, stall_s: float) -> None:
    """Deliver `count` events, not measured: connections opened, statements prepared."""
    if count <= 0:
        return
    ids = insert_events(database, source, count)
    known.update(ids)
    if not receiver.wait_for(ids, workers=workers, stall_s=stall_s):
        raise BenchError(f"warm-up: only {receiver.arrived(ids)} of {count} events arrived "
                         f"(nothing new for {stall_s:g} s):\n{workers[0].log_tail()}")


def throughput(k: int, *, env: dict[str, str], tmp: Path, database: str,
               source: EventSource, receiver: Receiver, known: set[str],
               args: argparse.Namespace) -> ThroughputRun:
    print(f"  throughput, {k} worker{'s' if k > 1 else ''}: starting ...", flush=True)
    workers = start_workers(k, env, tmp, f"throughput{k}")
    try:
        warm_up(args.warmup, database, source, receiver, workers, known,
                stall_s=args.stall_timeout)
        delivered_before = [w.delivered() for w in workers]
        peaks = [MemoryPeak(w) for w in workers]
        with contextlib.ExitStack() as stack:
            for peak in peaks:
                stack.enter_context(peak)
            before = last_event_id(database)
            print(f"  throughput, {k} worker{'s' if k > 1 else ''}: {args.events} events "
                  "in one transaction ...", flush=True)
            ids = insert_events(database, source, args.events)
            committed_ns = time.monotonic_ns()
            meter = CpuMeter(workers, receiver, database)
            meter.start()
            known.update(ids)
            after = last_event_id(database)
            complete = receiver.wait_for(ids, workers=workers, stall_s=args.stall_timeout)
            arrivals = receiver.arrivals_of(ids)
            first = min((a.mono_ns for a in arrivals), default=committed_ns)
            last = max((a.mono_ns for a in arrivals), default=committed_ns)
            cpu = meter.stop()
        if not complete:
            print(f"    nothing new for {args.stall_timeout:g} s: "
                  f"{receiver.arrived(ids)} of {args.events} arrived", flush=True)
        metrics = [w.metrics() for w in workers]
        per_worker = [w.delivered() - d for w, d in zip(workers, delivered_before, strict=True)]
    finally:
        for worker in workers:
            worker.stop()
    if args.verbose:
        for worker in workers:
            print(f"\n{worker.name} log (tail):\n{worker.log_tail()}")
    return ThroughputRun(
        workers=k, events=args.events, delivered=len({a.webhook_id for a in arrivals}),
        arrivals=len(arrivals), window_s=(last - first) / 1e9,
        commit_to_last_s=(last - committed_ns) / 1e9, rss_peaks_mib=[p.peak for p in peaks],
        per_worker=per_worker, signatures=receiver.verified_of(ids),
        database=deliveries_in_database(database, before, after), cpu=cpu, metrics=metrics)


class Producer:
    """One `psql` session fed INSERT statements on its standard input: each runs in
    its own transaction (psql autocommits), with `occurred_at = now()`."""

    def __init__(self, database: str, log_path: Path) -> None:
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST, "-p",
                 str(PG_PORT), "-U", PG_USER, "-d", database],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log, text=True,
                start_new_session=True)
        self.log_path = log_path

    def insert(self, event_id: str, subject: str, data: str) -> None:
        assert self.process.stdin is not None
        quoted = data.replace("'", "''")
        self.process.stdin.write(
            "INSERT INTO event (event_id, type, subject, data, occurred_at) VALUES "
            f"('{event_id}', '{EVENT_TYPE}', '{subject}', '{quoted}', now());\n")
        self.process.stdin.flush()

    def finish(self) -> None:
        """Close its input and wait until it has run (and committed) every statement."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            returncode = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise BenchError("the producer's psql did not finish within 60 s") from None
        if returncode != 0:
            raise BenchError("the producer's psql failed:\n"
                             + self.log_path.read_text(errors="replace"))

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def lag(*, env: dict[str, str], tmp: Path, database: str, source: EventSource,
        receiver: Receiver, known: set[str], args: argparse.Namespace) -> LagRun:
    print("  lag, 1 worker: starting ...", flush=True)
    workers = start_workers(1, env, tmp, "lag")
    worker = workers[0]
    try:
        warm_up(args.warmup, database, source, receiver, workers, known,
                stall_s=args.stall_timeout)
        count = round(args.lag_rate * args.lag_seconds)
        print(f"  lag, 1 worker: producing {args.lag_rate:g} events/s for "
              f"{args.lag_seconds:g} s ...", flush=True)
        before = last_event_id(database)
        ids: list[str] = []
        with MemoryPeak(worker) as peak:
            meter = CpuMeter(workers, receiver, database)
            meter.start()
            producer = Producer(database, tmp / "producer.log")
            try:
                started = time.monotonic()
                for i in range(count):
                    delay = started + i / args.lag_rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    event_id, subject, data = source.one()
                    producer.insert(event_id, subject, data)
                    ids.append(event_id)
                    known.add(event_id)
                produce_s = time.monotonic() - started
                producer.finish()
            finally:
                producer.kill()
            complete = receiver.wait_for(ids, workers=workers, stall_s=args.stall_timeout)
            cpu = meter.stop()
        if not complete:
            print(f"    nothing new for {args.stall_timeout:g} s: "
                  f"{receiver.arrived(ids)} of {count} arrived", flush=True)
        after = last_event_id(database)
        metrics = worker.metrics()
    finally:
        worker.stop()
    if args.verbose:
        print(f"\n{worker.name} log (tail):\n{worker.log_tail()}")
    arrivals = receiver.arrivals_of(ids)
    lags_ms = []
    for arrival in arrivals:
        try:
            occurred = datetime.fromisoformat(arrival.timestamp)
        except ValueError:
            raise BenchError(f"message {arrival.webhook_id} has no ISO timestamp: "
                             f"{arrival.timestamp!r}") from None
        lags_ms.append((arrival.wall_ns - occurred.timestamp() * 1e9) / 1e6)
    return LagRun(
        seconds=args.lag_seconds, rate=args.lag_rate, produced=count, produce_s=produce_s,
        delivered=len({a.webhook_id for a in arrivals}), arrivals=len(arrivals),
        lags_ms=lags_ms, rss_peak_mib=peak.peak, signatures=receiver.verified_of(ids),
        database=deliveries_in_database(database, before, after), cpu=cpu, metrics=metrics)


# --- Setup ---------------------------------------------------------------------------

def subscribe(env: dict[str, str], tmp: Path, receiver_url: str) -> str:
    """Create the subscription through the API; returns its signing secret."""
    with running_server(env, tmp / "server.log", announce=False) as server:
        token = mint_token(env, **ADMIN)
        response = httpx.post(
            f"{server.base_url}/api/v1/webhooks", timeout=30,
            headers={"Authorization": f"Bearer {token}"},
            json={"url": receiver_url, "event_types": [EVENT_TYPE],
                  "description": "bench_webhooks.py receiver"})
        if response.status_code != 201:
            raise BenchError(f"creating the subscription: {response.status_code} "
                             f"{response.text[:500]}")
        return str(response.json()["secret"])


# --- Report --------------------------------------------------------------------------

def signatures_line(verified: list[Verified]) -> str:
    failed = [v for v in verified if v.error is not None]
    line = f"signatures: {len(verified) - len(failed)} of {len(verified)} sampled messages verify"
    if failed:
        line += f" (first failure: {failed[0].webhook_id}: {failed[0].error})"
    return line


def metric_lines(lines: list[str], *, verbose: bool) -> list[str]:
    """Without --verbose, the histograms' buckets and the _created stamps are left out."""
    if verbose:
        return lines
    return [line for line in lines if "_bucket{" not in line and "_created" not in line]


def print_report(runs: list[ThroughputRun], lag_run: LagRun | None,
                 args: argparse.Namespace, unexpected: int) -> None:
    print()
    if runs:
        print(f"Throughput: {args.events} {EVENT_TYPE} events committed in one transaction "
              f"({args.customers} subjects), one subscription; after {args.warmup} "
              "warm-up deliveries per run")
        print()
        print(f"  {'workers':<8}{'deliv/s':>9}{'window s':>10}{'commit->last s':>16}"
              f"{'delivered':>11}{'dups':>6}{'missing':>9}   {'worker RSS peak MiB':<20}")
        for run in runs:
            peaks = " / ".join(f"{p:.1f}" for p in run.rss_peaks_mib)
            print(f"  {run.workers:<8}{run.rate:>9.1f}{run.window_s:>10.2f}"
                  f"{run.commit_to_last_s:>16.2f}{run.delivered:>11}{run.duplicates:>6}"
                  f"{run.missing:>9}   {peaks}")
        for run in runs:
            print()
            print(f"  {run.workers} worker{'s' if run.workers > 1 else ''}:")
            if run.workers > 1:
                shares = ", ".join(f"{n:.0f}" for n in run.per_worker)
                print(f"    deliveries by worker (their counters): {shares}")
            print(f"    database: {run.database}")
            print(f"    {signatures_line(run.signatures)}")
            for line in run.cpu.lines("from the commit to the last delivery"):
                print(f"    {line}")
            if run.delivered:
                per_delivery_ms = 1000 * sum(run.cpu.workers) / run.delivered
                print(f"    worker CPU per delivery: {per_delivery_ms:.2f} ms"
                      f"{' (all workers)' if run.workers > 1 else ''}")
            for i, lines in enumerate(run.metrics, start=1):
                print(f"    worker {i} metrics (counters include its warm-up):")
                for line in metric_lines(lines, verbose=args.verbose):
                    print(f"      {line}")
    if lag_run is not None:
        produced_rate = lag_run.produced / lag_run.produce_s if lag_run.produce_s else 0.0
        print()
        print(f"Lag: 1 worker; {lag_run.produced} events, each committed on its own, at "
              f"{produced_rate:.1f} events/s for {lag_run.produce_s:.1f} s; arrival at the "
              "receiver minus the message's timestamp")
        print()
        print(f"  {'p50 ms':>8}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'count':>8}"
              f"{'dups':>6}{'missing':>9}   {'worker RSS peak MiB':<20}")
        print(f"  {lag_run.percentile(50):>8.1f}{lag_run.percentile(90):>9.1f}"
              f"{lag_run.percentile(99):>9.1f}{max(lag_run.lags_ms, default=float('nan')):>9.1f}"
              f"{len(lag_run.lags_ms):>8}{lag_run.arrivals - lag_run.delivered:>6}"
              f"{lag_run.produced - lag_run.delivered:>9}   {lag_run.rss_peak_mib:.1f}")
        print()
        print(f"    database: {lag_run.database}")
        print(f"    {signatures_line(lag_run.signatures)}")
        for line in lag_run.cpu.lines("over the lag run"):
            print(f"    {line}")
        if lag_run.delivered:
            print(f"    worker CPU per delivery: "
                  f"{1000 * sum(lag_run.cpu.workers) / lag_run.delivered:.2f} ms")
        lag_metrics = [line for line in lag_run.metrics
                       if line.startswith("salesflow_webhook_delivery_lag_seconds_")
                       and "_bucket{" not in line and "_created" not in line]
        if lag_metrics:
            print(f"    worker metrics (with warm-up): {'; '.join(lag_metrics)}")
    if unexpected:
        print(f"\n  note: {unexpected} messages arrived whose webhook-id is no event this "
              "benchmark wrote")

    checks = []
    one = next((run for run in runs if run.workers == 1), None)
    if one is not None:
        checks.append((f"1 worker >= {TARGET_DELIVERIES_PER_S} deliv/s",
                       f"{one.rate:.1f} deliv/s", one.rate >= TARGET_DELIVERIES_PER_S))
    if lag_run is not None:
        p99 = lag_run.percentile(99)
        checks.append((f"lag p99 < {TARGET_LAG_P99_MS} ms at {lag_run.rate:g}/s",
                       f"{p99:.1f} ms", p99 < TARGET_LAG_P99_MS))
    exact = all(run.missing == 0 and run.duplicates == 0 for run in runs) and (
        lag_run is None or (lag_run.delivered == lag_run.produced
                            and lag_run.arrivals == lag_run.delivered))
    checks.append(("every event exactly once", "yes" if exact else "no", exact))
    verified = [v for run in runs for v in run.signatures] + (
        lag_run.signatures if lag_run else [])
    good = sum(1 for v in verified if v.error is None)
    checks.append(("sampled signatures verify", f"{good} of {len(verified)}",
                   bool(verified) and good == len(verified)))
    print_targets(checks)
    peaks = [p for run in runs for p in run.rss_peaks_mib] + (
        [lag_run.rss_peak_mib] if lag_run else [])
    if peaks:
        print(f"\n  worker RSS peak {max(peaks):.1f} MiB (for reference: the worker's memory "
              f"limit in deploy/k8s is {WORKER_MEMORY_LIMIT_MIB} Mi)")


# --- Main ----------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000,
                        help="events per throughput run (default 20000)")
    parser.add_argument("--workers", default="1,2",
                        help="the throughput runs: worker processes in each (default 1,2; "
                             "an empty value skips them)")
    parser.add_argument("--customers", type=int, default=1000,
                        help="subjects the events are spread over (default 1000)")
    parser.add_argument("--warmup", type=int, default=1000,
                        help="events delivered before each run, not measured (default 1000; "
                             "0 turns it off)")
    parser.add_argument("--lag-seconds", type=float, default=30,
                        help="how long the lag run produces events (default 30; 0 skips it)")
    parser.add_argument("--lag-rate", type=float, default=100,
                        help="events per second in the lag run (default 100)")
    parser.add_argument("--stall-timeout", type=float, default=60,
                        help="give up waiting for deliveries after this many seconds without "
                             "a new one (default 60)")
    parser.add_argument("--log-level", default="WARNING",
                        help="SALESFLOW_LOG_LEVEL for the server and the workers "
                             "(default WARNING)")
    parser.add_argument("--keep-db", action="store_true",
                        help="do not drop the benchmark database at the end")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also print every metrics line and the workers' log tails")
    args = parser.parse_args()
    try:
        args.workers = [int(k) for k in args.workers.split(",") if k.strip()]
    except ValueError:
        parser.error("--workers must be a comma-separated list of numbers, e.g. 1,2")
    if any(k < 1 for k in args.workers):
        parser.error("--workers: each run needs at least one worker")
    if args.events < 2:
        parser.error("--events must be at least 2")
    if args.customers < 1 or args.warmup < 0 or args.lag_seconds < 0 or args.lag_rate <= 0:
        parser.error("--customers must be positive, --warmup and --lag-seconds not "
                     "negative, --lag-rate positive")
    if args.stall_timeout <= 0:
        parser.error("--stall-timeout must be positive")
    return args


def run(args: argparse.Namespace) -> None:
    check_tools(("psql",))
    env = server_env(args.log_level, environment="development")
    env["SALESFLOW_WEBHOOK_SECRETS_KEYS"] = json.dumps([secrets.token_hex(32)])
    env["SALESFLOW_IN_PROCESS_WORKER"] = "false"
    name = f"salesflow_bench_{os.getpid()}"
    print_header("webhook")
    overrides = sorted(f"{k}={v}" for k, v in env.items()
                       if k.startswith(("SALESFLOW_WEBHOOK_", "SALESFLOW_DB_", "SALESFLOW_WORKER_"))
                       and k != "SALESFLOW_WEBHOOK_SECRETS_KEYS")
    print(f"  SALESFLOW_ENVIRONMENT=development, SALESFLOW_LOG_LEVEL={args.log_level}; "
          f"settings from your environment: {', '.join(overrides) or 'none (app defaults)'}")

    with migrated_database(name, env, keep=args.keep_db) as tmp:
        receiver = Receiver(tmp / "receiver.log")
        try:
            receiver.start()
            print(f"  receiver pid {receiver.pid} at {receiver.url}; subscribing it through "
                  "the API ...", flush=True)
            secret = subscribe(env, tmp, receiver.url)
            receiver.signer = Webhook(secret)

            source = EventSource(args.customers)
            known: set[str] = set()
            runs = [throughput(k, env=env, tmp=tmp, database=name, source=source,
                               receiver=receiver, known=known, args=args)
                    for k in args.workers]
            lag_run = None
            if args.lag_seconds > 0:
                lag_run = lag(env=env, tmp=tmp, database=name, source=source,
                              receiver=receiver, known=known, args=args)
            print_report(runs, lag_run, args, receiver.unexpected(known))
        finally:
            receiver.stop()


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
