"""GET /reports/funnel: the cohort of leads created in a range, followed to qualification,
opportunities and wins; counts and amounts by department and rep, aggregated in SQL."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, update

from app.calendar.working_time import local_date
from app.leads.models import Lead
from tests.factories.customers import create_customer
from tests.factories.departments import create_department

LEADS, FUNNEL = "/api/v1/leads", "/api/v1/reports/funnel"


@pytest.fixture
async def funnel_world(client, company, headers_for, session):
    """East: rep.zhang 5 leads (3 qualified, 2 converted, 1 won), rep.liu 2 (1 converted,
    lost), 1 in the pool; west: rep.west 1 (converted, won); one old lead out of range."""
    west_rep = headers_for("sales_rep", sub="rep.west", dept="west")
    erp = headers_for("integration", sub="erp")
    phones = iter(range(13800000000, 13900000000))

    async def lead(headers, status="new", *, opportunity=None, outcome=None, **body):
        created = (await client.post(LEADS, headers=headers, json={
            "source": "web", "company": f"公司{next(phones)}", "phone": str(next(phones)),
            **body})).json()
        url = f"{LEADS}/{created['id']}"
        if status in ("qualified", "converted"):
            await client.post(f"{url}/contact", headers=headers)
            await client.post(f"{url}/qualify", headers=headers)
        if status == "disqualified":
            await client.post(f"{url}/disqualify", headers=headers, json={"reason": "无效"})
        if status == "converted":
            converted = (await client.post(f"{url}/convert", headers=headers, json={
                "opportunity": {"grade": "low", "expected_close_date": "2026-12-31",
                                "expected_amount": opportunity}})).json()
            opp = f"/api/v1/opportunities/{converted['opportunity_id']}"
            if outcome == "lost":
                await client.post(f"{opp}/lose", headers=headers, json={"reason": "价格"})
            elif outcome is not None:
                for stage in ("needs_analysis", "proposal", "negotiation"):
                    await client.post(f"{opp}/stage", headers=headers, json={"stage": stage})
                won = await client.post(f"{opp}/win", headers=headers, json=outcome)
                assert won.status_code == 200, won.text
        return created

    await lead(company.rep, "converted", opportunity="100000.00", outcome={"amount": "90000"})
    await lead(company.rep, "converted", opportunity="5000.00")
    await lead(company.rep, "qualified")
    await lead(company.rep)
    await lead(company.rep, "disqualified")
    await lead(company.other_rep)
    await lead(company.other_rep, "converted", opportunity="20000.50", outcome="lost")
    await lead(erp, department_id="east")
    await lead(west_rep, "converted", opportunity="33.33", outcome={})
    old = await lead(company.rep, "converted", opportunity="777.00", outcome={})
    await session.execute(update(Lead).where(Lead.id == old["id"]).values(
        created_at=datetime.now(UTC) - timedelta(days=60)))
    await session.commit()
    today = local_date(datetime.now(UTC))
    return {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}


def _figures(block: dict) -> tuple:
    return (block["leads"], block["qualified"], block["opportunities"],
            block["opportunity_amount"], block["won"], block["won_amount"])


async def test_counts_and_amounts_by_department_and_rep(client, company, funnel_world):
    report = (await client.get(FUNNEL, headers=company.gm, params=funnel_world)).json()
    assert _figures(report["total"]) == (9, 5, 4, "125033.83", 2, "90033.33")
    assert [d["department_id"] for d in report["departments"]] == ["east", "west"]
    east, west = report["departments"]
    assert _figures(east) == (8, 4, 3, "125000.50", 1, "90000.00")
    assert [(r["owner_id"], _figures(r)) for r in east["reps"]] == [
        ("rep.liu", (2, 1, 1, "20000.50", 0, "0.00")),
        ("rep.zhang", (5, 3, 2, "105000.00", 1, "90000.00")),
        (None, (1, 0, 0, "0.00", 0, "0.00"))]
    zhang = east["reps"][1]
    assert (zhang["qualification_rate"], zhang["conversion_rate"], zhang["win_rate"]) == (
        "60.00", "40.00", "50.00")
    assert east["reps"][2]["win_rate"] is None  # no opportunities, no rate
    assert _figures(west) == (1, 1, 1, "33.33", 1, "33.33")
    assert report["currency"] == "CNY"


async def test_each_sees_the_funnel_they_may_see(client, company, funnel_world):
    mine = (await client.get(FUNNEL, headers=company.rep, params=funnel_world)).json()
    assert [(d["department_id"], [r["owner_id"] for r in d["reps"]])
            for d in mine["departments"]] == [("east", ["rep.zhang"])]
    assert _figures(mine["total"]) == (5, 3, 2, "105000.00", 1, "90000.00")
    head = (await client.get(FUNNEL, headers=company.head, params=funnel_world)).json()
    assert _figures(head["total"]) == (8, 4, 3, "125000.50", 1, "90000.00")
    filtered = (await client.get(FUNNEL, headers=company.head,
                                 params=funnel_world | {"owner_id": "rep.liu"})).json()
    assert _figures(filtered["total"]) == (2, 1, 1, "20000.50", 0, "0.00")
    west = (await client.get(FUNNEL, headers=company.gm,
                             params=funnel_world | {"department_id": "west"})).json()
    assert [d["department_id"] for d in west["departments"]] == ["west"]


async def test_an_empty_range_is_zeros(client, company):
    report = (await client.get(FUNNEL, headers=company.gm,
                               params={"from": "2020-01-01", "to": "2020-01-31"})).json()
    assert _figures(report["total"]) == (0, 0, 0, "0.00", 0, "0.00")
    assert report["departments"] == [] and report["total"]["conversion_rate"] is None


async def test_days_are_company_calendar_days(client, company, session):
    rep = company.rep
    ids = []
    for n in range(3):
        created = (await client.post(LEADS, headers=rep, json={
            "source": "web", "company": f"边界{n}", "phone": f"1370000000{n}"})).json()
        ids.append(created["id"])
    # 2026-02-01 00:00 and 2026-03-01 00:00 in Shanghai, and the last minute of February.
    for lead_id, moment in zip(ids, (datetime(2026, 1, 31, 16, 0, tzinfo=UTC),
                                     datetime(2026, 2, 28, 16, 0, tzinfo=UTC),
                                     datetime(2026, 2, 28, 15, 59, tzinfo=UTC)), strict=True):
        await session.execute(update(Lead).where(Lead.id == lead_id).values(created_at=moment))
    await session.commit()
    report = (await client.get(FUNNEL, headers=rep,
                               params={"from": "2026-02-01", "to": "2026-02-28"})).json()
    assert report["total"]["leads"] == 2


async def test_a_range_that_ends_before_it_starts(client, company):
    response = await client.get(FUNNEL, headers=company.gm,
                                params={"from": "2026-03-02", "to": "2026-03-01"})
    assert response.status_code == 422 and response.json()["code"] == "report.invalid_range"


async def test_one_statement_however_many_leads(client, company, session, engine):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    async def run() -> int:
        statements.clear()
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            response = await client.get(FUNNEL, headers=company.gm)
            assert response.status_code == 200
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
        return len(statements)

    few = await run()
    department = await create_department(session)
    for n in range(30):
        await client.post(LEADS, headers=company.gm, json={
            "source": "web", "company": f"批量{n}", "email": f"b{n}@x.cn",
            "department_id": department.id})
    await create_customer(session, department=department)
    assert await run() == few == 1
    # The database groups the leads: what comes back is one row per rep, department and total.
    assert "GROUP BY" in statements[0].upper()


@pytest.mark.parametrize(("url", "params"), [
    ("/api/v1/reports/funnel", {"from": "0001-01-01", "to": "2026-01-31"}),
    ("/api/v1/reports/funnel", {"from": "2026-01-01", "to": "9999-12-31"}),
    ("/api/v1/leads", {"created_from": "0001-01-01"}),
    ("/api/v1/leads", {"created_to": "9999-12-31"}),
])
async def test_days_beyond_what_a_day_can_be_computed_for_are_refused(client, company, url,
                                                                       params):
    """A day's bounds are computed in the company's time zone: year 1 and year 9999 have
    none that Python or PostgreSQL can hold, so they are a 422, not a server error."""
    response = await client.get(url, headers=company.gm, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
