"""The application factory: settings, middleware, error handlers, routers, lifespan."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from importlib.resources import files

import structlog
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from prometheus_client import start_http_server
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import worker
from app.api import API_TAGS, api_router
from app.core.clock import system_clock
from app.core.config import Settings, get_settings
from app.core.db import LostConnectionMiddleware, create_engine, create_sessionmaker
from app.core.errors import PROBLEM_MEDIA_TYPE, install_error_handlers, localised_problem
from app.core.i18n import LanguageMiddleware, set_default_language
from app.core.idempotency import IdempotencyMiddleware
from app.core.limits import RequestLimitMiddleware
from app.core.migrations import current_revision, head_revision, schema_is_compatible
from app.core.observability import ObservabilityMiddleware, configure_logging, metrics_endpoint
from app.core.openapi import install_openapi
from app.core.runtime import settle_heap
from app.core.security import TokenVerifier
from app.webhooks import metrics as webhook_metrics
from app.webhooks.catalog import document_webhooks

log = structlog.get_logger("salesflow")
# How stale the webhook backlog gauges may be on the metrics port: a usual scrape interval.
BACKLOG_REFRESH_SECONDS = 15.0
# Swagger UI and ReDoc assets, shipped as package data of fastapi-offline.
DOCS_ASSETS = files("fastapi_offline") / "static"

DESCRIPTION = """
salesflow runs a sales department from first lead to collected cash: leads,
opportunities, quotes, contracts, orders, deliveries, receivables and complaints,
with approvals, credit control and collection.

* **Auth**: `Authorization: Bearer <JWT>` (claims `sub`, `roles`, `dept`, `depts`).
* **Errors**: `application/problem+json` (RFC 9457) with a stable `code`; validation
  errors list each invalid value in `errors` (`loc`, `msg`).
* **Lists**: `?limit=` (≤ 200) and `?cursor=`; `{"items": [...], "next_cursor": ...}`.
* **Concurrency**: `ETag` on single resources; send `If-Match` to get 412 on stale writes.
* **Idempotency**: any POST accepts `Idempotency-Key`; retries replay the first response.
* **Events**: `GET /api/v1/events` for systems that poll; webhooks push the same events
  (the `webhooks` section lists each type and its payload).
* **Money**: decimal strings with two places.
* **Language**: send `Accept-Language` (simplified Chinese `zh-CN` or English `en`; any
  `zh-*` or `en-*` tag, q-values honoured; otherwise `SALESFLOW_DEFAULT_LANGUAGE`, `zh-CN`
  by default). Problems' `title` and `detail`, validation `msg`s and approval
  `fired_rules[].message` are rendered in it, with `Content-Language` and
  `Vary: Accept-Language`; codes are the same in every language, and
  `GET /api/v1/messages` has the label of each action, state, role and rule.
"""


# This server, wherever it is deployed: paths are relative to the host serving the document.
SERVERS = [{"url": "/", "description": "The server that serves this document"}]
CONTACT = {"name": "salesflow team", "url": "https://salesflow.dev"}
LICENSE = {"name": "Proprietary", "url": "https://salesflow.dev/license"}


def _operation_id(route: APIRoute) -> str:
    return route.name


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = create_engine(settings)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    task = None
    settle_heap()
    if settings.runs_worker_in_process:
        task = asyncio.create_task(
            worker.run_forever(app.state.sessionmaker, app.state.clock, settings))
    try:
        async with _metrics_port(settings, app.state.sessionmaker):
            yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(level=settings.log_level, json_logs=settings.log_json)
    app = FastAPI(
        title="salesflow",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=_operation_id,
        servers=SERVERS,
        openapi_tags=API_TAGS,
        contact=CONTACT,
        license_info=LICENSE,
    )
    app.state.settings = settings
    set_default_language(settings.default_language)
    app.state.token_verifier = TokenVerifier(settings)
    app.state.clock = system_clock
    app.state.head_revision = head_revision()

    install_error_handlers(app)
    app.include_router(api_router)
    document_webhooks(app)
    install_openapi(app)
    _add_operational_routes(app)
    _add_docs(app)

    # Outermost last: observability sees every response, idempotency replays included.
    app.add_middleware(IdempotencyMiddleware)
    # Outside idempotency: a lost connection while a key is claimed is a 503 too.
    app.add_middleware(LostConnectionMiddleware)
    # Outside idempotency and the retry of reads, the other readers of bodies; inside CORS,
    # so a browser can read the 413.
    app.add_middleware(RequestLimitMiddleware, max_body_bytes=settings.max_body_bytes,
                       max_header_bytes=settings.max_header_bytes)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["*"], allow_headers=["*"],
                           expose_headers=["ETag", "X-Request-ID", "Location"])
    app.add_middleware(ObservabilityMiddleware)
    # Outermost: every answer, the other middlewares' own refusals included, is rendered in
    # the caller's language.
    app.add_middleware(LanguageMiddleware, default_language=settings.default_language)
    return app


def _add_operational_routes(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        try:
            async with app.state.sessionmaker() as session:
                await session.execute(text("SELECT 1"))
                revision = await session.run_sync(lambda s: current_revision(s.connection()))
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            return _not_ready(f"database unreachable: {type(exc).__name__}")
        if not schema_is_compatible(revision, app.state.head_revision):
            return _not_ready(f"database at migration {revision}, code expects "
                              f"{app.state.head_revision}")
        return JSONResponse({"status": "ready", "migration": revision})

    if not app.state.settings.metrics_on_api_port:
        return

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        # The delivery backlog is counted at scrape time, so every API process shows it.
        await _refresh_backlog(app.state.sessionmaker)
        return await metrics_endpoint(request)


async def _refresh_backlog(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    # A database outage must not take the process metrics down with it.
    with contextlib.suppress(Exception):
        async with sessionmaker() as session:
            await webhook_metrics.refresh_backlog(session)


@contextlib.asynccontextmanager
async def _metrics_port(settings: Settings,
                        sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """Prometheus metrics on SALESFLOW_METRICS_PORT, for the platform's scraper only.

    The server runs in a thread that cannot reach this event loop's sessions, so the
    delivery backlog is counted here on a schedule rather than at scrape time.
    """
    if settings.metrics_port is None:
        if not settings.metrics_on_api_port:
            log.warning("metrics_not_served",
                        detail="set SALESFLOW_METRICS_PORT to serve Prometheus metrics")
        yield
        return
    server, thread = start_http_server(settings.metrics_port, addr=settings.metrics_host)

    async def refresh_forever() -> None:
        while True:
            await _refresh_backlog(sessionmaker)
            await asyncio.sleep(BACKLOG_REFRESH_SECONDS)

    refresher = asyncio.create_task(refresh_forever())
    try:
        yield
    finally:
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        thread.join()


def _not_ready(detail: str) -> JSONResponse:
    return JSONResponse(
        localised_problem({"type": "https://salesflow.dev/problems/not_ready",
                           "title": "Not ready", "status": 503, "detail": detail,
                           "code": "not_ready"}),
        status_code=503, media_type=PROBLEM_MEDIA_TYPE,
    )


def _add_docs(app: FastAPI) -> None:
    """Swagger UI 5 and ReDoc served from packaged assets: the docs work offline."""
    app.mount("/docs-assets", StaticFiles(directory=str(DOCS_ASSETS)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="salesflow — API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
            # No badge fetched from validator.swagger.io: the page stays fully offline.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json", title="salesflow — API reference",
            redoc_js_url="/docs-assets/redoc.standalone.js",
            redoc_favicon_url="/docs-assets/favicon.png", with_google_fonts=False,
        )


app = create_app()
