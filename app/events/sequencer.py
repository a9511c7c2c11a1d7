"""Gives committed events their feed position and per-subject sequence number, in commit
order, and hands each batch to the fan-outs (webhook deliveries) in the same transaction.

One sequencer works at a time (the state row is its lock; others skip it), so positions
only grow: an event that commits late gets a later position instead of being skipped by
readers that are already past its id. Events of one subject are written under that
subject's row lock, so they commit, and are numbered, in the order they happened.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit
from app.events.models import Event, EventSequencerState, EventSubject

SEQUENCE_BATCH = 1000

FanOut = Callable[[AsyncSession, list[Event], datetime], Awaitable[None]]
_fan_outs: list[FanOut] = []


def on_sequenced(fan_out: FanOut) -> FanOut:
    """Register a consumer of newly sequenced events; it runs inside the sequencer's
    transaction, so a batch is handed over exactly once."""
    _fan_outs.append(fan_out)
    return fan_out


async def sequence_pending(session: AsyncSession, *, now: datetime,
                           batch: int = SEQUENCE_BATCH) -> int:
    """Sequence up to `batch` committed events; returns how many (0: none waiting, or
    another sequencer is at work)."""
    state = (await session.execute(
        select(EventSequencerState).where(col(EventSequencerState.id) == 1)
        .with_for_update(skip_locked=True))).scalar_one_or_none()
    if state is None:
        await session.rollback()
        return 0
    events = list((await session.execute(
        select(Event).where(col(Event.position).is_(None))
        .order_by(col(Event.id)).limit(batch))).scalars())
    if not events:
        await session.rollback()
        return 0
    subjects = {e.subject for e in events}
    known = {s.subject: s for s in (await session.execute(
        select(EventSubject).where(col(EventSubject.subject).in_(subjects)))).scalars()}
    position = state.last_position
    for event in events:
        counter = known.get(event.subject)
        if counter is None:
            counter = known[event.subject] = EventSubject(subject=event.subject, last_sequence=0)
            session.add(counter)
        counter.last_sequence += 1
        position += 1
        event.position, event.sequence = position, counter.last_sequence
    state.last_position = position
    for fan_out in _fan_outs:
        await fan_out(session, events, now)
    await commit(session)
    return len(events)
