"""Ceilings on request bodies and headers, enforced before anything reads or
authenticates the request.

FastAPI reads a JSON body before it resolves the token, and the idempotency middleware
reads it to fingerprint the request, so without a limit any client (even one with no
token) could make a worker hold as much as it cares to send.
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PROBLEM_MEDIA_TYPE, AppError


class RequestTooLarge(AppError):
    # The code the error handlers already give any 413, so clients see one code for it.
    code = "request_too_large"
    status = 413
    title = "Request body too large"

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"The request body exceeds the limit of {max_bytes} bytes.",
                         max_bytes=max_bytes)


class RequestHeadersTooLarge(AppError):
    code = "request_headers_too_large"
    status = 431
    title = "Request header fields too large"

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"The request line and headers exceed {max_bytes} bytes.",
                         max_bytes=max_bytes)


class _BodyCutOff(Exception):
    """Raised into whatever is reading the body once it passes the limit."""


class RequestLimitMiddleware:
    """Refuses a header block over `max_header_bytes` with 431, and a body over
    `max_body_bytes` with 413: at once when Content-Length announces it (nothing is
    read), else as soon as the streamed chunks add up to more.

    Must sit outside every middleware that reads bodies, so none of them ever holds more
    than the limit.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        # The server bounds an unfinished head (app/core/http_server.py); a complete one
        # reaches the app whatever its size, and is refused here.
        if _header_block_size(scope) > self.max_header_bytes:
            return await _send_problem(send, RequestHeadersTooLarge(self.max_header_bytes))
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            return await _send_problem(send, RequestTooLarge(self.max_body_bytes))

        received = 0
        cut_off = False
        response_started = False

        async def receive_within_limit() -> Message:
            nonlocal received, cut_off
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    cut_off = True
                    raise _BodyCutOff
            return message

        async def send_unless_cut_off(message: Message) -> None:
            nonlocal response_started
            if cut_off and not response_started:
                # The inner layers may turn the cut-off into a response of their own
                # (FastAPI answers 400 for any error while parsing a body): the client's
                # answer is the 413 below.
                return
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive_within_limit, send_unless_cut_off)
        except Exception:
            if not cut_off or response_started:
                raise
        if cut_off and not response_started:
            await _send_problem(send, RequestTooLarge(self.max_body_bytes))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                # The server rejects a malformed length before the app runs; anywhere
                # else the streamed bytes are still counted.
                return None
    return None


def _header_block_size(scope: Scope) -> int:
    """The request target and header lines as the client sent them, near enough: each
    header is `name: value` and a line break."""
    target = len(scope.get("raw_path") or scope["path"].encode())
    target += len(scope.get("query_string", b""))
    return target + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


async def _send_problem(send: Send, error: AppError) -> None:
    body = json.dumps(error.to_problem()).encode()
    await send({"type": "http.response.start", "status": error.status, "headers": [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        # What the client sent is left unread, so the connection cannot be reused.
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
