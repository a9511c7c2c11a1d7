"""The service's notion of now, injectable so tests can move the clock (SLA deadlines)."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from app.core.db import utcnow

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return utcnow()


async def _now(request: Request) -> datetime:
    return request.app.state.clock()


Now = Annotated[datetime, Depends(_now)]
