"""Leads from a spreadsheet: sources by name, duplicates warned (within the file too),
rows refused by the single create's rules, the integration account allowed."""

from sqlalchemy import func, select

from app.leads.models import Lead
from tests.export.test_customer_import import upload, xlsx
from tests.factories.departments import create_department


async def count(session) -> int:
    return (await session.execute(select(func.count()).select_from(Lead))).scalar_one()


async def test_leads_with_chinese_sources_and_duplicates_within_the_file(client, session,
                                                                          headers_for):
    await create_department(session, id="east")
    rep = headers_for(role="sales_rep", sub="rep.a", dept="east")
    content = xlsx([["来源", "公司名称", "联系人", "联系电话"],
                    ["展会", "宁波乙公司", "赵", "13900139000"],
                    ["web", "Other Co", "Qian", "13900139000"]])
    response = await client.post("/api/v1/leads/import", headers=rep,
                                 files=upload(content))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["created"] == 2
    (warning,) = report["warnings"]
    assert (warning["row"], warning["field"], warning["code"]) == (
        3, "phone", "lead.possible_duplicate")
    first = (await client.get(f"/api/v1/leads/{report['ids'][0]}", headers=rep)).json()
    assert (first["source"], first["company"], first["owner_id"]) == (
        "exhibition", "宁波乙公司", "rep.a")


async def test_refused_rows_leave_no_lead(client, session, headers_for):
    await create_department(session, id="east")
    rep = headers_for(role="sales_rep", sub="rep.a", dept="east")
    content = xlsx([["Source", "Company", "Contact", "Phone"],
                    ["phone", "Fine Co", "Sun", "13700137000"],
                    ["radio", "Bad Source", "Zhou", "13700137001"],
                    ["web", "No Way To Reach", "Wu", None]])
    before = await count(session)
    response = await client.post("/api/v1/leads/import", headers=rep, files=upload(content))
    assert response.status_code == 422
    assert [(e["row"], e["field"], e["code"]) for e in response.json()["row_errors"]] == [
        (3, "source", "enum"), (4, "phone", "lead.contact_required")]
    assert await count(session) == before


async def test_lead_import_role_gate(client, session, headers_for):
    await create_department(session, id="east")
    content = xlsx([["Source", "Company", "E-mail"], ["web", "Form Co", "a@form.example"]])
    integration = headers_for(role="integration", sub="erp", dept="east")
    response = await client.post("/api/v1/leads/import?dry_run=true", headers=integration,
                                 files=upload(content))
    assert response.status_code == 200, response.text
    finance = headers_for(role="finance", sub="fin")
    response = await client.post("/api/v1/leads/import", headers=finance,
                                 files=upload(content))
    assert response.status_code == 403
