"""Someone's first writes arriving at once, with real commits: each write may find them
missing from the user directory and insert them; the primary key lets one insert win and
the others update the same row (after waiting for it, on PostgreSQL). Every write
succeeds, and the directory holds one row with their name."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from app.core.db import create_sessionmaker
from app.core.directory import AppUser
from tests.factories.departments import create_department

DEPARTMENT = "race-directory"
SUB = "rep.race.directory"


@pytest.fixture
async def racing(committing_app, engine) -> AsyncIterator[httpx.AsyncClient]:
    async with create_sessionmaker(engine)() as session:
        await create_department(session, id=DEPARTMENT)
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


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
