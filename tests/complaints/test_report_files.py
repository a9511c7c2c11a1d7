"""The complaints report as a file: the categories, then the responsible departments (two
breakdowns of the same complaints), then the total; labels and names in Chinese, the same
figures as the JSON report."""

from datetime import timedelta

from app.core import export
from tests.complaints.test_reports import REPORT, _close_explained
from tests.export.report_files import (
    ZH,
    chinese_filename,
    csv_table,
    name_department,
    same_figures,
    xlsx_table,
)

FIGURES = {"收到": "received", "未结": "open", "已结": "closed",
           "平均结案时长（小时）": "mean_hours_to_close"}


async def test_by_category_then_by_department_then_the_total(helpdesk, session):
    await _close_explained(helpdesk, timedelta(hours=10))
    await _close_explained(helpdesk, timedelta(hours=30), category="delivery")
    await _close_explained(helpdesk, timedelta(hours=20))
    await helpdesk.assigned(await helpdesk.taken(), "west")
    await helpdesk.taken(category="billing")
    await name_department(session, "east", "华东销售部")
    await name_department(session, "west", "华西销售部")
    client, params = helpdesk.client, {"from": "2026-03-01"}
    report = (await client.get(REPORT, headers=helpdesk.cs, params=params)).json()
    blocks = [*report["by_category"], *report["by_department"], report["total"]]

    response = await client.get(REPORT, headers=helpdesk.cs | ZH,
                                params=params | {"format": "csv"})
    header, rows = csv_table(response)
    assert header == ["统计维度", "分组", *FIGURES]
    labels = {"quality": "质量", "delivery": "交付", "billing": "开票结算"}
    departments = {"east": "华东销售部", "west": "华西销售部", None: "未分派"}
    assert [(row[0], row[1]) for row in rows] == [
        *(("按类别", labels[c["category"]]) for c in report["by_category"]),
        *(("按责任部门", departments[d["department_id"]]) for d in report["by_department"]),
        ("合计", "")]
    for row, block in zip(rows, blocks, strict=True):
        assert [row[header.index(t)] for t in ("收到", "未结", "已结")] == [
            str(block[k]) for k in ("received", "open", "closed")]
    quality = next(row for row in rows if row[1] == "质量")
    assert quality[header.index("平均结案时长（小时）")] == "15.0"
    assert rows[-1][2:] == ["5", "2", "3", "20.0"]
    assert chinese_filename(response).startswith("投诉统计-")

    header, rows = xlsx_table(await client.get(REPORT, headers=helpdesk.cs | ZH | {
        "Accept": export.XLSX_MEDIA_TYPE}, params=params))
    for row, block in zip(rows, blocks, strict=True):
        same_figures(header, row, block, FIGURES, xlsx=True)
    assert rows[-1][0] == "合计" and rows[-1][header.index("平均结案时长（小时）")] == 20


async def test_a_rep_downloads_only_their_customers_complaints(helpdesk):
    await helpdesk.taken()
    header, rows = csv_table(await helpdesk.client.get(REPORT, headers=helpdesk.company.rep,
                                                       params={"format": "csv"}))
    assert header[:3] == ["Breakdown", "Group", "Received"]
    assert [row[:3] for row in rows] == [["By category", "Quality", "1"],
                                         ["By department", "Not assigned yet", "1"],
                                         ["Total", "", "1"]]
