#!/usr/bin/env python3
"""Audit chain verification over 2,000,000 sealed entries: the full check, the check of a
new batch from the verified checkpoint, `GET /audit-log/verify`, and sealing.

Run by hand from anywhere (it finds the repository from its own path):

    .venv/bin/python bench/bench_audit.py [--entries 2000000] [--batch 10000]

It creates a throwaway PostgreSQL database, migrates it, and loads `--entries` audit
entries already sealed: their hashes are computed in Python with the service's own
`row_hash` (the canonical serialisation every verification recomputes) and the rows are
written with `COPY` in chunks of 100,000, then the seal state is set to the last of them
and the table analysed. Then:

  full          `salesflow audit verify --full` (the CLI path, a subprocess): recomputes
                the whole chain and sets the verified checkpoint to its head; wall time
  seal          `--rounds` times, `--batch` new entries are inserted by SQL and sealed
                with `seal_pending` in process: entries sealed per second
  new batch     after each of those seals, `verify_since_checkpoint` in process: the time
                to verify the `--batch` entries sealed after the checkpoint (target < 1 s)
  GET verify    `GET /audit-log/verify` as an auditor, one at a time after a warm-up, on
                one uvicorn worker with its access log on: server time p50/p95 (target
                p95 < 50 ms), each answering from the checkpoint at the head

The database is dropped at the end, also on failure or Ctrl-C (unless --keep-db). A
measurement, not a test: the exit status is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
from _common import (
    ROOT,
    SALESFLOW,
    BenchError,
    Figure,
    add_report_arguments,
    check_report_arguments,
    database_url,
    main,
    measure_figures,
    mint_token,
    p95_checks,
    print_targets,
    psql,
    report_database,
    running_server,
)

from app.audit.service import row_hash

AUDITOR = {"sub": "auditor.bench", "roles": "auditor"}
COPY_CHUNK = 100_000
COLUMNS = ("id", "occurred_at", "actor_id", "on_behalf_of_id", "action", "entity_type",
           "entity_id", "before", "after", "request_id", "seq", "prev_hash", "hash")
TARGET_NEW_BATCH_S = 1.0
TARGET_VERIFY_P95_MS = 50.0

NEW_ENTRIES_SQL = """
INSERT INTO audit_entry (occurred_at, actor_id, action, entity_type, entity_id, before,
                         after, request_id)
SELECT now(), 'rep.bench.' || g % 50, 'customer.updated', 'customer',
       (g % 200000 + 1)::text, json_build_object('name', '客户' || g),
       json_build_object('name', '客户' || g, 'credit_limit', '1000.00'),
       'req-new-{round}-' || g
FROM generate_series(1, {count}) AS g
"""


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def load_sealed_entries(database: str, entries: int) -> tuple[int, str | None]:
    """Write `entries` sealed entries by COPY; returns the chain head (seq, hash)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    prev_hash: str | None = None
    copy = f"COPY audit_entry ({', '.join(COLUMNS)}) FROM STDIN"
    for first in range(1, entries + 1, COPY_CHUNK):
        buffer = io.StringIO()
        for n in range(first, min(first + COPY_CHUNK, entries + 1)):
            row = {
                "id": n, "occurred_at": start + timedelta(milliseconds=n * 7),
                "actor_id": f"rep.bench.{n % 50}", "on_behalf_of_id": None,
                "action": "customer.updated", "entity_type": "customer",
                "entity_id": str(n % 200_000 + 1),
                "before": {"name": f"客户{n}", "credit_limit": "500.00"},
                "after": {"name": f"客户{n}", "credit_limit": "1000.00", "version": n % 7},
                "request_id": f"req-{n:x}",
            }
            digest = row_hash(row, seq=n, prev_hash=prev_hash)
            values = [*(row[c] for c in COLUMNS[:10]), n, prev_hash, digest]
            values[1] = row["occurred_at"].isoformat()
            buffer.write("\t".join(_copy_text(v) if i != 10 else str(v)
                                   for i, v in enumerate(values)) + "\n")
            prev_hash = digest
        psql(copy, database=database, input=buffer.getvalue())
        print(f"    {min(first + COPY_CHUNK - 1, entries):,} entries", flush=True)
    psql(f"SELECT setval(pg_get_serial_sequence('audit_entry', 'id'), {entries})",
         database=database)
    psql(f"UPDATE audit_seal_state SET last_seq = {entries}, last_hash = '{prev_hash}', "
         "sealed_at = now() WHERE id = 1", database=database)
    return entries, prev_hash


async def seal_and_verify(url: str) -> tuple[int, float, int, float]:
    """Seal what is pending, then verify from the checkpoint, in process: (sealed, seconds,
    verified, seconds)."""
    from app.audit.service import seal_pending
    from app.audit.verification import verify_since_checkpoint
    from app.core.config import Settings
    from app.core.db import create_engine, create_sessionmaker

    engine = create_engine(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    try:
        sessionmaker = create_sessionmaker(engine)
        async with sessionmaker() as session:
            started, sealed = time.perf_counter(), 0
            while n := await seal_pending(session):
                sealed += n
            seal_s = time.perf_counter() - started
        async with sessionmaker() as session:
            started = time.perf_counter()
            result = await verify_since_checkpoint(session, by="bench")
            verify_s = time.perf_counter() - started
        if not result.valid:
            raise BenchError(f"the chain does not verify: {result}")
        return sealed, seal_s, result.entries_checked, verify_s
    finally:
        await engine.dispose()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=2_000_000,
                        help="sealed audit entries loaded (default 2000000)")
    parser.add_argument("--batch", type=int, default=10_000,
                        help="new entries sealed and verified per round (default 10000)")
    parser.add_argument("--rounds", type=int, default=3, help="new batches (default 3)")
    add_report_arguments(parser, benchmark="audit", requests=200, warmup=20,
                         requests_help="measured GET /audit-log/verify requests",
                         warmup_help="unmeasured requests first")
    args = parser.parse_args()
    check_report_arguments(parser, args, {"--entries": 1000, "--batch": 1, "--rounds": 1})
    return args


def run(args: argparse.Namespace) -> None:
    name = args.db_name
    url = database_url(name)
    with report_database("audit", args) as (env, tmp):
        print(f"  loading {args.entries:,} sealed entries by COPY ...", flush=True)
        started = time.perf_counter()
        load_sealed_entries(name, args.entries)
        load_s = time.perf_counter() - started
        psql("VACUUM ANALYZE audit_entry", database=name)

        print("  salesflow audit verify --full ...", flush=True)
        started = time.perf_counter()
        full = subprocess.run([str(SALESFLOW), "audit", "verify", "--full"], env=env,
                              cwd=ROOT, capture_output=True, text=True, check=False)
        full_s = time.perf_counter() - started
        if full.returncode != 0:
            raise BenchError(f"the full check failed:\n{full.stdout}{full.stderr[-2000:]}")

        rounds = []
        for round_ in range(args.rounds):
            psql(NEW_ENTRIES_SQL.format(round=round_, count=args.batch), database=name)
            rounds.append(asyncio.run(seal_and_verify(url)))
            sealed, seal_s, verified, verify_s = rounds[-1]
            print(f"  round {round_ + 1}: sealed {sealed:,} in {seal_s:.2f} s, verified "
                  f"{verified:,} from the checkpoint in {verify_s:.3f} s", flush=True)

        with running_server(env, tmp / "server.log") as server:
            token = mint_token(env, **AUDITOR)
            with httpx.Client(timeout=120) as client:
                # The first page of the log, in turns with it: what any read costs now.
                verify, page = measure_figures(
                    [Figure("GET verify", f"< {TARGET_VERIFY_P95_MS:.0f} ms",
                            "/api/v1/audit-log/verify", {}, token),
                     Figure("GET log page", "reference", "/api/v1/audit-log", {"limit": 1},
                            token)],
                    server, client, requests=args.requests, warmup=args.warmup)

    seal_rates = [sealed / seal_s for sealed, seal_s, _, _ in rounds]
    new_batch = [verify_s for _, _, _, verify_s in rounds]
    print()
    print(f"Results: {args.entries:,} sealed entries (loaded in {load_s:.0f} s), "
          f"{args.rounds} new batches of {args.batch:,}")
    print()
    print(f"  full check, CLI wall time      {full_s:>9.1f} s   "
          f"({args.entries / full_s:,.0f} entries/s)")
    print(f"    its own report: {full.stdout.strip().splitlines()[-1]}")
    print(f"  new batch from the checkpoint  {statistics.median(new_batch):>9.3f} s   "
          f"(median; each: {', '.join(f'{s:.3f}' for s in new_batch)})")
    print(f"  seal throughput                {statistics.median(seal_rates):>9,.0f} "
          f"entries/s (median of {len(seal_rates)})")
    print(f"  GET /audit-log/verify          p50 {verify.p50:.1f} ms, p95 {verify.p95:.1f} ms, "
          f"max {max(verify.durations_ms):.1f} ms (server time, {args.requests} requests)")
    print(f"  GET /audit-log?limit=1         p50 {page.p50:.1f} ms, p95 {page.p95:.1f} ms "
          "(reference: a plain read, in turns with it)")
    print(f"  load average at the end        {os.getloadavg()[0]:.1f}")
    print_targets([
        (f"new batch < {TARGET_NEW_BATCH_S:.0f} s", f"{max(new_batch):.3f} s",
         max(new_batch) < TARGET_NEW_BATCH_S),
        *p95_checks([verify], TARGET_VERIFY_P95_MS),
    ])


if __name__ == "__main__":
    sys.exit(main(lambda: run(parse_args())))
