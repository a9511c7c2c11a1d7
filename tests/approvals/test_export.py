"""The approval list as a file, the inbox (`actionable=true`) included: Chinese headers, the
document type and status as labels, amounts as numbers and deadlines as Excel times, only
what the caller may read, every row across export pages."""

from datetime import datetime

from app.core import export
from tests.export.test_customer_export import read_csv, read_xlsx

APPROVALS = "/api/v1/approvals"
ZH = {"Accept-Language": "zh-CN"}


async def test_the_inbox_as_csv_with_labels(client, company, submitted):
    contracts = [await submitted(total) for total in ("1000.00", "100000.00", "2500.50")]
    first = contracts[0]["approval"]["id"]
    ok = await client.post(f"{APPROVALS}/{first}/approve", headers=company.finance, json={})
    assert ok.status_code == 200, ok.text
    response = await client.get(f"{APPROVALS}?actionable=true&format=csv&sort=amount",
                                headers=company.finance | ZH)
    assert response.status_code == 200, response.text
    rows = read_csv(response)
    header = rows[0]
    assert header[:4] == ["审批单号", "单据类型", "单据ID", "标题"]
    # Finance decided the first: its inbox holds the two still waiting on it.
    assert [(row[header.index("单据类型")], row[header.index("金额")],
             row[header.index("状态")], row[header.index("单据ID")])
            for row in rows[1:]] == [
        ("合同", "2500.50", "待处理", str(contracts[2]["id"])),
        ("合同", "100000.00", "待处理", str(contracts[1]["id"]))]
    assert {row[header.index("部门")] for row in rows[1:]} == {"east"}
    assert "filename*=UTF-8''%E5%AE%A1%E6%89%B9-" in response.headers["content-disposition"]


async def test_xlsx_amounts_times_and_who_may_read(client, company, submitted):
    await submitted("1000.00")
    await submitted("100000.01")
    response = await client.get(f"{APPROVALS}?format=xlsx&sort=-amount",
                                headers=company.rep | ZH)
    assert response.status_code == 200, response.text
    rows = read_xlsx(response)
    header = rows[0]
    assert [row[header.index("金额")] for row in rows[1:]] == [100000.01, 1000.0]
    assert all(isinstance(row[header.index("提交时间")], datetime)
               and isinstance(row[header.index("审批期限")], datetime) for row in rows[1:])
    assert {row[header.index("已超时")] for row in rows[1:]} == {"否"}
    # Another rep of the department reads none of rep.zhang's requests.
    response = await client.get(f"{APPROVALS}?format=csv", headers=company.other_rep)
    assert len(read_csv(response)) == 1


async def test_every_row_across_export_pages(client, company, submitted, monkeypatch):
    for total in ("1.00", "2.00", "3.00"):
        await submitted(total)
    monkeypatch.setattr(export, "EXPORT_PAGE", 2)
    response = await client.get(f"{APPROVALS}?actionable=true&sort=amount&limit=1",
                                headers=company.legal | {"Accept": "text/csv"})
    rows = read_csv(response)
    assert [row[rows[0].index("Amount")] for row in rows[1:]] == ["1.00", "2.00", "3.00"]
    assert {row[rows[0].index("Document type")] for row in rows[1:]} == {"Contract"}
