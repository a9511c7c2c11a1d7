"""The visit list as a file: Chinese headers, states as labels, the planned time as an Excel
time on the company's clock, the list's filters and visibility, every row across export
pages."""

from datetime import datetime

from app.core import export
from app.departments.models import Department
from tests.export.test_customer_export import read_csv, read_xlsx
from tests.factories.customers import create_customer
from tests.visits.conftest import VISITS, ok

ZH = {"Accept-Language": "zh-CN"}


async def _visits(visits) -> None:
    """rep.zhang: one approved, one draft; rep.liu: one draft of their own customer."""
    await visits.approved(purpose="介绍新款离心泵")
    await visits.draft(purpose="回访", planned_at="2026-03-13T01:00:00Z")
    east = await visits.session.get(Department, "east")
    theirs = await create_customer(visits.session, department=east, owner_id="rep.liu",
                                   name="刘的客户")
    ok(await visits.create(headers=visits.company.other_rep, customer_id=theirs.id,
                           purpose="他人的拜访"), 201)


async def test_csv_with_labels_and_the_rep_s_own_visits(visits):
    await _visits(visits)
    response = await visits.client.get(f"{VISITS}?format=csv&sort=planned_at",
                                       headers=visits.company.rep | ZH)
    assert response.status_code == 200, response.text
    rows = read_csv(response)
    header = rows[0]
    assert header[:3] == ["拜访编号", "客户", "拜访目的"]
    assert [(row[header.index("拜访目的")], row[header.index("状态")],
             row[header.index("计划拜访时间")], row[header.index("拜访对象")])
            for row in rows[1:]] == [
        ("介绍新款离心泵", "已批准", "2026-03-12 14:30:00", "王经理"),
        ("回访", "草稿", "2026-03-13 09:00:00", "王经理")]
    assert "filename*=UTF-8''%E5%AE%A2%E6%88%B7%E6%8B%9C%E8%AE%BF-" in (
        response.headers["content-disposition"])


async def test_xlsx_times_and_status_filter(visits):
    await _visits(visits)
    response = await visits.client.get(f"{VISITS}?format=xlsx&status=draft&sort=planned_at",
                                       headers=visits.company.head | ZH)
    assert response.status_code == 200, response.text
    rows = read_xlsx(response)
    header = rows[0]
    assert [(row[header.index("拜访目的")], row[header.index("计划拜访时间")])
            for row in rows[1:]] == [("他人的拜访", datetime(2026, 3, 12, 14, 30)),
                                     ("回访", datetime(2026, 3, 13, 9, 0))]
    assert {row[header.index("重点客户")] for row in rows[1:]} == {"否"}


async def test_every_row_across_export_pages(visits, monkeypatch):
    await _visits(visits)
    monkeypatch.setattr(export, "EXPORT_PAGE", 2)
    response = await visits.client.get(f"{VISITS}?sort=created_at&limit=1",
                                       headers=visits.company.head | {"Accept": "text/csv"})
    rows = read_csv(response)
    assert [row[rows[0].index("Purpose")] for row in rows[1:]] == [
        "介绍新款离心泵", "回访", "他人的拜访"]
    assert response.headers["x-export-rows"] == "3"
