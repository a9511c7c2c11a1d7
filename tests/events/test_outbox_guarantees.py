"""SPEC §6 guarantees: an event exists exactly when its change committed, and a reader
paging the feed never skips an event that committed after a later one."""

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select

from app.audit.models import AuditEntry
from app.core.db import create_sessionmaker
from app.events.models import Event
from app.events.service import new_event_id
from tests.conftest import IS_POSTGRES
from tests.factories.departments import create_department


@pytest.fixture
async def rep(session, headers_for):
    await create_department(session, id="east")
    return headers_for("sales_rep", sub="rep.outbox", dept="east")


async def test_a_change_that_fails_after_its_event_is_written_leaves_no_event(
        client, rep, admin, engine, session):
    """The event and audit rows are written first at commit, then the update fails: the
    request is a 500 and nothing of it remains, neither the change nor its event."""
    created = (await client.post("/api/v1/customers", json={"name": "回滚公司"},
                                 headers=rep)).json()
    events_before = await session.scalar(select(func.count()).select_from(Event))
    audit_before = await session.scalar(select(func.count()).select_from(AuditEntry))
    seen_in_transaction: list[tuple[int, int]] = []

    def fail_customer_update(conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE customer"):
            # What the failing transaction holds at that moment (on PostgreSQL the journal
            # goes to the driver directly, past this hook, so it is counted, not seen).
            seen_in_transaction.append(tuple(
                conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                for table in ("event", "audit_entry")))
            raise RuntimeError("disk full (injected)")

    sa_event.listen(engine.sync_engine, "before_cursor_execute", fail_customer_update)
    try:
        response = await client.patch(f"/api/v1/customers/{created['id']}", headers=rep,
                                      json={"address": "杭州"})
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", fail_customer_update)
    assert response.status_code == 500
    # They were written, then rolled back.
    assert seen_in_transaction == [(events_before + 1, audit_before + 1)]
    assert await session.scalar(select(func.count()).select_from(Event)) == events_before
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before
    after = (await client.get(f"/api/v1/customers/{created['id']}", headers=rep)).json()
    assert after["address"] is None and after["version"] == 1


@pytest.mark.skipif(not IS_POSTGRES, reason="interleaved commits need PostgreSQL")
async def test_an_event_committing_late_is_not_skipped_by_the_feed(committing_app, engine,
                                                                   headers_for):
    """Transaction A writes its event first (smaller id) but commits after B. A reader
    that has already read B must still get A next, which paging by id would skip."""
    import httpx

    maker = create_sessionmaker(engine)
    erp = headers_for("integration", sub="erp.late")

    def row(subject: str) -> dict:
        return {"event_id": new_event_id(), "type": "customer.updated", "subject": subject,
                "data": {}}

    async with maker() as first, maker() as second:
        await first.execute(insert(Event), [row("customer:late-a")])  # open, not committed
        await second.execute(insert(Event), [row("customer:late-b")])
        await second.commit()
        transport = httpx.ASGITransport(app=committing_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            async def page(after):
                params = {"types": "customer.updated", **({"after": after} if after else {})}
                return (await client.get("/api/v1/events", headers=erp,
                                         params=params)).json()

            seen = []
            feed = await page(None)
            while feed["items"]:
                seen += [e["subject"] for e in feed["items"]]
                cursor = feed["next_cursor"]
                feed = await page(cursor)
            assert seen[-1] == "customer:late-b" and "customer:late-a" not in seen
            await first.commit()
            late = await page(cursor)
            assert [e["subject"] for e in late["items"]] == ["customer:late-a"]


async def test_a_command_writing_thousands_of_changes_commits_them_all(session):
    """Past the size where the audit and event rows still fit one statement, they are
    written table by table; either way all of them commit."""
    from app.events.changes import record_change

    for i in range(1500):
        record_change(session, None, event_type="customer.updated", entity_type="customer",
                      entity_id=f"bulk-{i}", before={"n": i}, after={"n": i + 1})
    await session.commit()
    events = await session.scalar(select(func.count()).select_from(Event).where(
        Event.subject.like("customer:bulk-%")))  # type: ignore[attr-defined]
    audit = await session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_id.like("bulk-%")))  # type: ignore[attr-defined]
    assert (events, audit) == (1500, 1500)
