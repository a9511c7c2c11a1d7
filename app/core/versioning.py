"""Optimistic concurrency: `version` columns, ETag headers and If-Match preconditions."""

import re
from typing import Annotated, Any

from fastapi import Depends, Header, Response

from app.core.db import utcnow
from app.core.errors import PreconditionMalformed, StaleVersion

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


def parse_if_match(value: str | None) -> int | None:
    """The version the client last saw, or None when it asked for no precondition."""
    if value is None or value.strip() == "*":
        return None
    match = _ETAG.match(value.strip())
    if match is None:
        raise PreconditionMalformed(f"If-Match must look like '\"3\"', got {value!r}.")
    return int(match.group(1))


async def _if_match(
    if_match: Annotated[
        str | None,
        Header(description='ETag of the version you last read, e.g. `"3"`; 412 if stale.'),
    ] = None,
) -> int | None:
    return parse_if_match(if_match)


IfMatch = Annotated[int | None, Depends(_if_match)]


def ensure_version(current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise StaleVersion(
            f"You edited version {expected}, but the current version is {current}.",
            current_version=current,
        )


def bump_version(record: Any) -> None:
    """Mark a versioned record as changed: its ETag moves on."""
    record.version += 1
    record.updated_at = utcnow()


def apply_changes(record: Any, changes: dict[str, Any]) -> None:
    """Write `changes` onto a versioned record and mark it as a new version."""
    for field, value in changes.items():
        setattr(record, field, value)
    bump_version(record)
