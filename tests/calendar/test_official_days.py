"""The official Chinese holidays (chinesecalendar) imported over HTTP, and what they do to
an approval deadline. The command line's import is in tests/test_cli.py."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.calendar.models import CalendarDay

URL = "/api/v1/calendar"


async def _days(client, headers, start: str, end: str) -> dict[str, tuple[str, str]]:
    page = (await client.get(URL, headers=headers, params={"from": start, "to": end})).json()
    return {d["day"]: (d["kind"], d["name"]) for d in page["items"]}


async def test_national_day_week_2026(client, admin):
    response = await client.post(f"{URL}/official-days/2026", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {"count": 39, "created": 39, "updated": 0, "unchanged": 0}
    days = await _days(client, admin, "2026-09-19", "2026-10-11")
    assert days == {
        "2026-09-20": ("workday", "国庆节调休上班"),  # Sunday
        **{f"2026-09-{d}": ("holiday", "中秋") for d in (25, 26, 27)},
        **{f"2026-10-0{d}": ("holiday", "国庆节") for d in range(1, 8)},
        "2026-10-10": ("workday", "国庆节调休上班"),  # Saturday
    }  # Thursday 8 October is an ordinary working day: the notice gives 1–7 October
    spring = await _days(client, admin, "2026-02-14", "2026-02-28")
    assert spring["2026-02-14"] == spring["2026-02-28"] == ("workday", "春节调休上班")
    assert spring["2026-02-15"] == spring["2026-02-23"] == ("holiday", "春节")
    new_year = await _days(client, admin, "2026-01-01", "2026-01-04")
    assert new_year["2026-01-01"] == ("holiday", "元旦")


async def test_a_second_import_changes_nothing(client, session, admin):
    await client.post(f"{URL}/official-days/2026", headers=admin)
    again = await client.post(f"{URL}/official-days/2026", headers=admin)
    assert again.json() == {"count": 39, "created": 0, "updated": 0, "unchanged": 39}
    audited = await session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type == "calendar_day", AuditEntry.actor_id == "admin.test"))
    assert audited == 39


async def test_a_hand_edit_is_put_back(client, admin):
    await client.post(f"{URL}/official-days/2026", headers=admin)
    await client.put(f"{URL}/2026-10-01", headers=admin, json={"kind": "holiday", "name": "x"})
    again = await client.post(f"{URL}/official-days/2026", headers=admin)
    assert again.json() == {"count": 39, "created": 0, "updated": 1, "unchanged": 38}


async def test_a_year_the_package_does_not_know_is_422(client, session, admin):
    response = await client.post(f"{URL}/official-days/2027", headers=admin)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "calendar.official_year_unknown"
    assert "2004–2026" in body["detail"] and "2027" in body["detail"]
    assert await session.scalar(select(func.count()).select_from(CalendarDay)) == 0


@pytest.mark.parametrize("role", ["sales_rep", "dept_head", "gm", "finance"])
async def test_only_admin_imports(client, session, headers_for, role):
    for year in (2026, 2027):  # an unknown year says no more than a known one
        response = await client.post(f"{URL}/official-days/{year}",
                                     headers=headers_for(role, dept="east"))
        assert response.status_code == 403, response.text
    assert await session.scalar(select(func.count()).select_from(CalendarDay)) == 0


class TestApprovalDeadline:
    async def _submitted_on_30_september(self, app, submitted) -> str:
        from app.core.clock import system_clock

        # Wednesday 30 September 2026, 10:00 in Shanghai.
        app.state.clock = lambda: datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
        try:
            contract = await submitted("1000.00")
        finally:
            app.state.clock = system_clock
        return contract["approval"]["stages"][0]["steps"][0]["due_at"]

    async def test_the_48_hours_skip_the_national_day_week(self, client, app, company,
                                                          submitted):
        imported = await client.post(f"{URL}/official-days/2026", headers=company.admin)
        assert imported.status_code == 200
        # 14 h on Wednesday, 1–7 October off, Thursday 8 (24 h), Friday 9 until 10:00.
        assert await self._submitted_on_30_september(app, submitted) == "2026-10-09T02:00:00Z"

    async def test_without_the_import_the_week_is_worked(self, app, company, submitted):
        assert await self._submitted_on_30_september(app, submitted) == "2026-10-02T02:00:00Z"


@pytest.mark.parametrize("year", ["26", "20266", "２０２６", "2026.0"])
async def test_a_year_is_four_digits(client, admin, year):
    response = await client.post(f"{URL}/official-days/{year}", headers=admin)
    assert response.status_code == 422 and response.json()["code"] == "validation_error"
