"""Converting a lead (SPEC §3): a customer (new or the owner's own) and an opportunity in
one transaction; a failure anywhere leaves nothing; two conversions at once, one wins."""

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.core.db import create_sessionmaker
from app.customers.models import Customer
from app.events.models import Event
from app.opportunities.models import Opportunity
from tests.factories.customers import create_customer, valid_credit_code

LEADS = "/api/v1/leads"
OPPORTUNITY = {"grade": "high", "expected_amount": "480000.00",
               "expected_close_date": "2026-10-31"}


async def _counts(session) -> dict[str, int]:
    return {model.__name__: await session.scalar(select(func.count()).select_from(model))
            for model in (Customer, Opportunity, AuditEntry, Event)}


@pytest.fixture
def qualified(client, company):
    async def make(headers: dict | None = None, **overrides) -> dict:
        body = {"source": "referral", "company": "绍兴越城纺织有限公司", "contact_name": "陈总",
                "phone": "0575-8512 3456 转 801", "email": "Chen@YueCheng.cn"} | overrides
        lead = (await client.post(LEADS, headers=headers or company.rep, json=body)).json()
        await client.post(f"{LEADS}/{lead['id']}/contact", headers=headers or company.rep)
        response = await client.post(f"{LEADS}/{lead['id']}/qualify",
                                     headers=headers or company.rep)
        assert response.status_code == 200, response.text
        return response.json()
    return make


class TestConvert:
    async def test_into_a_new_customer_and_an_opportunity(self, client, company, qualified,
                                                          session):
        lead = await qualified()
        response = await client.post(f"{LEADS}/{lead['id']}/convert", headers=company.rep,
                                     json={"opportunity": OPPORTUNITY,
                                           "customer": {"address": "绍兴市越城区"}})
        assert response.status_code == 200, response.text
        converted = response.json()
        assert converted["status"] == "converted" and converted["converted_at"]
        assert converted["allowed_actions"] == []
        customer = (await client.get(f"/api/v1/customers/{converted['customer_id']}",
                                     headers=company.rep)).json()
        assert (customer["name"], customer["owner_id"], customer["department_id"],
                customer["address"]) == (
            "绍兴越城纺织有限公司", "rep.zhang", "east", "绍兴市越城区")
        assert customer["contacts"] == [{"name": "陈总", "title": None,
                                         "phone": "+8657585123456", "phone_extension": "801",
                                         "email": "chen@yuecheng.cn"}]
        opportunity = (await client.get(
            f"/api/v1/opportunities/{converted['opportunity_id']}", headers=company.rep)).json()
        assert (opportunity["lead_id"], opportunity["customer_id"], opportunity["title"],
                opportunity["grade"], opportunity["expected_amount"], opportunity["stage"]) == (
            lead["id"], customer["id"], "绍兴越城纺织有限公司", "high", "480000.00",
            "qualification")
        events = (await session.execute(select(Event).where(Event.type.in_(
            ["customer.created", "opportunity.created", "lead.converted"]),
            Event.actor_id == "rep.zhang").order_by(Event.id))).scalars().all()
        assert [e.type for e in events] == ["customer.created", "opportunity.created",
                                            "lead.converted"]
        assert len({e.request_id for e in events}) == 1  # one request, one transaction
        assert events[-1].data["opportunity_id"] == opportunity["id"]
        assert events[-1].data["customer_created"] is True

    async def test_into_the_owners_existing_customer(self, client, company, qualified,
                                                     session):
        lead = await qualified()
        before = await _counts(session)
        response = await client.post(f"{LEADS}/{lead['id']}/convert", headers=company.rep,
                                     json={"customer_id": company.customer_id,
                                           "opportunity": OPPORTUNITY | {"title": "扩产"}})
        assert response.status_code == 200, response.text
        assert response.json()["customer_id"] == company.customer_id
        after = await _counts(session)
        assert (after["Customer"], after["Opportunity"]) == (
            before["Customer"], before["Opportunity"] + 1)

    async def test_not_into_another_reps_customer(self, client, company, qualified, session):
        others = await create_customer(session, owner_id="rep.liu",
                                       department=await _east(session))
        lead = await qualified()
        before = await _counts(session)
        by_head = await client.post(f"{LEADS}/{lead['id']}/convert", headers=company.head,
                                    json={"customer_id": others.id, "opportunity": OPPORTUNITY})
        assert by_head.status_code == 409
        assert by_head.json()["code"] == "lead.customer_owned_by_another"
        by_rep = await client.post(f"{LEADS}/{lead['id']}/convert", headers=company.rep,
                                   json={"customer_id": others.id, "opportunity": OPPORTUNITY})
        assert by_rep.status_code == 422 and by_rep.json()["code"] == "lead.unknown_customer"
        assert await _counts(session) == before

    async def test_only_a_qualified_lead(self, client, company):
        lead = (await client.post(LEADS, headers=company.rep, json={
            "source": "web", "company": "A", "phone": "13812345678"})).json()
        response = await client.post(f"{LEADS}/{lead['id']}/convert", headers=company.rep,
                                     json={"opportunity": OPPORTUNITY})
        assert response.status_code == 409
        assert response.json()["allowed_next"] == ["contacted", "disqualified"]

    async def test_an_unassigned_lead_is_assigned_first(self, client, company, headers_for):
        erp = headers_for("integration", sub="erp")
        lead = (await client.post(LEADS, headers=erp, json={
            "source": "web", "company": "A", "email": "a@a.cn", "department_id": "east"})).json()
        await client.post(f"{LEADS}/{lead['id']}/contact", headers=company.head)
        await client.post(f"{LEADS}/{lead['id']}/qualify", headers=company.head)
        response = await client.post(f"{LEADS}/{lead['id']}/convert", headers=company.head,
                                     json={"opportunity": OPPORTUNITY})
        assert response.status_code == 409 and response.json()["code"] == "lead.unassigned"

    async def test_link_or_create_not_both(self, client, company, qualified):
        lead = await qualified()
        response = await client.post(f"{LEADS}/{lead['id']}/convert", headers=company.rep, json={
            "customer_id": company.customer_id, "customer": {"name": "x"},
            "opportunity": OPPORTUNITY})
        assert response.status_code == 422

    async def test_a_taken_credit_code_refuses_the_whole_conversion(self, client, company,
                                                                    qualified, session):
        code = valid_credit_code(777)
        await create_customer(session, credit_code=code, department=await _east(session))
        lead = await qualified()
        before = await _counts(session)
        response = await client.post(f"{LEADS}/{lead['id']}/convert", headers=company.rep,
                                     json={"customer": {"credit_code": code},
                                           "opportunity": OPPORTUNITY})
        assert response.status_code == 409
        assert response.json()["code"] == "customer.duplicate_credit_code"
        assert await _counts(session) == before
        assert (await client.get(f"{LEADS}/{lead['id']}", headers=company.rep)).json()[
            "status"] == "qualified"


class TestAtomicity:
    async def test_a_failure_after_the_customer_was_inserted_leaves_nothing(
            self, client, company, qualified, session, monkeypatch):
        from app.opportunities import service as opportunities

        lead = await qualified()
        before = await _counts(session)
        inserted: list[int] = []

        async def failing_add(session, principal, *, customer, **_kwargs):
            inserted.append(customer.id)  # the customer row exists at this point
            raise RuntimeError("disk full")

        monkeypatch.setattr(opportunities, "add", failing_add)
        response = await client.post(f"{LEADS}/{lead['id']}/convert", headers=company.rep,
                                     json={"opportunity": OPPORTUNITY})
        assert response.status_code == 500 and response.json()["code"] == "internal_error"
        assert inserted and inserted[0] is not None
        assert await session.get(Customer, inserted[0]) is None
        assert await _counts(session) == before
        after = (await client.get(f"{LEADS}/{lead['id']}", headers=company.rep)).json()
        assert (after["status"], after["customer_id"], after["version"]) == (
            "qualified", None, lead["version"])


async def _east(session):
    from app.departments.models import Department
    return await session.get(Department, "east")


async def test_two_conversions_at_once_one_wins(committing_app, engine, headers_for):
    """The lead row is the lock: on PostgreSQL the second waits and then finds the lead
    converted; on SQLite the write lock taken at BEGIN does the same."""
    from tests.factories.departments import create_department

    maker = create_sessionmaker(engine)
    async with maker() as session:
        await create_department(session, id="race-lead")
    rep = headers_for("sales_rep", sub="rep.race", dept="race-lead")
    transport = httpx.ASGITransport(app=committing_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        lead = (await client.post(LEADS, headers=rep, json={
            "source": "phone", "company": "竞速公司", "phone": "13812345678"})).json()
        await client.post(f"{LEADS}/{lead['id']}/contact", headers=rep)
        await client.post(f"{LEADS}/{lead['id']}/qualify", headers=rep)
        responses = await asyncio.gather(*[
            client.post(f"{LEADS}/{lead['id']}/convert", headers=rep,
                        json={"opportunity": OPPORTUNITY}) for _ in range(3)])
        assert sorted(r.status_code for r in responses) == [200, 409, 409], [
            r.text for r in responses]
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {
            "state.invalid_transition"}
    async with maker() as session:
        customers = await session.scalar(select(func.count()).select_from(Customer).where(
            Customer.department_id == "race-lead"))
        opportunities = await session.scalar(select(func.count()).select_from(
            Opportunity).where(Opportunity.lead_id == lead["id"]))
        assert (customers, opportunities) == (1, 1)
