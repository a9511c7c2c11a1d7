"""The funnel's rollup (`lead_funnel_day` and `lead_funnel_month`) against a fresh
aggregate: every change the funnel counts, made through the API, leaves the rollup equal to
what the leads and their opportunities add up to, and the report (read from the rollup, a
range's whole months from the months, its other days from the days) equal to the same
report read from the leads, for ranges that cut the months every way."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from app.calendar.working_time import local_date
from app.core.db import create_sessionmaker
from app.core.permissions import Role
from app.core.security import Principal
from app.leads.funnel_rollup import FIGURES, figures_of
from app.leads.models import Lead, LeadFunnelDay, LeadFunnelMonth
from app.reports import funnel as funnel_report
from tests.conftest import IS_POSTGRES
from tests.factories.departments import create_department

LEADS, OPPORTUNITIES, FUNNEL = "/api/v1/leads", "/api/v1/opportunities", "/api/v1/reports/funnel"
RACE = "race-funnel"


async def _fresh_rollup(session) -> dict[tuple, tuple]:
    """The rollup as it would be built from scratch, by the migration's rule."""
    lead_ids = list((await session.execute(select(Lead.id))).scalars())
    counted = await session.run_sync(lambda sync: figures_of(sync, lead_ids))
    fresh: dict[tuple, list[Any]] = {}
    for lead in counted.values():
        summed = fresh.setdefault(lead.key, [0] * len(FIGURES))
        for index, value in enumerate(lead.figures):
            summed[index] += value
    return {key: tuple(values) for key, values in fresh.items()}


async def _rollup(session, table: type = LeadFunnelDay) -> dict[tuple, tuple]:
    period = "day" if table is LeadFunnelDay else "month"
    rows = (await session.execute(select(table))).scalars().all()
    return {(getattr(row, period), row.department_id, row.owner_id): tuple(
        getattr(row, name) for name in FIGURES) for row in rows}


def _by_month(days: dict[tuple, tuple]) -> dict[tuple, tuple]:
    months: dict[tuple, list[Any]] = {}
    for (day, department_id, owner_id), figures in days.items():
        summed = months.setdefault((day.replace(day=1), department_id, owner_id),
                                   [0] * len(FIGURES))
        for index, value in enumerate(figures):
            summed[index] += value
    return {key: tuple(values) for key, values in months.items()}


def _windows(today: date) -> list[tuple[date, date]]:
    """Ranges that cut the rollup every way: days only, whole months only, whole months
    with days on either side, a single day."""
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    return [(today - timedelta(days=90), today + timedelta(days=1)),
            (last_month, next_month - timedelta(days=1)),
            (last_month, this_month - timedelta(days=1)),
            (last_month + timedelta(days=1), next_month - timedelta(days=2)),
            (today - timedelta(days=45), today),
            (today, today)]


PRINCIPALS = {
    "gm": Principal(sub="gm.zhou", roles=frozenset({Role.gm})),
    "head": Principal(sub="head.wang", roles=frozenset({Role.dept_head}), dept="east"),
    "rep": Principal(sub="rep.zhang", roles=frozenset({Role.sales_rep}), dept="east"),
    "vp": Principal(sub="vp.li", roles=frozenset({Role.deputy_gm}), depts=frozenset({"east"})),
    # Both visibility branches: the departments (their home north, empty, and west
    # overseen), and their own leads elsewhere (in east).
    "rep overseeing west": Principal(sub="rep.zhang", roles=frozenset({Role.sales_rep,
                                                                      Role.deputy_gm}),
                                     dept="north", depts=frozenset({"west"})),
}


@pytest.fixture
def agrees(client, company, session, headers_for):
    """Check the rollup against a fresh aggregate, and the long-range report (rollup) of
    each principal against the same report read from the leads."""
    headers = {"gm": company.gm, "head": company.head, "rep": company.rep, "vp": company.vp,
               "rep overseeing west": headers_for(roles=["sales_rep", "deputy_gm"],
                                                  sub="rep.zhang", dept="north",
                                                  depts=["west"])}

    async def check() -> None:
        session.expire_all()
        # This test's departments: committing tests elsewhere may leave rows of their own.
        ours = ("east", "west")
        fresh_days = {key: figures for key, figures in (await _fresh_rollup(session)).items()
                      if key[1] in ours}
        assert {key: figures for key, figures in (await _rollup(session)).items()
                if key[1] in ours} == fresh_days
        assert {key: figures for key, figures in
                (await _rollup(session, LeadFunnelMonth)).items()
                if key[1] in ours} == _by_month(fresh_days)
        today = local_date(datetime.now(UTC))
        for number, (date_from, date_to) in enumerate(_windows(today)):
            # Every principal over the first window; the others as the GM and the rep.
            for name, principal in PRINCIPALS.items():
                if number and name not in ("gm", "rep"):
                    continue
                served = await client.get(FUNNEL, headers=headers[name], params={
                    "from": str(date_from), "to": str(date_to)})
                assert served.status_code == 200, served.text
                fresh = await funnel_report.funnel(
                    session, principal, date_from=date_from, date_to=date_to,
                    department_id=None, owner_id=None, today=today, from_rollup=False)
                assert served.json() == fresh.model_dump(mode="json", by_alias=True), (
                    name, date_from, date_to)

    return check


async def test_every_change_the_funnel_counts_keeps_the_rollup_exact(client, company, session,
                                                                     agrees, headers_for):
    erp = headers_for("integration", sub="erp")
    west_rep = headers_for("sales_rep", sub="rep.west", dept="west")
    phones = iter(range(13600000000, 13700000000))

    async def post(url: str, headers: dict, body: dict | None = None) -> dict:
        response = await client.post(url, headers=headers, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def new_lead(headers: dict, **body: Any) -> str:
        created = await post(LEADS, headers, {"source": "web", "company": f"公司{next(phones)}",
                                              "phone": str(next(phones)), **body})
        return f"{LEADS}/{created['id']}"

    # Created: by a rep, by the ERP into east's pool, in another department.
    mine, pooled, west = (await new_lead(company.rep), await new_lead(erp, department_id="east"),
                          await new_lead(west_rep))
    other = await new_lead(company.other_rep)
    await agrees()
    # Qualified, disqualified.
    for url in (mine, other):
        await post(f"{url}/contact", company.rep if url == mine else company.other_rep)
        await post(f"{url}/qualify", company.rep if url == mine else company.other_rep)
    await post(f"{west}/disqualify", west_rep, {"reason": "无效"})
    await agrees()
    # Taken from the pool by a rep and qualified, moved to another department and rep (its
    # qualification with it), back to that department's pool.
    await post(f"{pooled}/assign", company.head, {"owner_id": "rep.zhang"})
    await post(f"{pooled}/contact", company.rep)
    await post(f"{pooled}/qualify", company.rep)
    await agrees()
    await post(f"{pooled}/assign", company.gm, {"owner_id": "rep.west", "department_id": "west"})
    await agrees()
    await post(f"{pooled}/assign", company.gm, {"owner_id": None})
    await agrees()
    # Converted: the opportunity counts for the lead's key, not the opportunity's owner.
    converted = await post(f"{mine}/convert", company.rep, {"opportunity": {
        "grade": "low", "expected_close_date": "2026-12-31", "expected_amount": "1000.00"}})
    opportunity = f"{OPPORTUNITIES}/{converted['opportunity_id']}"
    lost = await post(f"{other}/convert", company.other_rep, {"opportunity": {
        "grade": "low", "expected_close_date": "2026-12-31", "expected_amount": "250.50"}})
    await agrees()
    # The opportunity's amount changes, it moves on, is won with its own amount; another lost.
    changed = await client.patch(opportunity, headers=company.rep,
                                 json={"expected_amount": "1500.25"})
    assert changed.status_code == 200, changed.text
    for stage in ("needs_analysis", "proposal", "negotiation"):
        await post(f"{opportunity}/stage", company.rep, {"stage": stage})
    await post(f"{opportunity}/win", company.rep, {"amount": "1400.00"})
    await post(f"{OPPORTUNITIES}/{lost['opportunity_id']}/lose", company.other_rep,
               {"reason": "价格"})
    await agrees()
    # A lead moved to another day by a bulk UPDATE (as data corrections do) follows too.
    lead_id = int(mine.rsplit("/", 1)[1])
    await session.execute(update(Lead).where(Lead.id == lead_id).values(
        created_at=datetime.now(UTC) - timedelta(days=40)))
    await session.commit()
    await agrees()
    assert (await _rollup(session))  # the checks compared something


async def test_an_import_counts_its_leads_once(client, company, session, agrees):
    csv = "company,phone,source\n" + "".join(
        f"导入公司{n},1350000000{n},exhibition\n" for n in range(5))
    response = await client.post(f"{LEADS}/import", headers=company.rep,
                                 files={"file": ("leads.csv", csv.encode(), "text/csv")})
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 5
    await agrees()
    rows = await _rollup(session)
    assert sum(figures[0] for key, figures in rows.items() if key[1] == "east") == 5


@pytest.mark.skipif(not IS_POSTGRES, reason="concurrent commits on one rollup row need PostgreSQL")
async def test_concurrent_changes_of_one_key_add_up(committing_app, engine, headers_for):
    """Leads of one rep created, qualified and sent back to the pool at the same moment, with
    real commits: every command adds to the same rollup rows, and none of it is lost."""
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await create_department(session, id=RACE)
    rep = headers_for("sales_rep", sub="rep.race", dept=RACE)
    head = headers_for("dept_head", sub="head.race", dept=RACE)
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        created = await asyncio.gather(*[client.post(LEADS, headers=rep, json={
            "source": "web", "company": f"并发公司{n}", "phone": f"1380000{n:04d}"})
            for n in range(12)])
        assert [r.status_code for r in created] == [201] * 12, [r.text for r in created]
        urls = [f"{LEADS}/{r.json()['id']}" for r in created]
        await asyncio.gather(*[client.post(f"{url}/contact", headers=rep) for url in urls])
        moved = await asyncio.gather(
            *[client.post(f"{url}/qualify", headers=rep) for url in urls[:6]],
            *[client.post(f"{url}/assign", headers=head, json={"owner_id": None})
              for url in urls[6:]])
        assert [r.status_code for r in moved] == [200] * 12, [r.text for r in moved]
    async with maker() as session:
        rows = (await session.execute(select(LeadFunnelDay).where(
            LeadFunnelDay.department_id == RACE))).scalars().all()
        kept = {(row.day, row.department_id, row.owner_id): tuple(
            getattr(row, name) for name in FIGURES) for row in rows}
        fresh = {key: figures for key, figures in (await _fresh_rollup(session)).items()
                 if key[1] == RACE}
        months = {key: figures for key, figures in
                  (await _rollup(session, LeadFunnelMonth)).items() if key[1] == RACE}
    assert kept == fresh
    assert months == _by_month(fresh)
    assert sorted((key[2], figures[:2]) for key, figures in kept.items()) == [
        ("", (6, 0)), ("rep.race", (6, 6))]
