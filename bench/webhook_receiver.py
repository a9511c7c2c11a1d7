#!/usr/bin/env python3
"""A minimal, fast webhook receiver for bench_webhooks.py (standard library only).

    python bench/webhook_receiver.py [--host 127.0.0.1] [--port 0] [--sample-every 500]

An asyncio HTTP/1.1 server that answers every request with `204 No Content` and keeps the
connection open (keep-alive; pipelined requests are answered in order). It reads the
request line, the headers and a `Content-Length` body; a chunked body is answered with 501
and the connection closed (httpx sends webhook bodies with Content-Length).

It writes to standard output, one line each:

    LISTENING <port>                                   once, when it accepts connections
    R <monotonic ns> <wall ns> <webhook-id> <timestamp>  per POST: when the whole request
                                                         had arrived, the `webhook-id`
                                                         header and the body's `timestamp`
                                                         ("-" when missing)
    S {"headers": {...}, "body": "..."}                 for the first 20 POSTs and every
                                                         --sample-every-th one after: the
                                                         whole message, to verify its
                                                         signature

Lines are written in batches every 50 ms, so the receiver spends its time receiving.
It stops on SIGTERM or SIGINT, or, when its standard input is a pipe, when that closes
(its parent has gone).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import stat
import sys
import time

MAX_HEAD_BYTES = 64 * 1024
FLUSH_INTERVAL_S = 0.05
FIRST_SAMPLES = 20

NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"
NO_CONTENT_CLOSE = b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"


def _error(status: str) -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()


class Recorder:
    """Collects the output lines and writes them in batches."""

    def __init__(self, sample_every: int) -> None:
        self.sample_every = sample_every
        self.posts = 0
        self.pending: list[bytes] = []
        self.out = sys.stdout.buffer

    def record(self, headers: dict[str, str], body: bytes, mono_ns: int, wall_ns: int) -> None:
        self.posts += 1
        webhook_id = headers.get("webhook-id") or "-"
        try:
            timestamp = json.loads(body).get("timestamp") or "-"
        except (ValueError, AttributeError):
            timestamp = "-"
        self.pending.append(f"R {mono_ns} {wall_ns} {webhook_id} {timestamp}\n".encode())
        if self.posts <= FIRST_SAMPLES or self.posts % self.sample_every == 0:
            sample = {"headers": headers, "body": body.decode("utf-8", "replace")}
            self.pending.append(b"S " + json.dumps(sample).encode() + b"\n")

    def flush(self) -> None:
        if self.pending:
            lines, self.pending = self.pending, []
            self.out.write(b"".join(lines))
        self.out.flush()


class Connection(asyncio.Protocol):
    """One client connection: requests are parsed from a buffer as their bytes arrive, so
    pipelined requests are answered in order."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and not self.transport.is_closing():
            if not self._one_request():
                return

    def _one_request(self) -> bool:
        """Answer the request at the start of the buffer if it is complete; False when
        more bytes are needed (or the connection was closed)."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEAD_BYTES:
                self._close_with(_error("431 Request Header Fields Too Large"))
            return False
        lines = self.buffer[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self._close_with(_error("400 Bad Request"))
            return False
        method, _target, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                self._close_with(_error("400 Bad Request"))
                return False
            headers[name.lower()] = value.strip()
        if "transfer-encoding" in headers:
            self._close_with(_error("501 Not Implemented"))
            return False
        length_text = headers.get("content-length", "0")
        if not length_text.isdigit():
            self._close_with(_error("400 Bad Request"))
            return False
        total = end + 4 + int(length_text)
        if len(self.buffer) < total:
            return False  # the body is still on its way
        body = bytes(self.buffer[end + 4:total])
        del self.buffer[:total]
        if method == "POST":
            self.recorder.record(headers, body, time.monotonic_ns(), time.time_ns())
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        assert self.transport is not None
        if keep_alive:
            self.transport.write(NO_CONTENT)
            return True
        self._close_with(NO_CONTENT_CLOSE)
        return False

    def _close_with(self, response: bytes) -> None:
        assert self.transport is not None
        self.transport.write(response)
        self.transport.close()

    # A client that pipelines without reading its answers is not read from until it does.
    def pause_writing(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()


async def serve(host: str, port: int, sample_every: int) -> None:
    loop = asyncio.get_running_loop()
    recorder = Recorder(sample_every)
    server = await loop.create_server(lambda: Connection(recorder), host, port, backlog=1024)
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)

    def stdin_readable() -> None:
        if not os.read(sys.stdin.fileno(), 4096):  # EOF: the parent has gone
            loop.remove_reader(sys.stdin.fileno())
            stopped.set()

    if stat.S_ISFIFO(os.fstat(sys.stdin.fileno()).st_mode):  # a pipe from the parent
        loop.add_reader(sys.stdin.fileno(), stdin_readable)

    def flush_periodically() -> None:
        recorder.flush()
        if not stopped.is_set():
            loop.call_later(FLUSH_INTERVAL_S, flush_periodically)

    sys.stdout.buffer.write(f"LISTENING {server.sockets[0].getsockname()[1]}\n".encode())
    flush_periodically()
    await stopped.wait()
    server.close()
    recorder.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    parser.add_argument("--sample-every", type=int, default=500,
                        help="after the first 20, write every N-th message in full (500)")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.host, args.port, max(args.sample_every, 1)))
    except BrokenPipeError:  # the reader went away
        pass


if __name__ == "__main__":
    main()
