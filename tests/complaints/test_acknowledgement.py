"""The acknowledgement deadline: 24 working hours on the company calendar (configurable);
a complaint not assigned by then reads as overdue and is announced once by the worker's
sweep, on a clock the test moves."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app import worker
from app.events.models import Event
from tests.complaints.conftest import COMPLAINTS, ok


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


async def _announced(session, complaint_id: int) -> list[Event]:
    return list((await session.execute(select(Event).where(
        Event.subject == f"complaint:{complaint_id}", Event.type == "complaint.ack_overdue")
        .order_by(Event.id))).scalars())


class TestDeadline:
    async def test_a_tuesday_complaint_is_due_wednesday(self, helpdesk):
        assert (await helpdesk.taken())["ack_due_at"] == "2026-03-11T02:00:00Z"

    async def test_the_weekend_and_holidays_do_not_count(self, helpdesk):
        ok(await helpdesk.client.put("/api/v1/calendar/2026-03-16", headers=helpdesk.company.admin,
                                     json={"kind": "holiday", "name": "test holiday"}))
        helpdesk.clock.now = datetime(2026, 3, 13, 2, 0, tzinfo=UTC)  # Friday 10:00
        # Saturday, Sunday and the Monday holiday are skipped: Tuesday 10:00.
        assert (await helpdesk.taken())["ack_due_at"] == "2026-03-17T02:00:00Z"

    async def test_the_hours_are_configurable(self, helpdesk, app):
        settings = app.state.settings
        app.state.settings = settings.model_copy(update={"complaint_ack_hours": 8})
        try:
            assert (await helpdesk.taken())["ack_due_at"] == "2026-03-10T10:00:00Z"
        finally:
            app.state.settings = settings


class TestSweep:
    async def test_announced_once_after_the_deadline(self, helpdesk, session, sessionmaker):
        complaint = await helpdesk.taken()
        due = _at(complaint["ack_due_at"])
        on_time = await worker.run_pass(sessionmaker, lambda: due)
        assert on_time["complaints_ack_overdue"] == 0
        helpdesk.clock.now = due
        assert (await helpdesk.read(complaint["id"]))["ack_overdue"] is False
        late = due + timedelta(seconds=1)
        assert (await worker.run_pass(sessionmaker, lambda: late))["complaints_ack_overdue"] == 1
        later = late + timedelta(days=3)
        assert (await worker.run_pass(sessionmaker, lambda: later))[
            "complaints_ack_overdue"] == 0
        [event] = await _announced(session, complaint["id"])
        assert event.data["ack_due_at"] == due.isoformat()
        helpdesk.clock.now = later
        read = await helpdesk.read(complaint["id"])
        assert read["ack_overdue"] is True and read["acknowledged_at"] is None
        # Acknowledged late: no longer overdue, and never announced again.
        assigned = await helpdesk.assigned(read)
        assert assigned["ack_overdue"] is False
        assert assigned["acknowledged_at"] == later.isoformat().replace("+00:00", "Z")

    async def test_an_acknowledged_complaint_is_never_announced(self, helpdesk, session,
                                                                sessionmaker):
        complaint = await helpdesk.assigned(await helpdesk.taken())
        much_later = helpdesk.clock.now + timedelta(days=10)
        assert (await worker.run_pass(sessionmaker, lambda: much_later))[
            "complaints_ack_overdue"] == 0
        assert await _announced(session, complaint["id"]) == []

    async def test_the_overdue_filter(self, helpdesk):
        late = await helpdesk.taken()
        helpdesk.clock.now += timedelta(days=1, seconds=1)
        fresh = await helpdesk.taken()
        acknowledged = await helpdesk.assigned(await helpdesk.taken())

        async def ids(**params) -> list[int]:
            return [c["id"] for c in ok(await helpdesk.client.get(
                COMPLAINTS, headers=helpdesk.cs, params=params))["items"]]

        assert await ids(overdue="true") == [late["id"]]
        assert await ids(overdue="false") == [acknowledged["id"], fresh["id"]]
