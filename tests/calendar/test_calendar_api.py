"""The company calendar through HTTP: admin edits, reads by anyone, and the loader the
approval engine builds its WorkingCalendar with."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.calendar import service
from app.calendar.models import CalendarDay
from app.calendar.working_time import OutsideCalendarWindow
from app.events.models import Event

URL = "/api/v1/calendar"
NATIONAL_DAY_2026 = [
    *({"day": f"2026-10-0{d}", "kind": "holiday", "name": "国庆节"} for d in range(1, 8)),
    {"day": "2026-09-20", "kind": "workday", "name": "国庆节调休"},  # Sunday
    {"day": "2026-10-10", "kind": "workday", "name": "国庆节调休"},  # Saturday
]


async def _counts(session) -> tuple[int, int, int]:
    return (
        await session.scalar(select(func.count()).select_from(CalendarDay)),
        await session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.entity_type == "calendar_day")),
        await session.scalar(select(func.count()).select_from(Event)
                             .where(Event.type.like("calendar.%"))),
    )


@pytest.fixture
def rep(headers_for):
    return headers_for("sales_rep", dept="east")


class TestSetDay:
    async def test_admin_sets_a_holiday_with_audit_and_event(self, client, session, admin):
        response = await client.put(f"{URL}/2026-10-01", headers=admin,
                                    json={"kind": "holiday", "name": "国庆节"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["day"], body["kind"], body["name"], body["version"]) == (
            "2026-10-01", "holiday", "国庆节", 1)
        assert response.headers["etag"] == '"1"'

        audit = (await session.execute(select(AuditEntry).where(
            AuditEntry.entity_type == "calendar_day", AuditEntry.entity_id == "2026-10-01"))
        ).scalar_one()
        assert audit.action == "calendar.day_set" and audit.actor_id == "admin.test"
        assert audit.before is None and audit.after["name"] == "国庆节"
        event = (await session.execute(select(Event).where(
            Event.subject == "calendar_day:2026-10-01"))).scalar_one()
        assert event.type == "calendar.day_set" and event.data["kind"] == "holiday"

    async def test_replacing_bumps_the_version_and_keeps_before(self, client, session, admin):
        await client.put(f"{URL}/2026-10-01", headers=admin, json={"kind": "holiday", "name": "x"})
        response = await client.put(f"{URL}/2026-10-01", headers={**admin, "If-Match": '"1"'},
                                    json={"kind": "holiday", "name": "国庆节"})
        assert response.status_code == 200 and response.json()["version"] == 2
        audit = (await session.execute(select(AuditEntry).where(
            AuditEntry.entity_id == "2026-10-01").order_by(AuditEntry.id.desc()))).scalars().first()
        assert (audit.before["name"], audit.after["name"]) == ("x", "国庆节")

    async def test_setting_the_same_again_changes_nothing(self, client, session, admin):
        body = {"kind": "holiday", "name": "国庆节"}
        await client.put(f"{URL}/2026-10-01", headers=admin, json=body)
        before = await _counts(session)
        response = await client.put(f"{URL}/2026-10-01", headers=admin, json=body)
        assert response.status_code == 200 and response.json()["version"] == 1
        assert await _counts(session) == before

    async def test_stale_if_match_is_412(self, client, session, admin):
        await client.put(f"{URL}/2026-10-01", headers=admin, json={"kind": "holiday", "name": "x"})
        await client.put(f"{URL}/2026-10-01", headers=admin, json={"kind": "holiday", "name": "y"})
        stale = await client.put(f"{URL}/2026-10-01", headers={**admin, "If-Match": '"1"'},
                                 json={"kind": "holiday", "name": "z"})
        assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
        assert (await client.get(f"{URL}/2026-10-01", headers=admin)).json()["name"] == "y"

    async def test_if_match_on_a_day_without_entry_is_412(self, client, session, admin):
        response = await client.put(f"{URL}/2026-10-01", headers={**admin, "If-Match": '"1"'},
                                    json={"kind": "holiday", "name": "x"})
        assert response.status_code == 412
        assert await _counts(session) == (0, 0, 0)

    async def test_workday_on_a_weekend(self, client, admin):
        for day in ("2026-10-10", "2026-09-20"):  # Saturday, Sunday
            response = await client.put(f"{URL}/{day}", headers=admin,
                                        json={"kind": "workday", "name": "国庆节调休"})
            assert response.status_code == 200, response.text

    async def test_workday_not_on_a_weekend_is_422(self, client, session, admin):
        response = await client.put(f"{URL}/2026-10-09", headers=admin,
                                    json={"kind": "workday", "name": "调休"})
        assert response.status_code == 422
        assert response.json()["code"] == "calendar.workday_not_weekend"
        assert response.json()["days"] == ["2026-10-09"]
        assert await _counts(session) == (0, 0, 0)

    async def test_holiday_may_fall_on_a_weekend(self, client, admin):
        response = await client.put(f"{URL}/2026-10-03", headers=admin,
                                    json={"kind": "holiday", "name": "国庆节"})
        assert response.status_code == 200

    @pytest.mark.parametrize("role", ["sales_rep", "gm", "finance", "auditor"])
    async def test_only_admin_writes(self, client, session, headers_for, role):
        headers = headers_for(role, dept="east")
        response = await client.put(f"{URL}/2026-10-01", headers=headers,
                                    json={"kind": "holiday", "name": "国庆节"})
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert await _counts(session) == (0, 0, 0)

    @pytest.mark.parametrize("day", ["2026-02-30", "20261001", "0", "2026-10-01T00:00:00",
                                     "2026-1-1", "yesterday"])
    async def test_invalid_date_is_422(self, client, session, admin, day):
        response = await client.put(f"{URL}/{day}", headers=admin,
                                    json={"kind": "holiday", "name": "x"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["path", "day"]
        assert await _counts(session) == (0, 0, 0)

    @pytest.mark.parametrize(("body", "where"), [
        ({"kind": "vacation", "name": "x"}, ["body", "kind"]),
        ({"kind": "holiday", "name": "x" * 101}, ["body", "name"]),
        ({"kind": "holiday", "name": "  "}, ["body", "name"]),
        ({"kind": "holiday"}, ["body", "name"]),
        ({"kind": "holiday", "name": "x", "day": "2026-10-02"}, ["body", "day"]),
    ])
    async def test_invalid_body_is_422(self, client, session, admin, body, where):
        response = await client.put(f"{URL}/2026-10-01", headers=admin, json=body)
        assert response.status_code == 422
        assert any(e["loc"] == where for e in response.json()["errors"])
        assert await _counts(session) == (0, 0, 0)


class TestDeleteDay:
    async def test_admin_removes_a_day(self, client, session, admin):
        await client.put(f"{URL}/2026-10-01", headers=admin, json={"kind": "holiday", "name": "x"})
        response = await client.delete(f"{URL}/2026-10-01", headers=admin)
        assert response.status_code == 204
        assert (await client.get(f"{URL}/2026-10-01", headers=admin)).status_code == 404
        audit = (await session.execute(select(AuditEntry).where(
            AuditEntry.action == "calendar.day_removed"))).scalar_one()
        assert audit.entity_id == "2026-10-01" and audit.after is None
        assert audit.before["name"] == "x"
        event = (await session.execute(select(Event).where(
            Event.type == "calendar.day_removed"))).scalar_one()
        assert event.subject == "calendar_day:2026-10-01" and event.data["day"] == "2026-10-01"

    async def test_absent_day_is_404(self, client, admin):
        response = await client.delete(f"{URL}/2026-10-01", headers=admin)
        assert response.status_code == 404
        assert response.json()["code"] == "calendar.day_not_found"

    async def test_stale_delete_is_412(self, client, session, admin):
        await client.put(f"{URL}/2026-10-01", headers=admin, json={"kind": "holiday", "name": "x"})
        response = await client.delete(f"{URL}/2026-10-01", headers={**admin, "If-Match": '"3"'})
        assert response.status_code == 412
        assert (await _counts(session))[0] == 1

    async def test_non_admin_cannot_delete(self, client, session, admin, rep):
        await client.put(f"{URL}/2026-10-01", headers=admin, json={"kind": "holiday", "name": "x"})
        before = await _counts(session)
        assert (await client.delete(f"{URL}/2026-10-01", headers=rep)).status_code == 403
        assert await _counts(session) == before


class TestImport:
    async def test_a_years_notice_in_one_request(self, client, session, admin):
        response = await client.post(f"{URL}/import", headers=admin,
                                     json={"days": NATIONAL_DAY_2026})
        assert response.status_code == 200, response.text
        assert response.json() == {"count": 9, "created": 9, "updated": 0, "unchanged": 0}
        assert await _counts(session) == (9, 9, 9)
        types = (await session.execute(select(Event.type).where(
            Event.type.like("calendar.%")))).scalars().all()
        assert set(types) == {"calendar.day_set"}

    async def test_reimport_updates_only_what_changed(self, client, session, admin):
        await client.post(f"{URL}/import", headers=admin, json={"days": NATIONAL_DAY_2026})
        renamed = [{**NATIONAL_DAY_2026[0], "name": "国庆节、中秋节"}, *NATIONAL_DAY_2026[1:]]
        response = await client.post(f"{URL}/import", headers=admin, json={"days": renamed})
        assert response.json() == {"count": 9, "created": 0, "updated": 1, "unchanged": 8}
        day = (await client.get(f"{URL}/2026-10-01", headers=admin)).json()
        assert day["name"] == "国庆节、中秋节" and day["version"] == 2
        assert await _counts(session) == (9, 10, 10)

    async def test_one_weekday_workday_refuses_the_whole_import(self, client, session, admin):
        days = [*NATIONAL_DAY_2026, {"day": "2026-10-09", "kind": "workday", "name": "调休"}]
        response = await client.post(f"{URL}/import", headers=admin, json={"days": days})
        assert response.status_code == 422
        assert response.json()["code"] == "calendar.workday_not_weekend"
        assert response.json()["days"] == ["2026-10-09"]
        assert await _counts(session) == (0, 0, 0)

    async def test_a_day_listed_twice_is_422(self, client, session, admin):
        days = [*NATIONAL_DAY_2026, {"day": "2026-10-01", "kind": "holiday", "name": "again"}]
        response = await client.post(f"{URL}/import", headers=admin, json={"days": days})
        assert response.status_code == 422 and "2026-10-01" in response.json()["detail"]
        assert await _counts(session) == (0, 0, 0)

    async def test_at_most_400_days(self, client, session, admin):
        start = date(2026, 1, 1)
        days = [{"day": (start + timedelta(days=i)).isoformat(), "kind": "holiday", "name": "x"}
                for i in range(401)]
        response = await client.post(f"{URL}/import", headers=admin, json={"days": days})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "days"]
        ok = await client.post(f"{URL}/import", headers=admin, json={"days": days[:400]})
        assert ok.status_code == 200 and ok.json()["count"] == 400

    async def test_empty_import_is_422(self, client, admin):
        response = await client.post(f"{URL}/import", headers=admin, json={"days": []})
        assert response.status_code == 422

    async def test_invalid_date_in_an_entry_is_422(self, client, session, admin):
        days = [{"day": "2026-02-30", "kind": "holiday", "name": "x"}]
        response = await client.post(f"{URL}/import", headers=admin, json={"days": days})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "days", 0, "day"]

    async def test_non_admin_imports_nothing(self, client, session, rep):
        response = await client.post(f"{URL}/import", headers=rep, json={"days": NATIONAL_DAY_2026})
        assert response.status_code == 403
        assert await _counts(session) == (0, 0, 0)


class TestList:
    @pytest.fixture
    async def national_day(self, client, admin):
        response = await client.post(f"{URL}/import", headers=admin,
                                     json={"days": NATIONAL_DAY_2026})
        assert response.status_code == 200

    async def test_any_principal_lists_a_range_in_day_order(self, client, national_day, rep):
        response = await client.get(URL, headers=rep,
                                    params={"from": "2026-09-20", "to": "2026-10-03"})
        assert response.status_code == 200
        body = response.json()
        assert [d["day"] for d in body["items"]] == [
            "2026-09-20", "2026-10-01", "2026-10-02", "2026-10-03"]
        assert body["items"][0]["kind"] == "workday" and body["next_cursor"] is None

    async def test_pages_cover_the_range_once(self, client, national_day, admin):
        seen, cursor = [], None
        while True:
            params = {"from": "2026-01-01", "to": "2026-12-31", "limit": 4}
            body = (await client.get(URL, headers=admin,
                                     params=params | ({"cursor": cursor} if cursor else {}))).json()
            seen += [d["day"] for d in body["items"]]
            if (cursor := body["next_cursor"]) is None:
                break
        assert seen == sorted(d["day"] for d in NATIONAL_DAY_2026)

    async def test_unauthenticated_is_401(self, client):
        response = await client.get(URL, params={"from": "2026-01-01", "to": "2026-12-31"})
        assert response.status_code == 401

    async def test_three_years_at_most(self, client, admin):
        ok = await client.get(URL, headers=admin, params={"from": "2026-01-01", "to": "2028-12-31"})
        assert ok.status_code == 200
        too_long = await client.get(URL, headers=admin,
                                    params={"from": "2026-01-01", "to": "2029-01-01"})
        assert too_long.status_code == 422
        assert too_long.json()["code"] == "calendar.invalid_range"

    async def test_to_before_from_is_422(self, client, admin):
        response = await client.get(URL, headers=admin,
                                    params={"from": "2026-10-02", "to": "2026-10-01"})
        assert response.status_code == 422 and response.json()["code"] == "calendar.invalid_range"

    @pytest.mark.parametrize("params", [
        {"from": "2026-13-01", "to": "2026-12-31"},
        {"from": "2026-01-01", "to": "soon"},
        {"from": "1767225600", "to": "2026-12-31"},
        {"to": "2026-12-31"},
    ])
    async def test_invalid_or_missing_dates_are_422(self, client, admin, params):
        response = await client.get(URL, headers=admin, params=params)
        assert response.status_code == 422 and response.json()["code"] == "validation_error"

    async def test_bad_cursor_is_400(self, client, admin):
        # Well-formed for the generic decoder (["x"]), but not a day.
        response = await client.get(URL, headers=admin, params={
            "from": "2026-01-01", "to": "2026-12-31", "cursor": "WyJ4Il0"})
        assert response.status_code == 400
        assert response.json()["code"] == "pagination.invalid_cursor"

    async def test_get_one_day_with_etag(self, client, national_day, rep):
        response = await client.get(f"{URL}/2026-10-10", headers=rep)
        assert response.status_code == 200 and response.headers["etag"] == '"1"'
        assert response.json()["name"] == "国庆节调休"
        missing = await client.get(f"{URL}/2026-10-12", headers=rep)
        assert missing.status_code == 404 and missing.json()["code"] == "calendar.day_not_found"


class TestLoadCalendar:
    async def test_the_approval_engine_view_of_national_day(self, client, session, admin):
        await client.post(f"{URL}/import", headers=admin, json={"days": NATIONAL_DAY_2026})
        shanghai = ZoneInfo("Asia/Shanghai")
        start = datetime(2026, 9, 30, 10, tzinfo=shanghai).astimezone(UTC)
        first = start.astimezone(shanghai).date()
        calendar = await service.load_calendar(
            session, start=first - timedelta(days=1), end=first + timedelta(days=60),
            tz=shanghai)
        assert calendar.holidays == {date(2026, 10, d) for d in range(1, 8)}
        assert calendar.makeup_workdays == {date(2026, 10, 10)}  # Sep 20 is before the window
        assert calendar.add_working_hours(start, 48) == datetime(2026, 10, 9, 10, tzinfo=shanghai)
        with pytest.raises(OutsideCalendarWindow):
            calendar.add_working_hours(start, 24 * 60)

    async def test_empty_calendar_is_the_plain_week(self, session):
        calendar = await service.load_calendar(session, start=date(2026, 3, 1),
                                               end=date(2026, 3, 31))
        friday = datetime(2026, 3, 6, 2, tzinfo=UTC)
        assert calendar.add_working_hours(friday, 48) == datetime(2026, 3, 10, 2, tzinfo=UTC)
