"""The caller's language: negotiated from `Accept-Language`, held for the request, and
stated back with `Content-Language` (and `Vary: Accept-Language`) on every answer whose
text was rendered in it.

The service speaks simplified Chinese (`zh-CN`) and English (`en`). Any Chinese tag
(`zh`, `zh-Hans`, `zh-TW`, …) is answered in `zh-CN`, the only Chinese written here; any
English one in `en`. A header naming neither, or none at all, gets the configured default
(`SALESFLOW_DEFAULT_LANGUAGE`, `zh-CN` unless set).

The language lives in a context variable set by `LanguageMiddleware`, the outermost layer,
so every producer of text sees it without passing it along: the exception handlers, the
middlewares that answer on their own (body limits, idempotency), and the read schemas that
render approval rules. Whoever renders text marks the language as used; only then does the
answer say which language it is in and that it varies by `Accept-Language`.
"""

import contextvars
import re
from dataclasses import dataclass
from typing import Literal, get_args

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Language = Literal["zh-CN", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "zh-CN"

# One language range of Accept-Language (RFC 9110 §12.5.4): a tag or `*`, and a q-value.
_RANGE = re.compile(r"^\s*(?P<tag>\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)\s*"
                    r"(?:;\s*q\s*=\s*(?P<q>[01](?:\.\d{0,3})?))?\s*$")
# Headers longer than this are not parsed: a client sends a handful of ranges.
_MAX_HEADER = 1024


def supported(tag: str) -> Language | None:
    """The language we answer a tag in, or None when we speak nothing close to it."""
    primary = tag.split("-", 1)[0].lower()
    if primary == "zh":
        return "zh-CN"
    if primary == "en":
        return "en"
    return None


def negotiate(header: str | None, default: Language = DEFAULT_LANGUAGE) -> Language:
    """The best language for an `Accept-Language` header: the supported one with the
    highest q-value (the first listed among equals); `*` stands for the default; a range
    with q=0 is refused; a malformed range is ignored."""
    if not header or len(header) > _MAX_HEADER:
        return default
    ranked: list[tuple[float, int, Language]] = []
    refused: set[Language] = set()
    for position, part in enumerate(header.split(",")):
        match = _RANGE.match(part)
        if match is None:
            continue
        tag, q = match["tag"], float(match["q"]) if match["q"] else 1.0
        language = default if tag == "*" else supported(tag)
        if language is None:
            continue
        if q <= 0:
            refused.add(language)
        else:
            ranked.append((-q, position, language))
    for _q, _position, language in sorted(ranked):
        if language not in refused:
            return language
    return default


@dataclass
class _State:
    language: Language
    used: bool = False


_current: contextvars.ContextVar[_State | None] = contextvars.ContextVar(
    "salesflow_language", default=None)
# Outside a request (the worker, a CLI command, the HTTP protocol's own refusals): the
# configured default, set when the app is built.
_fallback: list[Language] = [DEFAULT_LANGUAGE]


def set_default_language(language: Language) -> None:
    _fallback[0] = language


def current_language() -> Language:
    """The language to render in now; marks the answer as rendered in it."""
    state = _current.get()
    if state is None:
        return _fallback[0]
    state.used = True
    return state.language


def set_language(language: Language) -> None:
    """Answer this request in `language` (a `?language=` that overrides the header)."""
    state = _current.get()
    if state is not None:
        state.language, state.used = language, True


def language_headers() -> dict[str, str]:
    """`Content-Language` and `Vary` for an answer, if text was rendered for it."""
    state = _current.get()
    if state is None or not state.used:
        return {}
    return {"content-language": state.language, "vary": "Accept-Language"}


class LanguageMiddleware:
    """Negotiates the request's language and states it on the answers rendered in it."""

    def __init__(self, app: ASGIApp, default_language: Language = DEFAULT_LANGUAGE) -> None:
        self.app = app
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        header = None
        for name, value in scope["headers"]:
            if name == b"accept-language":
                header = value.decode("latin-1")
                break
        state = _State(negotiate(header, self.default_language))
        token = _current.set(state)

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start" and state.used:
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _value in headers}
                # A replayed answer states the language it was first rendered in.
                if b"content-language" not in names:
                    headers.append((b"content-language", state.language.encode()))
                if b"vary" not in names:
                    headers.append((b"vary", b"Accept-Language"))
                elif not any(name.lower() == b"vary" and b"accept-language" in value.lower()
                             for name, value in headers):
                    headers = [(name, value + b", Accept-Language" if name.lower() == b"vary"
                                else value) for name, value in headers]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_language)
        finally:
            _current.reset(token)
