"""The complaints list as a screen reads it (docs/api.md "Lists"): sorted by intake or by the
acknowledgement deadline, the customer's rep and department, the company's calendar days of
intake, a text search, the count, and names beside the ids. Paging through every sort is
tests/core/test_sorted_lists.py's."""

from datetime import datetime

from app.customers.models import Customer
from tests.complaints.conftest import COMPLAINTS, ok, refused


async def listed(helpdesk, headers=None, **params) -> dict:
    return ok(await helpdesk.client.get(COMPLAINTS, headers=headers or helpdesk.cs,
                                        params=params))


async def ids(helpdesk, **params) -> list[int]:
    return [c["id"] for c in (await listed(helpdesk, **params))["items"]]


async def test_newest_first_by_default_and_by_deadline_when_asked(helpdesk):
    # Taken in on a Friday evening and the Monday after: Friday's deadline is the earlier.
    helpdesk.clock.now = datetime.fromisoformat("2026-03-13T10:00:00+00:00")
    friday = await helpdesk.taken(title="周五")
    helpdesk.clock.now = datetime.fromisoformat("2026-03-16T01:00:00+00:00")
    monday = await helpdesk.taken(title="周一")
    assert friday["ack_due_at"] < monday["ack_due_at"]
    assert await ids(helpdesk) == [monday["id"], friday["id"]]
    assert await ids(helpdesk, sort="ack_due_at") == [friday["id"], monday["id"]]
    assert await ids(helpdesk, sort="-received_at") == [monday["id"], friday["id"]]
    refused(await helpdesk.client.get(COMPLAINTS, headers=helpdesk.cs,
                                      params={"sort": "severity"}), 422, "validation_error")


async def test_intake_days_are_the_company_s_calendar_days(helpdesk):
    # 23:59:59 and 00:00:00 in Shanghai, 10 and 11 March.
    helpdesk.clock.now = datetime.fromisoformat("2026-03-10T15:59:59+00:00")
    late = await helpdesk.taken()
    helpdesk.clock.now = datetime.fromisoformat("2026-03-10T16:00:00+00:00")
    early = await helpdesk.taken()
    for prefix in ("created", "received"):
        assert await ids(helpdesk, **{f"{prefix}_to": "2026-03-10"}) == [late["id"]]
        assert await ids(helpdesk, **{f"{prefix}_from": "2026-03-11"}) == [early["id"]]
        assert await ids(helpdesk, **{f"{prefix}_from": "2026-03-10",
                                      f"{prefix}_to": "2026-03-11"}) == [early["id"], late["id"]]
        assert await ids(helpdesk, **{f"{prefix}_from": "2026-03-12"}) == []


async def test_rep_department_search_and_count(helpdesk):
    leaking = await helpdesk.taken(title="阀门漏水", description="三只阀门漏水")
    late = await helpdesk.taken(title="到货延迟", description="Delivery was 5 DAYS late",
                                category="delivery")
    body = await listed(helpdesk, include_total="true", limit=1)
    assert body["total"] == 2 and len(body["items"]) == 1
    assert (await listed(helpdesk, owner_id="rep.zhang", include_total="true"))["total"] == 2
    assert await ids(helpdesk, owner_id="rep.liu") == []
    assert await ids(helpdesk, department_id="east") == [late["id"], leaking["id"]]
    assert await ids(helpdesk, department_id="west") == []
    assert await ids(helpdesk, q="漏水") == [leaking["id"]]
    assert await ids(helpdesk, q="5 days") == [late["id"]]  # the description, any case
    assert await ids(helpdesk, q=leaking["number"].lower()) == [leaking["id"]]
    assert await ids(helpdesk, q="100%") == []  # % is a character, not a wildcard
    assert (await listed(helpdesk, q="漏水", include_total="true"))["total"] == 1


async def test_reads_carry_the_customer_and_people_names(helpdesk, session, headers_for):
    customer = await session.get(Customer, helpdesk.company.customer_id)
    cs = headers_for("customer_service", sub="cs.lin", name="林客服")
    complaint = ok(await helpdesk.take(headers=cs), 201)
    assert complaint["customer_name"] == customer.name
    assert complaint["created_by_name"] == "林客服"
    assert complaint["owner_name"] is None  # rep.zhang has not acted here yet
    [item] = (await listed(helpdesk))["items"]
    assert (item["customer_name"], item["created_by_name"]) == (customer.name, "林客服")
