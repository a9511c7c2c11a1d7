#!/usr/bin/env python3
"""Memory and time of a list exported as a file, at 10,000 and 100,000 rows.

Run by hand: `.venv/bin/python bench/bench_export.py [--rows 10000 100000]`

The customer list's export (`app/customers/exports.py`) is fed pages of 1,000 rows, as the
route reads them from the database (keyset pages), and the file answer is read to its end,
as a client downloads it. For CSV and XLSX at each size it prints the wall time, the file's
size and the peak of Python's allocations (tracemalloc) while writing and streaming: the
peak should stay flat as the rows grow tenfold (XlsxWriter's constant_memory mode, CSV
written as it goes). The database's side is not measured here: a page costs what the first
one does (keyset cursors). A measurement, not a test: the exit status is 0 whatever the
figures.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.export import EXPORT_PAGE, ExportFormat
from app.customers.exports import CUSTOMERS

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _row(n: int) -> SimpleNamespace:
    contact = SimpleNamespace(name=f"联系人{n}", phone=f"+86138{n:08d}",
                              email=f"c{n}@example.com")
    return SimpleNamespace(
        id=n, name=f"杭州第{n}号贸易有限公司", credit_code=None, contacts=[contact],
        address="浙江省杭州市西湖区文三路 100 号", owner_name="张三", owner_id="rep.zhang",
        department_id="east", credit_rating="B", credit_limit=Decimal(n) + Decimal("0.01"),
        payment_terms_days=30, is_key_customer=n % 7 == 0, created_at=NOW)


async def _export(rows: int, format: ExportFormat) -> tuple[float, int, int]:
    async def pages(cursor: str | None) -> tuple[list[SimpleNamespace], str | None]:
        start = int(cursor or 0)
        stop = min(start + EXPORT_PAGE, rows)
        return [_row(n) for n in range(start, stop)], (str(stop) if stop < rows else None)

    tracemalloc.start()
    began = time.perf_counter()
    response = await CUSTOMERS.response(format, now=NOW, pages=pages)
    size = 0
    async for chunk in response.body_iterator:
        size += len(chunk)
    elapsed = time.perf_counter() - began
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, size, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(f"{'format':<6} {'rows':>8} {'seconds':>8} {'file MiB':>9} {'peak MiB':>9}")
    for format in ExportFormat:
        for rows in args.rows:
            elapsed, size, peak = asyncio.run(_export(rows, format))
            print(f"{format.value:<6} {rows:>8} {elapsed:>8.1f} {size / 2**20:>9.2f} "
                  f"{peak / 2**20:>9.2f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
