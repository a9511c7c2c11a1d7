"""Someone's first writes arriving at once, with real commits: each write may find them
missing from the user directory and insert them; the primary key lets one insert win and
the others update the same row (after waiting for it, on PostgreSQL). Every write
succeeds, and the directory holds one row with their name."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select, text

from app.core.db import create_sessionmaker
from app.core.directory import AppUser
from tests.factories.departments import create_department

DEPARTMENT = "race-directory"
SUB = "rep.race.directory"


@pytest.fixture
async def racing(committing_app, engine) -> AsyncIterator[httpx.AsyncClient]:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        audit_mark = await session.scalar(text("SELECT coalesce(max(id), 0) FROM audit_entry"))
        event_mark = await session.scalar(text("SELECT coalesce(max(id), 0) FROM event"))
        await create_department(session, id=DEPARTMENT)
    try:
        transport = httpx.ASGITransport(app=committing_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client
    finally:
        async with maker() as session:
            for statement in (
                f"DELETE FROM lead WHERE department_id = '{DEPARTMENT}'",
                f"DELETE FROM lead_funnel_day WHERE department_id = '{DEPARTMENT}'",
                f"DELETE FROM lead_funnel_month WHERE department_id = '{DEPARTMENT}'",
                f"DELETE FROM department WHERE id = '{DEPARTMENT}'",
                f"DELETE FROM app_user WHERE sub = '{SUB}'",
                f"DELETE FROM audit_entry WHERE id > {audit_mark}",
                f"DELETE FROM event WHERE id > {event_mark}",
            ):
                await session.execute(text(statement))
            await session.commit()


async def test_first_writes_at_once_make_one_directory_entry(racing, headers_for, engine):
    rep = headers_for("sales_rep", sub=SUB, dept=DEPARTMENT, name="赛跑者")
    responses = await asyncio.gather(*[
        racing.post("/api/v1/leads", headers=rep, json={
            "source": "exhibition", "company": f"并发测试公司{n}", "contact_name": "王经理",
            "phone": f"1390000000{n}"}) for n in range(6)])
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    async with create_sessionmaker(engine)() as session:
        rows = (await session.execute(select(AppUser.sub, AppUser.name)
                                      .where(AppUser.sub == SUB))).all()
    assert [tuple(r) for r in rows] == [(SUB, "赛跑者")]
    listed = (await racing.get("/api/v1/leads", headers=rep,
                               params={"department_id": DEPARTMENT})).json()["items"]
    assert {lead["owner_name"] for lead in listed} == {"赛跑者"}
