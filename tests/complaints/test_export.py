"""The complaint list as a file: Chinese headers, channel, category, severity and status as
labels, times as Excel times, the list's filters and visibility, every row across export
pages."""

from datetime import datetime

from app.core import export
from app.departments.models import Department
from tests.complaints.conftest import COMPLAINTS
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.factories.customers import create_customer

ZH = {"Accept-Language": "zh-CN"}


async def _complaints(helpdesk, session) -> None:
    """Two about rep.zhang's customer (one assigned to east), one about rep.west's."""
    first = await helpdesk.taken(title="阀门漏水")
    await helpdesk.assigned(first)
    await helpdesk.taken(title="发票抬头错误", category="billing", severity="low",
                         channel="email")
    west = await session.get(Department, "west")
    theirs = await create_customer(session, department=west, owner_id="rep.west",
                                   name="西区客户")
    await helpdesk.taken(title="交期延误", customer_id=theirs.id, category="delivery")


async def test_csv_with_labels_and_the_rep_s_own_customers(helpdesk, session):
    await _complaints(helpdesk, session)
    response = await helpdesk.client.get(f"{COMPLAINTS}?format=csv&sort=received_at",
                                         headers=helpdesk.company.rep | ZH)
    assert response.status_code == 200, response.text
    rows = read_csv(response)
    header = rows[0]
    assert header[:3] == ["投诉编号", "投诉主题", "客户"]
    assert [(row[header.index("投诉主题")], row[header.index("投诉渠道")],
             row[header.index("投诉类别")], row[header.index("严重程度")],
             row[header.index("状态")], row[header.index("受理超时")])
            for row in rows[1:]] == [
        ("阀门漏水", "电话", "质量问题", "严重", "调查中", "否"),
        ("发票抬头错误", "电子邮件", "账务问题", "轻微", "已接收", "否")]
    assert "filename*=UTF-8''%E5%AE%A2%E6%88%B7%E6%8A%95%E8%AF%89-" in (
        response.headers["content-disposition"])


async def test_xlsx_times_and_category_filter(helpdesk, session):
    await _complaints(helpdesk, session)
    response = await helpdesk.client.get(f"{COMPLAINTS}?format=xlsx&category=delivery",
                                         headers=helpdesk.cs | ZH)
    assert response.status_code == 200, response.text
    rows = read_xlsx(response)
    header = rows[0]
    (row,) = rows[1:]
    assert (row[header.index("客户")], row[header.index("投诉类别")]) == ("西区客户", "交付问题")
    # Taken in on Tuesday 10:00 in Shanghai, as the company's clock shows it.
    assert row[header.index("接收时间")] == datetime(2026, 3, 10, 10, 0)
    assert isinstance(row[header.index("受理期限")], datetime)


async def test_every_row_across_export_pages(helpdesk, session, monkeypatch):
    await _complaints(helpdesk, session)
    monkeypatch.setattr(export, "EXPORT_PAGE", 2)
    response = await helpdesk.client.get(f"{COMPLAINTS}?sort=received_at&limit=1",
                                         headers=helpdesk.cs | {"Accept": "text/csv"})
    rows = read_csv(response)
    assert [row[rows[0].index("Title")] for row in rows[1:]] == [
        "阀门漏水", "发票抬头错误", "交期延误"]
    assert response.headers["x-export-rows"] == "3"
