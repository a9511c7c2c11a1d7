"""`seed-demo` on a fresh SQLite database: how long the first run takes (everything made)
and the second (nothing to make), wall clock and CPU. The target is under 10 s for the
first on an idle machine; on a busy one the wall clock grows with the CPU it is denied,
which the CPU figure shows."""

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.config import Settings
from app.core.migrations import upgrade
from app.seed import load_demo_data


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="salesflow-bench-seed-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'seed.db'}"
        upgrade(url)
        settings = Settings(_env_file=None, database_url=url,  # type: ignore[call-arg]
                            log_level="WARNING", in_process_worker=False)
        print(f"{'run':<8}{'wall s':>10}{'cpu s':>10}  made")
        for run in ("first", "second"):
            wall, cpu = time.perf_counter(), time.process_time()
            summary = asyncio.run(load_demo_data(settings))
            made = sum(summary["created"].values())
            print(f"{run:<8}{time.perf_counter() - wall:>10.2f}"
                  f"{time.process_time() - cpu:>10.2f}  {made}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
