"""One pass of background work seals the audit chain and escalates overdue steps."""

from datetime import UTC, datetime

from app import worker
from tests.factories.customers import create_customer


async def test_a_pass_seals_audit_entries(sessionmaker, session):
    await create_customer(session)
    done = await worker.run_pass(sessionmaker, lambda: datetime.now(UTC))
    assert done["audit_sealed"] >= 2  # the department and the customer
    again = await worker.run_pass(sessionmaker, lambda: datetime.now(UTC))
    assert again["audit_sealed"] == 0


async def test_retention_forgets_old_events_but_never_restarts_a_subjects_sequence(
        client, sessionmaker, session, headers_for):
    """Events and finished deliveries past the retention period go; a later event of the
    same subject still continues its numbering."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from app.events.models import Event

    customer = await create_customer(session)
    erp = headers_for("integration", sub="erp.retention")
    first = (await client.get("/api/v1/events", headers=erp,
                              params={"types": "customer.created"})).json()["items"]
    assert first[-1]["subject"] == f"customer:{customer.id}" and first[-1]["sequence"] == 1

    later = lambda: datetime.now(UTC) + timedelta(days=31)  # noqa: E731
    done = await worker.run_pass(sessionmaker, later, retention=timedelta(days=30))
    assert done["events_purged"] >= 2
    assert await session.scalar(select(func.count()).select_from(Event)) == 0

    response = await client.patch(f"/api/v1/customers/{customer.id}", headers=headers_for(
        "admin", sub="admin.retention"), json={"address": "深圳"})
    assert response.status_code == 200
    feed = (await client.get("/api/v1/events", headers=erp,
                             params={"types": "customer.updated"})).json()["items"]
    assert feed[-1]["sequence"] == 2


def test_an_event_type_outside_the_catalog_is_refused():
    import pytest

    from app.events.service import emit

    with pytest.raises(ValueError, match="catalog"):
        emit(object(), None, type="contract.exploded", subject="contract:1", data={})  # type: ignore[arg-type]
