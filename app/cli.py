"""`salesflow`: serve, migrate, token, worker, seed-demo, calendar, audit, openapi."""

import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from app.core.config import Settings, get_settings

cli = typer.Typer(help="salesflow: the sales-department backend.", no_args_is_help=True,
                  add_completion=False)


calendar_cli = typer.Typer(help="The company calendar: holidays and make-up working days.",
                          no_args_is_help=True)
cli.add_typer(calendar_cli, name="calendar")

audit_cli = typer.Typer(help="The audit log's hash chain.", no_args_is_help=True)
cli.add_typer(audit_cli, name="audit")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    migrate: Annotated[bool | None, typer.Option(
        help="Apply migrations first (default: only on the embedded SQLite database)")] = None,
) -> None:
    """Run the HTTP API with uvicorn."""
    import uvicorn

    from app.core.migrations import upgrade

    settings = get_settings()
    if settings.metrics_port is not None and workers > 1:
        # Metrics live in each process, and only one of them can bind the port.
        raise typer.BadParameter(
            "SALESFLOW_METRICS_PORT serves one process's metrics: run --workers 1 and scale "
            "with more instances", param_hint="--workers")
    _configure_logging(settings)
    if migrate if migrate is not None else settings.migrate_on_start:
        upgrade(settings.database_url)
    uvicorn.run("app.main:app", host=host, port=port, workers=workers,
                **uvicorn_options(settings))


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Everything `serve` tells uvicorn besides the app, the address and the workers."""
    return {
        # httptools (C), with the bound on an unfinished request head it lacks.
        "http": "app.core.http_server:BoundedHttpToolsProtocol",
        "server_header": False,
        "proxy_headers": True,
        # ObservabilityMiddleware writes one structured line per request instead.
        "access_log": False,
        # Left unconfigured, uvicorn's loggers reach the structured handler on the root.
        "log_config": None,
        "log_level": settings.log_level.lower(),
    }


@cli.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply database migrations up to REVISION."""
    from app.core.migrations import upgrade

    settings = get_settings()
    _configure_logging(settings)
    upgrade(settings.database_url, revision)


@cli.command()
def token(
    sub: Annotated[str, typer.Option(help="User id")],
    roles: Annotated[str, typer.Option(help="Comma-separated roles, e.g. sales_rep,dept_head")],
    dept: Annotated[str | None, typer.Option(help="Home department id")] = None,
    depts: Annotated[str | None, typer.Option(help="Comma-separated overseen departments")] = None,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in minutes")] = 480,
) -> None:
    """Print a development JWT signed with SALESFLOW_JWT_SECRET."""
    from app.core.security import mint_token

    typer.echo(mint_token(
        get_settings(), sub=sub, roles=_split(roles), dept=dept,
        depts=_split(depts) if depts else None, name=name, ttl=timedelta(minutes=ttl),
    ))


@cli.command()
def worker(
    metrics_port: Annotated[int | None, typer.Option(
        help="Serve this worker's Prometheus metrics (webhook deliveries) on this port")] = None,
    metrics_host: Annotated[str, typer.Option(help="Address for --metrics-port")] = "0.0.0.0",
) -> None:
    """Run background work: webhook delivery, audit sealing, approval SLA escalation,
    quote expiry, retention."""
    from app import worker as background
    from app.core.clock import system_clock
    from app.core.db import create_engine, create_sessionmaker
    from app.core.observability import configure_logging
    from app.core.runtime import settle_heap

    settings = get_settings()
    configure_logging(level=settings.log_level, json_logs=settings.log_json)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr=metrics_host)

    async def run() -> None:
        engine = create_engine(settings)
        settle_heap()
        try:
            await background.run_forever(create_sessionmaker(engine), system_clock, settings)
        finally:
            await engine.dispose()

    asyncio.run(run())


@cli.command("seed-demo")
def seed_demo() -> None:
    """Load a small, realistic demo department: reference data, this year's official
    holidays, leads, opportunities, quotes, contracts in every state, an order shipped and
    invoiced, and requests waiting in each approver's inbox. A second run adds nothing."""
    from app.seed import load_demo_data
    from app.seed_department import SeedError

    try:
        summary = asyncio.run(load_demo_data(get_settings()))
    except SeedError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))


@calendar_cli.command("import-cn")
def calendar_import_cn(
    year: Annotated[list[int], typer.Option(
        "--year", help="A year to import (repeat for several)")],
) -> None:
    """Import the official Chinese public holidays and make-up working days (调休) of each
    YEAR, from the chinesecalendar package, as the system; a second run changes nothing."""
    from app.calendar.errors import OfficialYearUnknown
    from app.calendar.official import IMPORTER, import_official_days, official_days
    from app.core.db import create_engine, create_sessionmaker

    for each in year:  # every year known before anything is written
        try:
            official_days(each)
        except OfficialYearUnknown as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(2) from exc

    async def run() -> dict[int, dict[str, int]]:
        engine = create_engine(get_settings())
        sessionmaker = create_sessionmaker(engine)
        results = {}
        try:
            for each in year:
                async with sessionmaker() as session:
                    result = await import_official_days(session, IMPORTER, year=each)
                results[each] = result.model_dump()
        finally:
            await engine.dispose()
        return results

    for each, result in asyncio.run(run()).items():
        typer.echo(f"{each}: {result['count']} days, {result['created']} created, "
                   f"{result['updated']} updated, {result['unchanged']} unchanged")


@audit_cli.command("verify")
def audit_verify(
    full: Annotated[bool, typer.Option(
        "--full", help="Recompute the whole chain, not only what was sealed after the "
                       "verified checkpoint")] = False,
    batch: Annotated[int, typer.Option(min=100, max=100_000,
                                       help="Entries read per query")] = 10_000,
) -> None:
    """Seal what has committed, then verify the audit hash chain from the verified checkpoint,
    or with --full from its first entry: only that finds an entry altered at or before the
    checkpoint. A full check records its outcome and announces a new break
    (`audit.chain_broken`). Prints progress on stderr; exits 1 on a break."""
    from app.audit.service import seal_pending
    from app.audit.verification import ChainVerification, verify_since_checkpoint
    from app.core.db import create_engine, create_sessionmaker
    from app.worker import run_full_audit_check

    settings = get_settings()
    _configure_logging(settings)
    shown = [0.0]

    def progress(checked: int, total: int) -> None:
        # At most a line a second, and the last one.
        now = time.monotonic()
        if now - shown[0] >= 1 or checked >= total:
            shown[0] = now
            typer.echo(f"checked {checked:,} of {total:,} entries", err=True)

    async def run() -> ChainVerification:
        engine = create_engine(settings)
        sessionmaker = create_sessionmaker(engine)
        try:
            async with sessionmaker() as session:
                while await seal_pending(session):
                    pass
            if full:
                return await run_full_audit_check(sessionmaker, by="salesflow audit verify",
                                                  batch=batch, progress=progress)
            async with sessionmaker() as session:
                return await verify_since_checkpoint(session, by="salesflow audit verify",
                                                     batch=batch, progress=progress)
        finally:
            await engine.dispose()

    started = time.monotonic()
    result = asyncio.run(run())
    took = time.monotonic() - started
    scope = "the whole chain" if full else f"after the checkpoint at entry {result.from_seq}"
    if not result.valid:
        typer.echo(f"BROKEN at entry {result.first_invalid_seq}: {result.problem} "
                   f"({result.entries_checked:,} entries intact before it, {scope}; "
                   f"head {result.head_seq}; {took:.1f} s)")
        raise typer.Exit(1)
    typer.echo(f"valid: {result.entries_checked:,} entries checked ({scope}) up to the head "
               f"at entry {result.head_seq} in {took:.1f} s; verified checkpoint now at "
               f"entry {result.checkpoint_seq}")


@cli.command()
def openapi(
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout)")] = None,
) -> None:
    """Write the OpenAPI document the app serves (committed as openapi/openapi.json)."""
    from app.main import create_app

    document = json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(document, nl=False)
    else:
        output.write_text(document, encoding="utf-8")


def _configure_logging(settings: Settings) -> None:
    from app.core.observability import configure_logging

    configure_logging(level=settings.log_level, json_logs=settings.log_json)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def main() -> None:
    cli()
