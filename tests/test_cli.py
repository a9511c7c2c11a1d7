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
    created = json.loads(first.output)["created"]
    assert created["departments"] == 3 and created["products"] >= 5 and created["customers"] >= 5
    again = json.loads(runner.invoke(cli, ["seed-demo"]).output)["created"]
    assert again == {"departments": 0, "products": 0, "customers": 0}


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
