"""Several dispatchers at once, and one that dies mid-batch."""

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import insert, select

from app.core.db import create_sessionmaker
from app.events.models import Event
from app.events.service import new_event_id
from app.webhooks.dispatcher import Dispatcher, Outcome
from app.webhooks.models import WebhookDeliveryStatus, WebhookDelivery
from tests.conftest import IS_POSTGRES, make_settings
from tests.webhooks.conftest import run_until, subscribe


async def test_a_dispatcher_killed_mid_batch_loses_nothing(client, admin, company, receiver,
                                                           sessionmaker, clock, session):
    """The first dispatcher claims a batch and dies before sending. When the lease ends,
    another delivers the batch; the dead one's late result, if it came, changes nothing."""
    await subscribe(client, admin, receiver.url, ["customer.created"])
    for i in range(3):
        await client.post("/api/v1/customers", headers=company.rep, json={"name": f"批次{i}"})
    await client.get("/api/v1/events", headers=admin)  # sequenced and fanned out
    settings = make_settings(webhook_timeout_seconds=5)
    doomed, survivor = (Dispatcher(sessionmaker, clock, settings) for _ in range(2))
    try:
        async with sessionmaker() as claiming:
            claimed = await doomed.claim(claiming, limit=100)
        assert len(claimed) == 3  # ...and then the process is killed

        assert await survivor.run_once() == 0  # leased: nobody else may send them yet
        clock.advance(survivor.lease + timedelta(seconds=1))
        await run_until(survivor, lambda: len(receiver.received) == 3)
        assert len(set(receiver.ids)) == 3

        async with sessionmaker() as late:  # the killed one's results arrive after all
            await doomed.record(late, [Outcome(c, 500, "late", 1.0) for c in claimed])
        session.expire_all()
        rows = (await session.execute(select(WebhookDelivery))).scalars().all()
        assert {r.status for r in rows} == {WebhookDeliveryStatus.delivered}
        assert {r.attempts for r in rows} == {2}
    finally:
        await doomed.aclose()
        await survivor.aclose()


@pytest.mark.skipif(not IS_POSTGRES, reason="concurrent dispatchers need PostgreSQL")
async def test_two_dispatchers_never_send_the_same_message_at_once(committing_app, engine,
                                                                   receiver, headers_for):
    """Two workers on one outbox, 300 events: every message arrives exactly once (the
    receiver always accepts), and each worker did part of the work."""
    maker = create_sessionmaker(engine)
    admin = headers_for("admin", sub="admin.workers")
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        subscription = await subscribe(client, admin, receiver.url, ["customer.updated"])
    settings = make_settings(webhook_batch_size=20)
    workers = [Dispatcher(maker, committing_app.state.clock, settings) for _ in range(2)]
    try:
        async with maker() as session:
            await session.execute(insert(Event), [
                {"event_id": new_event_id(), "type": "customer.updated",
                 "subject": f"customer:w{i % 30}", "data": {"n": i}} for i in range(300)])
            await session.commit()
        sent_by = Counter()

        async def work(index: int) -> None:
            idle = 0
            while idle < 10:
                done = await workers[index].run_once()
                sent_by[index] += done
                idle = 0 if done else idle + 1
                await asyncio.sleep(0 if done else 0.02)

        await asyncio.gather(work(0), work(1))
        counts = Counter(receiver.ids)
        assert len(counts) == 300 and set(counts.values()) == {1}
        assert sent_by[0] > 0 and sent_by[1] > 0
        for received in receiver.received[:5]:
            received.verified_by(subscription["secret"])
    finally:
        for worker in workers:
            await worker.aclose()
