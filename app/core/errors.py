"""Typed application errors rendered as RFC 9457 application/problem+json."""

import json
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://salesflow.dev/problems/"

class AppError(Exception):
    """A refusal the client can act on. Subclasses fix `code`, `status` and `title`."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request refused"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.title
        self.extra = extra
        super().__init__(self.detail)

    def to_problem(self) -> dict[str, Any]:
        return {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            **self.extra,
        }


class NotFound(AppError):
    code = "not_found"
    status = 404
    title = "Not found"


class Forbidden(AppError):
    code = "forbidden"
    status = 403
    title = "Not allowed"


class Unauthorized(AppError):
    code = "auth.invalid_token"
    status = 401
    title = "Authentication required"


class Conflict(AppError):
    code = "conflict"
    status = 409
    title = "Conflict"


class InvalidTransition(Conflict):
    code = "state.invalid_transition"
    title = "Action not allowed in the current state"


class StaleVersion(AppError):
    code = "precondition_failed"
    status = 412
    title = "The resource has changed since you read it"


class PreconditionMalformed(AppError):
    code = "precondition_malformed"
    status = 400
    title = "If-Match header is not a valid ETag"


class UnprocessableEntity(AppError):
    code = "unprocessable"
    status = 422
    title = "The request cannot be processed"


class ValidationFailed(UnprocessableEntity):
    code = "validation_error"
    title = "The request is invalid"


class ServiceUnavailable(AppError):
    code = "service.unavailable"
    status = 503
    title = "The service is briefly unavailable; retry shortly"


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable machine-readable `code`."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = None


def errors_doc(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route: each status with the codes it may carry."""
    by_status: dict[int, list[type[AppError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {}},
            "description": "; ".join(f"`{e.code}`: {e.title}" for e in group),
        }
        for status, group in sorted(by_status.items())
    }


def problem_response(problem: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem, status_code=problem["status"], media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


async def send_problem(send: Send, error: AppError,
                       headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A problem response sent by ASGI middleware, outside FastAPI's exception handlers."""
    body = json.dumps(error.to_problem()).encode()
    await send({
        "type": "http.response.start", "status": error.status,
        "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()), *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})


_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("auth.invalid_token", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    413: ("request_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
}


def _loc(error: dict[str, Any]) -> list[str | int]:
    return [part for part in error.get("loc", ())]


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(exc.to_problem(), headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(
            {
                "type": PROBLEM_TYPE_BASE + "request.malformed_json",
                "title": "Malformed JSON body",
                "status": 400,
                "detail": "The request body is not valid JSON.",
                "code": "request.malformed_json",
                "errors": [{"loc": _loc(e), "msg": e.get("msg", "")} for e in raw],
            }
        )
    errors = [{"loc": _loc(e), "msg": e.get("msg", ""), "type": e.get("type")} for e in raw]
    return problem_response(
        {
            "type": PROBLEM_TYPE_BASE + ValidationFailed.code,
            "title": ValidationFailed.title,
            "status": 422,
            "detail": "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5]
            ),
            "code": ValidationFailed.code,
            "errors": errors,
        }
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return problem_response(
        {"type": PROBLEM_TYPE_BASE + code, "title": title, "status": exc.status_code,
         "detail": detail, "code": code},
        headers or None,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
