"""Every visit event, as real flows write it, matches the payload the catalog publishes
(field for field, strictly), in the order the changes happened."""

import pytest
from sqlalchemy import func, select

from app.events.models import Event
from tests.visits.conftest import PLANNED, ok
from tests.webhooks.test_catalog import assert_events_match_catalog


@pytest.fixture
async def baseline(session) -> int:
    return await session.scalar(select(func.coalesce(func.max(Event.id), 0)))


async def test_visit_payloads(visits, client, company, session, baseline):
    reported = await visits.approved()
    ok(await client.patch(f"/api/v1/visits/{(await visits.draft())['id']}",
                          headers=company.rep, json={"place": "杭州"}))
    rejected = await visits.submitted()
    ok(await visits.decide(rejected, company.head, "reject", comment="改期"))
    ok(await visits.act(await visits.submitted(), "recall"))
    ok(await visits.act(await visits.draft(), "cancel", {"reason": "客户取消"}))
    ok(await visits.act(await visits.submitted(), "cancel", {"reason": "客户出差"}))
    visits.at(PLANNED)
    ok(await visits.act(reported, "report", {"outcome": "意向明确"}))

    seen = await assert_events_match_catalog(session, baseline)
    assert {"visit.created", "visit.updated", "visit.submitted", "visit.approved",
            "visit.rejected", "visit.recalled", "visit.cancelled", "visit.reported"} <= set(seen)
    report = (await session.execute(select(Event.data).where(
        Event.type == "visit.reported"))).scalar_one()
    assert report["outcome"] == "意向明确" and report["next_steps"] is None
    assert report["reported_at"] == "2026-03-12T06:30:00Z"
