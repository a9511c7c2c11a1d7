"""Request ids, structured JSON logs and Prometheus metrics, in one ASGI middleware."""

import json
import logging
import re
import sys
import time
import uuid

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.context import request_id_var
from app.core.errors import localised_problem

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

REQUESTS = Counter(
    "salesflow_http_requests_total", "HTTP requests by route template, method and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "salesflow_http_request_duration_seconds", "HTTP request latency by route template",
    ["method", "route"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

access_log = structlog.get_logger("salesflow.access")
log = structlog.get_logger("salesflow.errors")

_INTERNAL_ERROR = {
    "type": "https://salesflow.dev/problems/internal_error", "title": "Internal server error",
    "status": 500, "detail": "An unexpected error occurred; it has been logged.",
    "code": "internal_error",
}


async def _send_internal_error(send: Send) -> None:
    body = json.dumps(localised_problem(_INTERNAL_ERROR)).encode()
    await send({"type": "http.response.start", "status": 500, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class _CurrentStdout:
    """Writes to whatever sys.stdout is at the time, not the one seen at configuration
    (loggers are cached; a replaced and closed stdout must not break logging)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


# Loggers of libraries that configure handlers of their own (uvicorn's log config, an
# alembic.ini read by fileConfig), which would write around the structured handler.
_LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.asgi", "alembic")
# ObservabilityMiddleware writes the access line, with the request id; uvicorn logs its
# own whenever this logger has a handler, even through propagation.
_UVICORN_ACCESS_LOGGER = "uvicorn.access"
# SQLAlchemy's echo adds a plain-text stdout handler to this logger unless it has one.
_SQL_ECHO_LOGGER = "sqlalchemy.engine.Engine"
_HANDLER_NAME = "salesflow.structured"


def configure_logging(*, level: str = "INFO", json_logs: bool = True) -> None:
    """One line format on stdout for our logs and every library's (uvicorn, alembic,
    SQLAlchemy): structlog renders both; standard-library records reach it through a
    handler on the root logger."""
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (structlog.processors.JSONRenderer() if json_logs
                else structlog.dev.ConsoleRenderer())
    numeric_level = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[*processors, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        # The factory is typed for a TextIO; the loggers only call write() and flush().
        logger_factory=structlog.PrintLoggerFactory(_CurrentStdout()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(_CurrentStdout())
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*processors, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer],
    ))
    root = logging.getLogger()
    # Configuring again (each app built in one process) replaces our handler, not adds one.
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    # Other libraries only get through with warnings (httpx would log every webhook
    # request at INFO); the ones whose start-up and progress lines matter get our level.
    root.setLevel(max(numeric_level, logging.WARNING))
    for name in _LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
        library_logger.setLevel(numeric_level)
    uvicorn_access = logging.getLogger(_UVICORN_ACCESS_LOGGER)
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    echo_logger = logging.getLogger(_SQL_ECHO_LOGGER)
    echo_logger.handlers = [handler]
    echo_logger.propagate = False


def route_template(scope: Scope) -> str:
    """The matched route as a low-cardinality label: `/api/v1/customers/{customer_id}`.

    Rebuilt from the matched path parameters, since included routers do not expose their
    full template; requests that matched no route share one label.
    """
    if scope.get("route") is None:
        return "unmatched"
    names = {str(value): name for name, value in (scope.get("path_params") or {}).items()}
    if not names:
        return scope["path"]
    return "/".join(f"{{{names[part]}}}" if part in names else part
                    for part in scope["path"].split("/"))


class ObservabilityMiddleware:
    """Assigns or echoes X-Request-ID, binds it to logs, counts and times each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        started_response = False

        async def send_tracked(message: Message) -> None:
            nonlocal started_response
            started_response = started_response or message["type"] == "http.response.start"
            await send_with_id(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            # Logged with its traceback for operators; the client gets a problem with the
            # request id to quote, never internals.
            log.exception("unhandled_error", exc_info=exc)
            if not started_response:
                await _send_internal_error(send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            template = route_template(scope)
            REQUESTS.labels(scope["method"], template, str(status)).inc()
            LATENCY.labels(scope["method"], template).observe(elapsed)
            principal = getattr(scope.get("state", {}).get("principal"), "sub", None)
            access_log.info(
                "request", method=scope["method"], path=scope["path"], route=template,
                status=status, duration_ms=round(elapsed * 1000, 2), principal=principal,
            )
            structlog.contextvars.unbind_contextvars("request_id")
            request_id_var.reset(token)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
