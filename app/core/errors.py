"""Typed application errors rendered as RFC 9457 application/problem+json."""

import datetime as dt
import json
from collections.abc import Iterable
from datetime import date
from typing import Annotated, Any, ClassVar, NotRequired

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field, with_config
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send
from typing_extensions import TypedDict

from app.core.i18n import current_language
from app.core.messages import problem_text, validation_message

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://salesflow.dev/problems/"
PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"


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
        """The problem in the caller's language (app/core/messages.py)."""
        return localised_problem({
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            **self.extra,
        })


def localised_problem(problem: dict[str, Any]) -> dict[str, Any]:
    """`problem` (written in English) with its title and detail in the caller's language."""
    title, detail = problem_text(problem["code"], problem, current_language(),
                                 title=problem["title"], detail=problem["detail"])
    return {**problem, "title": title, "detail": detail}


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


class MalformedJson(AppError):
    code = "request.malformed_json"
    status = 400
    title = "Malformed JSON body"


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


class ProblemError(TypedDict):
    """One invalid value of a request."""

    loc: Annotated[list[str | int], Field(
        description="Where: `body`, `query`, `path` or `header`, then the path to the value")]
    msg: Annotated[str, Field(description="What is wrong with it")]
    type: NotRequired[Annotated[str, Field(
        description="The kind of error (pydantic's error type), e.g. `missing`")]]


@with_config(ConfigDict(extra="allow"))
class Problem(TypedDict):
    """RFC 9457 problem details, with a stable machine-readable `code`.

    Beyond the standard members, some refusals carry facts a client can act on; each is
    present only on the refusals that name it (and further members may be added)."""

    type: Annotated[str, Field(description="URI naming the kind of problem")]
    title: Annotated[str, Field(description="Short summary of the kind of problem")]
    status: Annotated[int, Field(description="The HTTP status code")]
    detail: Annotated[str, Field(description="What went wrong in this occurrence")]
    code: Annotated[str, Field(description="Stable machine-readable code, e.g. "
                                           "`state.invalid_transition`")]
    errors: NotRequired[Annotated[list[ProblemError], Field(
        description="Each invalid value (validation errors and malformed JSON)")]]
    # Extension members: whatever `AppError(..., name=value)` is raised with somewhere
    # (tests/core/test_openapi.py finds every one and checks it is declared here).
    planned_at: NotRequired[Annotated[dt.datetime, Field(
        description="The visit's planned time")]]
    current_status: NotRequired[Annotated[str, Field(description="The document's status")]]
    current_stage: NotRequired[Annotated[str, Field(description="The opportunity's stage")]]
    allowed_next: NotRequired[Annotated[list[str], Field(
        description="The statuses or stages reachable from the current one")]]
    status_now: NotRequired[Annotated[str, Field(description="The record's status now")]]
    proposal_status: NotRequired[Annotated[str | None, Field(
        description="The opportunity's proposal status")]]
    quote_status: NotRequired[Annotated[str, Field(description="The quote's status")]]
    valid_until: NotRequired[Annotated[date, Field(description="The quote was valid until")]]
    current_version: NotRequired[Annotated[int | None, Field(
        description="The version now current (null: the record is gone)")]]
    contract_id: NotRequired[Annotated[int, Field(description="The contract concerned")]]
    product_ids: NotRequired[Annotated[list[int], Field(
        description="Products unknown or inactive")]]
    step_ids: NotRequired[Annotated[list[int], Field(
        description="The steps the caller may decide: name one as `step_id`")]]
    customer_owner_id: NotRequired[Annotated[str, Field(
        description="The rep who owns the customer")]]
    capability: NotRequired[Annotated[str, Field(description="The capability needed")]]
    max_rows: NotRequired[Annotated[int, Field(description="The most rows an import takes")]]
    row_errors: NotRequired[Annotated[list[dict[str, Any]], Field(description=(
        "An import's refused rows: `row` (the sheet's row number), `field`, `code`, "
        "`message` (in the caller's language)"))]]
    capabilities: NotRequired[Annotated[list[str], Field(
        description="The capabilities any of which would allow the operation")]]
    operation: NotRequired[Annotated[str, Field(description="The operation refused")]]
    field: NotRequired[Annotated[str, Field(description="The amount that is too large")]]
    floor_price: NotRequired[Annotated[str, Field(description="Decimal string")]]
    list_price: NotRequired[Annotated[str, Field(description="Decimal string")]]
    percent_total: NotRequired[Annotated[str, Field(
        description="What the payment schedule adds up to, a decimal string")]]
    days: NotRequired[Annotated[list[date], Field(description="The dates concerned")]]
    max_days: NotRequired[Annotated[int, Field(description="The longest range allowed")]]
    max_bytes: NotRequired[Annotated[int, Field(description="The size limit")]]
    order_status: NotRequired[Annotated[str, Field(description="The order's status")]]
    order_id: NotRequired[Annotated[int, Field(description="The order concerned")]]
    contract_status: NotRequired[Annotated[str, Field(description="The contract's status")]]
    orderable_states: NotRequired[Annotated[list[str], Field(
        description="The quote states the policy allows orders from")]]
    line_nos: NotRequired[Annotated[list[int], Field(description="Line numbers concerned")]]
    line_ids: NotRequired[Annotated[list[int], Field(description="Line ids unknown")]]
    total: NotRequired[Annotated[str, Field(
        description="The amount asked for, a decimal string")]]
    remainder: NotRequired[Annotated[str, Field(
        description="What is left of a budget item for the year, a decimal string")]]
    amount_over: NotRequired[Annotated[str, Field(
        description="How far the amount asked goes beyond the remainder, a decimal string")]]
    actual: NotRequired[Annotated[str, Field(
        description="Sales confirmed in the period, a decimal string")]]
    standard: NotRequired[Annotated[str, Field(
        description="The period's minimum control standard, a decimal string")]]
    deviation: NotRequired[Annotated[str, Field(
        description="actual − standard, a decimal string")]]
    remaining: NotRequired[Annotated[str, Field(
        description="What is left to call off, a decimal string")]]
    date: NotRequired[Annotated[dt.date, Field(description="The date refused")]]
    order_line_ids: NotRequired[Annotated[list[int], Field(
        description="Order lines unknown on this order")]]
    delivery_line_ids: NotRequired[Annotated[list[int], Field(
        description="Delivery lines unknown on this delivery")]]
    shipped_on: NotRequired[Annotated[date, Field(description="The day the goods were shipped")]]
    receivable_id: NotRequired[Annotated[int, Field(description="The receivable concerned")]]
    receivable_ids: NotRequired[Annotated[list[int], Field(
        description="Receivables unknown or not visible")]]
    payment_id: NotRequired[Annotated[int, Field(
        description="The earlier payment the payer's reference names")]]
    balance: NotRequired[Annotated[str, Field(
        description="What the receivable still owes, a decimal string")]]
    milestone_count: NotRequired[Annotated[int, Field(
        description="How many milestones the contract's payment schedule has")]]
    plan_id: NotRequired[Annotated[int, Field(description="The sales plan concerned")]]
    owner_id: NotRequired[Annotated[str, Field(description="The rep concerned")]]
    target_amount: NotRequired[Annotated[str, Field(
        description="The plan's (or the rep's) target, a decimal string")]]
    allocated: NotRequired[Annotated[str, Field(
        description="What the reps' targets add up to, a decimal string")]]
    difference: NotRequired[Annotated[str, Field(
        description="The target less what was given, a decimal string")]]
    lines: NotRequired[Annotated[list[dict[str, Any]], Field(
        description="Each line that does not fit, with the quantity asked (`requested`) and "
                    "what was left (`undelivered` or `returnable`), decimal strings")]]


def errors_doc(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route: each status with the codes it may carry. (The
    document adds the refusals every operation of its shape may meet: app/core/openapi.py.)"""
    by_status: dict[int, list[type[AppError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    return {
        status: {
            "description": describe_errors(group),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
        }
        for status, group in sorted(by_status.items())
    }


def describe_errors(errors: Iterable[type[AppError]]) -> str:
    return "; ".join(f"`{e.code}`: {e.title}" for e in errors)


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


def _msg(error: dict[str, Any]) -> str:
    return validation_message(error.get("type"), error.get("ctx"), error.get("msg", ""),
                              current_language())


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(MalformedJson(
            "The request body is not valid JSON.",
            errors=[{"loc": _loc(e), "msg": _msg(e)} for e in raw]).to_problem())
    errors = [{"loc": _loc(e), "msg": _msg(e), "type": e.get("type")} for e in raw]
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
    title, _ = problem_text(ValidationFailed.code, {}, current_language(),
                            title=ValidationFailed.title, detail=detail)
    # The detail lists the invalid values in the caller's language already.
    return problem_response(
        {
            "type": PROBLEM_TYPE_BASE + ValidationFailed.code,
            "title": title,
            "status": 422,
            "detail": detail,
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
        localised_problem({"type": PROBLEM_TYPE_BASE + code, "title": title,
                           "status": exc.status_code, "detail": detail, "code": code}),
        headers or None,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
