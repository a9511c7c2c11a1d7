"""The `salesflow` command line, run as a user would (in-process through typer)."""

import json
from pathlib import Path

import pytest
from jose import jwt
from typer.testing import CliRunner

from app.cli import cli
from app.core.security import principal_from_claims

SECRET = "cli-test-secret-0123456789-0123456789"


@pytest.fixture
def runner(monkeypatch, tmp_path) -> CliRunner:
    from app.core.config import get_settings

    monkeypatch.setenv("SALESFLOW_JWT_SECRET", SECRET)
    monkeypatch.setenv("SALESFLOW_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SALESFLOW_LOG_LEVEL", "WARNING")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_token_mints_a_verifiable_development_token(runner):
    result = runner.invoke(cli, ["token", "--sub", "vp.li", "--roles", "deputy_gm",
                                 "--depts", "east,south", "--ttl", "5"])
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), SECRET, algorithms=["HS256"])
    principal = principal_from_claims(claims)
    assert principal.sub == "vp.li" and principal.depts == {"east", "south"}
    assert claims["exp"] - claims["iat"] == 300


def test_migrate_then_seed_demo_is_idempotent(runner):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    first = runner.invoke(cli, ["seed-demo"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    created = summary["created"]
    assert created["departments"] == 3 and created["products"] >= 5 and created["customers"] >= 5
    assert created["contracts"] >= 10 and created["leads"] == 5
    assert all(summary["inboxes"][sub] >= 1 for sub in
               ("head.wang", "vp.li", "gm.zhou", "fin.qian", "legal.he"))
    again = json.loads(runner.invoke(cli, ["seed-demo"]).output)
    assert set(again["created"].values()) == {0}
    assert again["inboxes"] == summary["inboxes"]


def test_seed_demo_prints_token_commands_that_work(runner):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    tokens = json.loads(runner.invoke(cli, ["seed-demo"]).output)["tokens"]
    command = tokens["head.wang"].split()
    assert command[:2] == ["salesflow", "token"]
    minted = runner.invoke(cli, command[1:])
    assert minted.exit_code == 0, minted.output
    claims = jwt.decode(minted.output.strip(), SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["roles"], claims["dept"]) == ("head.wang", ["dept_head"],
                                                                "east")


def test_openapi_writes_the_document(runner, tmp_path: Path):
    target = tmp_path / "openapi.json"
    assert runner.invoke(cli, ["openapi", "--output", str(target)]).exit_code == 0
    assert json.loads(target.read_text())["info"]["title"] == "salesflow"


def test_migrate_logs_in_the_structured_format(runner, monkeypatch):
    from app.core.observability import configure_logging

    monkeypatch.setenv("SALESFLOW_LOG_LEVEL", "INFO")
    try:
        result = runner.invoke(cli, ["migrate"])
    finally:
        configure_logging(level="WARNING", json_logs=True)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line]
    assert any(line.get("logger") == "alembic.runtime.migration"
               and line["event"].startswith("Running upgrade") for line in lines)
    assert "Running upgrade" not in result.stderr


def test_serve_refuses_several_workers_sharing_one_metrics_port(runner, monkeypatch):
    import uvicorn

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: started.append(kwargs))
    monkeypatch.setenv("SALESFLOW_METRICS_PORT", "9000")
    result = runner.invoke(cli, ["serve", "--workers", "2", "--no-migrate"])
    assert result.exit_code == 2 and "SALESFLOW_METRICS_PORT" in result.output
    assert started == []


def _calendar_rows(database: Path) -> dict[str, tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(database) as connection:
        return {day: (kind, name) for day, kind, name in
                connection.execute("SELECT day, kind, name FROM calendar_day")}


def test_calendar_import_cn_loads_the_official_year_once(runner, tmp_path: Path):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    first = runner.invoke(cli, ["calendar", "import-cn", "--year", "2026"])
    assert first.exit_code == 0, first.output
    assert first.output == "2026: 39 days, 39 created, 0 updated, 0 unchanged\n"
    days = _calendar_rows(tmp_path / "cli.db")
    assert [d for d, (kind, _) in days.items() if d.startswith("2026-10") and kind == "holiday"
            ] == [f"2026-10-0{d}" for d in range(1, 8)]
    assert days["2026-09-20"] == days["2026-10-10"] == ("workday", "国庆节调休上班")
    assert "2026-10-08" not in days
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.db") as connection:
        actors = connection.execute("SELECT DISTINCT actor_id FROM audit_entry "
                                    "WHERE entity_type = 'calendar_day'").fetchall()
    assert actors == [("system:calendar-import-cn",)]
    again = runner.invoke(cli, ["calendar", "import-cn", "--year", "2026"])
    assert again.output == "2026: 39 days, 0 created, 0 updated, 39 unchanged\n"


def test_calendar_import_cn_refuses_a_year_the_package_lacks(runner, tmp_path: Path):
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    result = runner.invoke(cli, ["calendar", "import-cn", "--year", "2026", "--year", "2027"])
    assert result.exit_code == 2
    assert "2004–2026 only, not 2027" in result.stderr
    assert _calendar_rows(tmp_path / "cli.db") == {}  # nothing of 2026 either


def test_calendar_import_cn_needs_a_year(runner):
    result = runner.invoke(cli, ["calendar", "import-cn"])
    assert result.exit_code == 2 and "--year" in result.output


def test_audit_verify_quick_and_full(runner, tmp_path: Path):
    """The quick check covers what was sealed after the checkpoint; an entry altered before
    it takes `--full`, which exits 1, after which the quick check reports it too."""
    import sqlite3

    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    assert runner.invoke(cli, ["calendar", "import-cn", "--year", "2026"]).exit_code == 0
    quick = runner.invoke(cli, ["audit", "verify"])
    assert quick.exit_code == 0, quick.output
    assert quick.stdout.startswith("valid: 39 entries checked (after the checkpoint at entry 0)")
    assert "checked 39 of 39 entries" in quick.stderr
    full = runner.invoke(cli, ["audit", "verify", "--full", "--batch", "100"])
    assert full.exit_code == 0 and "(the whole chain)" in full.stdout

    with sqlite3.connect(tmp_path / "cli.db") as connection:
        connection.execute("UPDATE audit_entry SET actor_id = 'forger' WHERE seq = 10")
    assert runner.invoke(cli, ["audit", "verify"]).stdout.startswith("valid: 0 entries")
    found = runner.invoke(cli, ["audit", "verify", "--full"])
    assert found.exit_code == 1
    assert found.stdout.splitlines()[-1].startswith(  # after the worker's structured log line
        "BROKEN at entry 10: the entry's content does not match its hash (9 entries intact")
    again = runner.invoke(cli, ["audit", "verify"])
    assert again.exit_code == 1 and again.stdout.startswith("BROKEN at entry 10:")
    with sqlite3.connect(tmp_path / "cli.db") as connection:
        announced = connection.execute("SELECT subject FROM event "
                                       "WHERE type = 'audit.chain_broken'").fetchall()
    assert announced == [("audit_chain:10",)]
