"""The visits list as a screen reads it (docs/api.md "Lists"): sorted by request or by the
planned time, the company's calendar days planned and created, a text search on purpose
and place, the count, and names beside the ids. Paging through every sort is
tests/core/test_sorted_lists.py's."""

from datetime import timedelta

from app.calendar.working_time import local_date
from app.core.db import utcnow
from app.customers.models import Customer


def ids(body: dict) -> list[int]:
    return [v["id"] for v in body["items"]]


async def test_newest_first_by_default_and_by_planned_time_when_asked(visits):
    later = await visits.draft(planned_at="2026-03-20T02:00:00Z")
    sooner = await visits.draft(planned_at="2026-03-12T02:00:00Z")
    assert ids(await visits.listed()) == [sooner["id"], later["id"]]
    assert ids(await visits.listed(sort="planned_at")) == [sooner["id"], later["id"]]
    assert ids(await visits.listed(sort="-planned_at")) == [later["id"], sooner["id"]]
    assert ids(await visits.listed(sort="created_at")) == [later["id"], sooner["id"]]


async def test_planned_days_are_the_company_s_calendar_days(visits):
    # 23:59:59 and 00:00:00 in Shanghai, 12 and 13 March.
    late = await visits.draft(planned_at="2026-03-12T15:59:59Z")
    early = await visits.draft(planned_at="2026-03-12T16:00:00Z")
    assert ids(await visits.listed(planned_to="2026-03-12")) == [late["id"]]
    assert ids(await visits.listed(planned_from="2026-03-13")) == [early["id"]]
    assert ids(await visits.listed(planned_from="2026-03-12", planned_to="2026-03-13",
                                   sort="planned_at")) == [late["id"], early["id"]]


async def test_created_days_search_and_count(visits):
    pumps = await visits.draft(purpose="介绍新款离心泵", place="宁波市北仑区")
    plant = await visits.draft(purpose="Plant audit", place="Hangzhou WORKS")
    today = local_date(utcnow())  # a visit is stamped with the real time, not the test clock
    body = await visits.listed(created_from=str(today), created_to=str(today),
                               include_total="true", limit=1)
    assert body["total"] == 2 and len(body["items"]) == 1
    assert ids(await visits.listed(created_from=str(today + timedelta(days=1)))) == []
    assert ids(await visits.listed(created_to=str(today - timedelta(days=1)))) == []
    assert ids(await visits.listed(q="离心泵")) == [pumps["id"]]
    assert ids(await visits.listed(q="hangzhou works")) == [plant["id"]]
    assert ids(await visits.listed(q="PLANT")) == [plant["id"]]
    assert ids(await visits.listed(q=pumps["number"].lower())) == [pumps["id"]]
    assert ids(await visits.listed(q="_")) == []  # _ is a character, not a wildcard
    assert (await visits.listed(q="宁波", include_total="true"))["total"] == 1
    assert (await visits.listed())["total"] is None


async def test_reads_carry_the_customer_and_people_names(visits, session, headers_for):
    customer = await session.get(Customer, visits.company.customer_id)
    rep = headers_for("sales_rep", sub="rep.zhang", dept="east", name="张伟")
    visit = (await visits.create(headers=rep)).json()
    assert (visit["customer_name"], visit["owner_name"], visit["created_by_name"]) == (
        customer.name, "张伟", "张伟")
    [item] = (await visits.listed())["items"]
    assert (item["customer_name"], item["owner_name"]) == (customer.name, "张伟")
