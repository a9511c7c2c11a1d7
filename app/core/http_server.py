"""The HTTP/1.1 protocol `salesflow serve` runs: uvicorn's httptools one, with a bound on
an unfinished request head.

uvicorn's httptools protocol (C parser) costs about 13 % less CPU per approval decision
than its h11 one (pure Python) on `bench_approvals.py`, but has no limit on the request line
and headers: a client trickling an endless header block would be buffered without end.
This subclass counts the bytes of a head that has not ended yet and answers 431 (and
closes) once they pass the limit. A complete head over the limit reaches the app, whose
`RequestLimitMiddleware` answers the same 431.

It relies on uvicorn's protocol calling `on_message_begin` and `on_headers_complete` (the
httptools parser's callbacks) from `data_received`; `tests/core/test_serving.py` runs a
real server with it, so an upgrade that changes that fails there.
"""

import asyncio
import json
from functools import cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.config import get_settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.limits import RequestHeadersTooLarge


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head over
    `SALESFLOW_MAX_HEADER_BYTES`. Named by import path in `salesflow serve`, so that worker
    processes (spawned, not forked) find it and read the limit from their settings."""

    _in_head = True     # between a message's first byte and the end of its headers
    _head_bytes = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_header_bytes = get_settings().max_header_bytes

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    _refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering: what the client still sends is read and dropped
        super().data_received(data)
        # Counted after parsing: a chunk that also ends the head (and carries body bytes)
        # has already left the head state and is not counted.
        if not self._in_head or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > self._max_header_bytes:
            self._refuse()

    def _refuse(self) -> None:
        # Answer, end our side, and keep reading a moment before closing: closing a socket
        # with unread data resets the connection, and the client would lose the answer.
        self._refused = True
        self.transport.write(_refusal(self._max_header_bytes))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        asyncio.get_running_loop().call_later(_LINGER_SECONDS, self.transport.close)


_LINGER_SECONDS = 2.0


@cache
def _refusal(max_header_bytes: int) -> bytes:
    error = RequestHeadersTooLarge(max_header_bytes)
    body = json.dumps(error.to_problem()).encode()
    return (b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: " + PROBLEM_MEDIA_TYPE.encode() + b"\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body)
