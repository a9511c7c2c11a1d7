"""A customer's timeline as a file: Chinese headers, kinds and states as labels, amounts as
numbers and times as Excel times, each entry under its own document's visibility, every
entry across export pages in the timeline's order."""

from datetime import datetime

from app.core import export
from tests.deliveries.conftest import ok, refused
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.factories.contracts import contract_body
from tests.factories.quotes import quote_body, quote_line
from tests.timeline.test_timeline import timeline_url, visit

ZH = {"Accept-Language": "zh-CN"}


async def _documents(client, company) -> list[str]:
    """A quote, a contract and a visit planned in 2030: their numbers, newest first."""
    quote = ok(await client.post("/api/v1/quotes", headers=company.rep, json=quote_body(
        company.customer_id, [quote_line(company.product_id, quantity="2")])), 201)
    contract = ok(await client.post("/api/v1/contracts", headers=company.rep,
                                    json=contract_body(company.customer_id,
                                                       company.product_id, total="2260.00")),
                  201)
    planned = await visit(client, company, "2030-01-01T02:00:00Z")
    return [planned["number"], contract["number"], quote["number"]]


async def test_csv_with_kinds_and_states_as_labels(client, company):
    await _documents(client, company)
    response = await client.get(f"{timeline_url(company.customer_id)}?format=csv",
                                headers=company.head | ZH)
    assert response.status_code == 200, response.text
    rows = read_csv(response)
    header = rows[0]
    assert header == ["时间", "类型", "单号", "状态", "币种", "金额", "摘要"]
    # Newest first: the visit is planned in 2030, then the contract after the quote.
    assert [(row[1], row[3]) for row in rows[1:]] == [
        ("客户拜访", "草稿"), ("合同", "草稿"), ("报价单", "草稿")]
    assert rows[1][0] == "2030-01-01 10:00:00" and rows[1][5] == ""
    assert rows[2][5] == "2260.00"
    assert "filename*=UTF-8''%E5%AE%A2%E6%88%B7%E5%BE%80%E6%9D%A5-" in (
        response.headers["content-disposition"])


async def test_xlsx_numbers_and_times(client, company):
    await _documents(client, company)
    response = await client.get(timeline_url(company.customer_id),
                                headers=company.rep | {"Accept": export.XLSX_MEDIA_TYPE})
    assert response.status_code == 200, response.text
    rows = read_xlsx(response)
    header = rows[0]
    assert header[:3] == ["Time", "Kind", "Number"]
    assert rows[1][:2] == [datetime(2030, 1, 1, 10, 0), "Customer visit"]
    assert rows[2][header.index("Amount")] == 2260.0
    assert all(isinstance(row[0], datetime) for row in rows[1:])


async def test_entries_follow_their_own_visibility(client, company):
    await visit(client, company)
    ok(await client.patch(f"/api/v1/customers/{company.customer_id}",
                          headers=company.head, json={"owner_id": "rep.liu"}))
    theirs = await visit(client, company, "2026-03-13T02:00:00Z", company.other_rep)
    url = f"{timeline_url(company.customer_id)}?format=csv"
    rows = read_csv(await client.get(url, headers=company.other_rep))
    assert [row[2] for row in rows[1:]] == [theirs["number"]]
    assert len(read_csv(await client.get(url, headers=company.head))) == 3
    refused(await client.get(url, headers=company.rep), 404, "customer.not_found")


async def test_every_entry_across_export_pages(client, company, monkeypatch):
    newest, *older = await _documents(client, company)
    planned = [await visit(client, company, f"2029-0{n}-01T00:00:00Z") for n in (1, 2, 3)]
    monkeypatch.setattr(export, "EXPORT_PAGE", 2)
    url = f"{timeline_url(company.customer_id)}?format=csv&limit=1"
    response = await client.get(url, headers=company.head)
    assert [row[2] for row in read_csv(response)[1:]] == [
        newest, *[v["number"] for v in reversed(planned)], *older]
    assert response.headers["x-export-rows"] == "6"
