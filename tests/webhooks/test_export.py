"""The subscriptions and a subscription's delivery log as files, for the integrator who
reconciles what the ERP received: Chinese headers, statuses as labels, every delivery
across export pages, never the secret, the admin only."""

from app.core import export
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.webhooks.conftest import run_until, subscribe

ZH = {"Accept-Language": "zh-CN"}


async def test_subscriptions_as_csv_without_the_secret(client, admin, company, receiver):
    created = await subscribe(client, admin, receiver.url, ["contract.*", "customer.created"])
    response = await client.get("/api/v1/webhooks?format=csv", headers=admin | ZH)
    assert response.status_code == 200, response.text
    header, row = read_csv(response)
    assert header[:4] == ["订阅ID", "接收地址", "说明", "事件类型"]
    assert row[:2] == [str(created["id"]), receiver.url]
    assert row[3] == "contract.* customer.created" and row[header.index("启用")] == "是"
    assert created["secret"] not in response.text
    assert (await client.get("/api/v1/webhooks?format=csv",
                             headers=company.gm)).status_code == 403


async def test_delivery_log_every_row_with_labels(client, admin, company, receiver,
                                                  dispatcher, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_PAGE", 2)
    subscription = await subscribe(client, admin, receiver.url, ["customer.created"])
    for i in range(3):
        response = await client.post("/api/v1/customers", headers=company.rep,
                                     json={"name": f"投递客户{i}"})
        assert response.status_code == 201, response.text
    await run_until(dispatcher, lambda: len(receiver.received) == 3)
    path = f"/api/v1/webhooks/{subscription['id']}/deliveries"

    response = await client.get(path, headers=admin | ZH, params={"format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["x-export-rows"] == "3"
    header, *rows = read_csv(response)
    assert {row[header.index("状态")] for row in rows} == {"已签收"}
    assert {row[header.index("事件类型")] for row in rows} == {"customer.created"}
    assert {row[header.index("最近响应码")] for row in rows} == {"204"}

    response = await client.get(path, headers=admin, params={"format": "xlsx",
                                                            "status": "failed"})
    assert response.status_code == 200, response.text
    assert read_xlsx(response)[0][0] == "Delivery" and len(read_xlsx(response)) == 1
