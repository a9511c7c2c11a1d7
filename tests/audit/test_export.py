"""The audit log as a file: Chinese headers, record types as labels, the actor's name beside
their account, before and after as JSON text, the log's filters, its readers only, every
entry across export pages."""

import json
from datetime import datetime

from app.core import export
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.factories.departments import create_department

AUDIT_LOG = "/api/v1/audit-log"
ZH = {"Accept-Language": "zh-CN"}


async def _customers(client, session, headers_for, n: int) -> tuple[dict, list[dict]]:
    await create_department(session, id="east")
    rep = headers_for("sales_rep", sub="rep.audit", dept="east", name="张三")
    created = []
    for i in range(n):
        response = await client.post("/api/v1/customers", json={"name": f"审计客户{i}"},
                                     headers=rep)
        assert response.status_code == 201, response.text
        created.append(response.json())
    return rep, created


async def test_csv_with_labels_names_and_json(client, session, headers_for):
    rep, [customer] = await _customers(client, session, headers_for, 1)
    response = await client.patch(f"/api/v1/customers/{customer['id']}",
                                  json={"name": "改名客户"}, headers=rep)
    assert response.status_code == 200, response.text
    auditor = headers_for("auditor", sub="auditor.1")
    response = await client.get(
        f"{AUDIT_LOG}?format=csv&entity_type=customer&entity_id={customer['id']}",
        headers=auditor | ZH)
    assert response.status_code == 200, response.text
    rows = read_csv(response)
    header = rows[0]
    assert header[:4] == ["序号", "时间", "操作人", "操作人账号"]
    updated, created = rows[1:]  # newest first
    assert [(row[header.index("操作")], row[header.index("对象类型")], row[2], row[3])
            for row in (updated, created)] == [
        ("customer.updated", "客户", "张三", "rep.audit"),
        ("customer.created", "客户", "张三", "rep.audit")]
    assert created[header.index("变更前")] == ""
    assert '"name": "改名客户"' in updated[header.index("变更后")]
    assert json.loads(updated[header.index("变更前")])["name"] == "审计客户0"
    assert "filename*=UTF-8''%E5%AE%A1%E8%AE%A1%E6%97%A5%E5%BF%97-" in (
        response.headers["content-disposition"])
    # The JSON page names the actor too.
    page = (await client.get(AUDIT_LOG, headers=auditor,
                             params={"entity_id": str(customer["id"])})).json()
    assert {item["actor_name"] for item in page["items"]} == {"张三"}


async def test_xlsx_times_and_its_readers_only(client, session, headers_for):
    rep, _ = await _customers(client, session, headers_for, 2)
    admin = headers_for("admin", sub="admin.audit")
    response = await client.get(f"{AUDIT_LOG}?format=xlsx&action=customer.created",
                                headers=admin | ZH)
    assert response.status_code == 200, response.text
    rows = read_xlsx(response)
    header = rows[0]
    assert len(rows) == 3
    assert all(isinstance(row[header.index("时间")], datetime)
               and isinstance(row[header.index("序号")], int) for row in rows[1:])
    assert {row[header.index("对象类型")] for row in rows[1:]} == {"客户"}
    refused = await client.get(f"{AUDIT_LOG}?format=csv", headers=rep)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")


async def test_every_entry_across_export_pages(client, session, headers_for, monkeypatch):
    _, created = await _customers(client, session, headers_for, 5)
    monkeypatch.setattr(export, "EXPORT_PAGE", 2)
    auditor = headers_for("auditor", sub="auditor.1")
    response = await client.get(f"{AUDIT_LOG}?action=customer.created&limit=1",
                                headers=auditor | {"Accept": "text/csv"})
    rows = read_csv(response)
    assert [row[rows[0].index("Record ID")] for row in rows[1:]] == [
        str(c["id"]) for c in reversed(created)]
    assert response.headers["x-export-rows"] == "5"
