"""GET /reports/complaints (counts and mean time to close, by category and responsible
department, in SQL) and the daily report's open complaints (at the day's end)."""

from datetime import UTC, datetime, timedelta

from app.departments.models import Department
from tests.complaints.conftest import ok, refused
from tests.factories.customers import create_customer

REPORT = "/api/v1/reports/complaints"
DAILY = "/api/v1/reports/daily"


async def _close_explained(helpdesk, after: timedelta, **intake) -> dict:
    complaint = await helpdesk.explained(**intake)
    helpdesk.clock.now += after
    closed = ok(await helpdesk.act(complaint, "close", {"satisfaction": 4}))
    helpdesk.clock.now -= after
    return closed


class TestComplaintsReport:
    async def test_counts_and_mean_time_to_close(self, helpdesk, session):
        await _close_explained(helpdesk, timedelta(hours=10))
        await _close_explained(helpdesk, timedelta(hours=30), category="delivery")
        await _close_explained(helpdesk, timedelta(hours=20))
        await helpdesk.assigned(await helpdesk.taken(), "west")
        await helpdesk.taken(category="billing")
        report = ok(await helpdesk.client.get(REPORT, headers=helpdesk.cs,
                                              params={"from": "2026-03-01"}))
        assert (report["date_from"], report["date_to"]) == ("2026-03-01", "2026-03-10")
        assert report["total"] == {"received": 5, "open": 2, "closed": 3,
                                   "mean_hours_to_close": 20.0}
        by_category = {row["category"]: row for row in report["by_category"]}
        assert by_category["quality"] == {"category": "quality", "received": 3, "open": 1,
                                          "closed": 2, "mean_hours_to_close": 15.0}
        assert by_category["delivery"]["mean_hours_to_close"] == 30.0
        assert by_category["billing"] == {"category": "billing", "received": 1, "open": 1,
                                          "closed": 0, "mean_hours_to_close": None}
        by_department = {row["department_id"]: row for row in report["by_department"]}
        assert by_department["east"]["closed"] == 3
        assert by_department["west"] == {"department_id": "west", "received": 1, "open": 1,
                                         "closed": 0, "mean_hours_to_close": None}
        assert by_department[None]["received"] == 1

    async def test_the_range_and_visibility(self, helpdesk, session):
        await helpdesk.taken()
        west = await session.get(Department, "west")
        other = await create_customer(session, department=west, owner_id="rep.west")
        await helpdesk.taken(customer_id=other.id)
        mine = ok(await helpdesk.client.get(REPORT, headers=helpdesk.company.rep))
        assert mine["total"]["received"] == 1
        assert ok(await helpdesk.client.get(REPORT, headers=helpdesk.cs))["total"][
            "received"] == 2
        before = ok(await helpdesk.client.get(REPORT, headers=helpdesk.cs,
                                              params={"from": "2026-01-01",
                                                      "to": "2026-03-09"}))
        assert before["total"] == {"received": 0, "open": 0, "closed": 0,
                                   "mean_hours_to_close": None}
        refused(await helpdesk.client.get(REPORT, headers=helpdesk.cs,
                                          params={"from": "2026-03-10", "to": "2026-03-09"}),
                422, "report.invalid_range")


class TestDailyReport:
    async def test_open_complaints_at_the_days_end(self, helpdesk):
        await helpdesk.taken()
        await _close_explained(helpdesk, timedelta(hours=1))  # closed that day
        await _close_explained(helpdesk, timedelta(days=1))  # still open at its end
        helpdesk.clock.now = datetime(2026, 3, 10, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
        await helpdesk.taken()
        helpdesk.clock.now = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # the next day
        await helpdesk.taken()

        async def open_on(day: str) -> tuple[int, list]:
            report = ok(await helpdesk.client.get(DAILY, headers=helpdesk.company.gm,
                                                  params={"date": day}))
            return (report["total"]["open_complaints"],
                    [(d["department_id"], d["open_complaints"])
                     for d in report["departments"]])

        assert await open_on("2026-03-10") == (3, [("east", 3)])
        assert await open_on("2026-03-11") == (3, [("east", 3)])
        assert await open_on("2026-03-09") == (0, [])
