"""The OpenAPI document as generated clients and readers need it to be: true.

FastAPI documents what a route declares. Much of what a client meets is not declared
by any route, because shared machinery does it: the token check (401), the middleware
that keeps `Idempotency-Key`s (400, 409, 422), the body limit (413), a lost database
(503), validation and malformed JSON (422, 400), `If-Match` (400, 412). This module
derives those from each operation's shape (its security, parameters, body and method)
and adds them to the document, so a route added later is documented the same way
without code of its own. It also:

* declares every refusal as the `application/problem+json` it is, with the real
  `Problem` schema, in place of FastAPI's `HTTPValidationError`;
* declares the `Content-Language` of every problem (rendered in the caller's language);
* declares the `Idempotency-Key` header on every POST and tidies `If-Match`;
* declares the `ETag` of versioned resources and the `Location` of created ones (the
  house rule: every single resource has a `version` and is served with it), and the
  `WWW-Authenticate` and `Retry-After` of the refusals that carry them;
* keeps one schema per model: where a model is both read and written, FastAPI would
  publish an `X-Input` and an `X-Output` pair, which generated clients handle badly; the
  pair becomes one `X` with the input (more liberal) form, while models only ever read
  keep their exact output form (decimal strings, not "number or string");
* marks the `webhooks` entries, which the service sends rather than serves, as needing
  no credentials of the receiver (`security: []`).
"""

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pydantic import TypeAdapter

from app.core.errors import (
    PROBLEM_MEDIA_TYPE,
    PROBLEM_SCHEMA_REF,
    AppError,
    MalformedJson,
    NotFound,
    PreconditionMalformed,
    Problem,
    ServiceUnavailable,
    StaleVersion,
    ValidationFailed,
    describe_errors,
)
from app.core.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    IdempotencyResponseNotKept,
)
from app.core.limits import RequestTooLarge
from app.core.pagination import CursorSortMismatch, InvalidCursor
from app.core.query_parameters import UnknownQueryParameter
from app.core.security import ExpiredToken, InvalidToken, MissingToken

SCHEMA_PREFIX = "#/components/schemas/"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# FastAPI's own validation schemas, replaced by Problem.
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_PAIR = re.compile(r"^(?P<name>.+)-(?:Input|Output)$")

IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Any unique value (a UUID is usual) that makes this POST safe to retry: a retry with "
        "the same key and body replays the first response (kept "
        "`SALESFLOW_IDEMPOTENCY_TTL_HOURS`, 24 by default); the same key with another body "
        "is 422 `idempotency.key_reused`; while the first is still running, 409 "
        "`idempotency.in_progress`. Keys are per caller."),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH,
               "pattern": "^[\\x21-\\x7e]+$"},
    "example": "5d1c7f0e-8b1e-4c53-9a4f-2f0c1e6b7a90",
}
IF_MATCH_DESCRIPTION = (
    "The `ETag` of the version you last read, e.g. `\"3\"`: the write is refused with 412 "
    "`precondition_failed` if the resource has changed since. Without it the write applies "
    "to whatever version is current; `*` asks for no check.")
IF_MATCH_SCHEMA = {"type": "string", "pattern": '^\\s*(\\*|(W/)?"[0-9]{1,18}")\\s*$'}

ETAG_HEADER = {"description": "The version of the resource returned, e.g. `\"3\"`: send it "
                              "back as `If-Match` to write it safely.",
               "required": True, "schema": {"type": "string"}}
LOCATION_HEADER = {"description": "Where the created resource can be read.",
                   "required": True, "schema": {"type": "string"}}
WWW_AUTHENTICATE_HEADER = {"description": "`Bearer`", "required": True,
                           "schema": {"type": "string"}}
# Declared once, referenced by every problem response: problems are rendered in the
# caller's language (app/core/i18n.py).
CONTENT_LANGUAGE_REF = {"$ref": "#/components/headers/ContentLanguage"}
CONTENT_LANGUAGE_HEADER = {
    "description": "The language of the problem's `title` and `detail` (`zh-CN` or `en`), "
                   "negotiated from `Accept-Language`; the answer varies by it.",
    "required": False, "schema": {"type": "string", "enum": ["zh-CN", "en"]}}
RETRY_AFTER_HEADER = {"description": "Seconds to wait before retrying.", "required": True,
                      "schema": {"type": "string"}}


@dataclass(frozen=True, slots=True)
class Shape:
    """What an operation's declaration says about the refusals it can meet."""

    method: str
    secured: bool
    path_parameters: bool
    query_parameters: frozenset[str]
    body: bool
    if_match: bool

    @property
    def has_input(self) -> bool:
        return self.path_parameters or bool(self.query_parameters) or self.body or self.if_match

    @property
    def post(self) -> bool:
        return self.method == "post"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refusal shared machinery gives every operation of some shape."""

    errors: tuple[type[AppError], ...]
    applies: Callable[[Shape], bool]
    headers: tuple[tuple[str, dict[str, Any]], ...] = ()
    # Only when the operation declares no refusal of this status itself (its own is the
    # more precise, e.g. `contract.not_found` rather than `not_found`).
    unless_declared: bool = False


def _retry_after(required: bool) -> tuple[tuple[str, dict[str, Any]], ...]:
    return (("Retry-After", {**RETRY_AFTER_HEADER, "required": required}),)


REFUSALS: tuple[Refusal, ...] = (
    Refusal((MalformedJson,), lambda s: s.body),
    Refusal((PreconditionMalformed,), lambda s: s.if_match),
    Refusal((IdempotencyKeyInvalid,), lambda s: s.post),
    Refusal((InvalidCursor,), lambda s: "cursor" in s.query_parameters),
    Refusal((CursorSortMismatch,), lambda s: "sort" in s.query_parameters),
    Refusal((UnknownQueryParameter,), lambda s: True),
    Refusal((MissingToken, InvalidToken, ExpiredToken), lambda s: s.secured,
            headers=(("WWW-Authenticate", WWW_AUTHENTICATE_HEADER),)),
    Refusal((NotFound,), lambda s: s.path_parameters, unless_declared=True),
    Refusal((IdempotencyInProgress, IdempotencyResponseNotKept), lambda s: s.post,
            headers=_retry_after(required=False)),
    Refusal((StaleVersion,), lambda s: s.if_match),
    Refusal((RequestTooLarge,), lambda s: s.body),
    Refusal((ValidationFailed,), lambda s: s.has_input),
    Refusal((IdempotencyKeyReused,), lambda s: s.post),
    Refusal((ServiceUnavailable,), lambda s: True, headers=_retry_after(required=True)),
)


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` (what /openapi.json serves and `salesflow openapi` writes)
    return the completed document; built once per set of routes, like FastAPI's own."""
    generate = app.openapi
    # FastAPI's document (regenerated when routes change) and the completed copy of it.
    built: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def openapi() -> dict[str, Any]:
        document = generate()
        if not built or built[0][0] is not document:
            built[:] = [(document, complete(copy.deepcopy(document)))]
        return built[0][1]

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """The document FastAPI generated, with what it cannot know added (see above)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    _merge_input_output_pairs(document, schemas)
    for name in FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas.update(_problem_schemas())
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    document["components"]["headers"] = {"ContentLanguage": CONTENT_LANGUAGE_HEADER}
    for method, operation in _operations(document.get("paths", {})):
        _tidy_if_match(operation)
        if method == "post":
            _add_parameter(operation, IDEMPOTENCY_KEY_PARAMETER)
        shape = shape_of(method, operation)
        _declare_refusals(operation, shape)
        _declare_success_headers(operation, schemas)
        operation["responses"] = dict(sorted(operation["responses"].items()))
    for _method, operation in _operations(document.get("webhooks", {})):
        # Sent by this service to the subscriber: the receiver's credentials are not ours
        # to describe (the request is signed instead, see the description).
        operation["security"] = []
    return document


def shape_of(method: str, operation: dict[str, Any]) -> Shape:
    parameters = operation.get("parameters", [])
    return Shape(
        method=method,
        secured=any(requirement for requirement in operation.get("security", [])),
        path_parameters=any(p.get("in") == "path" for p in parameters),
        query_parameters=frozenset(p["name"] for p in parameters if p.get("in") == "query"),
        body="requestBody" in operation,
        if_match=any(p.get("in") == "header" and p.get("name", "").lower() == "if-match"
                     for p in parameters),
    )


def _operations(paths: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in paths.values():
        for method in HTTP_METHODS:
            if method in item:
                yield method, item[method]


def _merge_input_output_pairs(document: dict[str, Any], schemas: dict[str, Any]) -> None:
    pairs = {match["name"] for name in schemas if (match := _PAIR.match(name))
             and f"{match['name']}-Input" in schemas and f"{match['name']}-Output" in schemas}
    if not pairs:
        return
    for name in pairs:
        schemas[name] = schemas.pop(f"{name}-Input")
        del schemas[f"{name}-Output"]
    renamed = {f"{SCHEMA_PREFIX}{name}-{side}": f"{SCHEMA_PREFIX}{name}"
               for name in pairs for side in ("Input", "Output")}
    _rewrite_refs(document, renamed)


def _rewrite_refs(node: Any, renamed: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in renamed:
            node["$ref"] = renamed[ref]
        for value in node.values():
            _rewrite_refs(value, renamed)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, renamed)


def _problem_schemas() -> dict[str, Any]:
    schema = TypeAdapter(Problem).json_schema(ref_template=SCHEMA_PREFIX + "{model}")
    definitions = schema.pop("$defs", {})
    return {"Problem": schema, **definitions}


def _tidy_if_match(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name", "").lower() == "if-match":
            parameter.update(name="If-Match", description=IF_MATCH_DESCRIPTION,
                             schema=dict(IF_MATCH_SCHEMA), example='"3"')


def _add_parameter(operation: dict[str, Any], parameter: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    if not any(p.get("in") == parameter["in"] and p.get("name", "").lower()
               == parameter["name"].lower() for p in parameters):
        parameters.append(copy.deepcopy(parameter))


def _declare_refusals(operation: dict[str, Any], shape: Shape) -> None:
    responses = operation.setdefault("responses", {})
    declared = {status: response for status, response in responses.items()
                if status[:1] in ("4", "5") and not _is_fastapi_validation(response)}
    for status in [s for s in responses if s[:1] in ("4", "5")]:
        if status not in declared:
            del responses[status]  # FastAPI's HTTPValidationError 422
    for refusal in REFUSALS:
        if not refusal.applies(shape):
            continue
        status = str(refusal.errors[0].status)
        if refusal.unless_declared and status in declared:
            continue
        response = responses.setdefault(status, {"description": ""})
        description = response["description"]
        missing = [e for e in refusal.errors if f"`{e.code}`" not in description]
        if missing:
            response["description"] = "; ".join(
                part for part in (description, describe_errors(missing)) if part)
        for name, header in refusal.headers:
            response.setdefault("headers", {}).setdefault(name, copy.deepcopy(header))
    for status, response in responses.items():
        if status[:1] in ("4", "5"):
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}}
            response.setdefault("headers", {})["Content-Language"] = dict(CONTENT_LANGUAGE_REF)


def _is_fastapi_validation(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref") == SCHEMA_PREFIX + "HTTPValidationError"


def _declare_success_headers(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    for status, response in operation["responses"].items():
        if status[:1] != "2" or not _is_versioned(response, schemas):
            continue
        headers = response.setdefault("headers", {})
        headers.setdefault("ETag", dict(ETAG_HEADER))
        if status == "201":
            # A versioned resource is one that can be read on its own: its URL is given.
            headers.setdefault("Location", dict(LOCATION_HEADER))


def _is_versioned(response: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """A single resource with a `version`: the house rule gives it an `ETag`."""
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    if not isinstance(ref, str) or not ref.startswith(SCHEMA_PREFIX):
        return False
    schema = schemas.get(ref.removeprefix(SCHEMA_PREFIX), {})
    return "version" in schema.get("properties", {})
