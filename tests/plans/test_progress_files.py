"""Progress against the targets as a file: a row per target with the year's figures, the
months of a yearly period as columns (target, actual, rate), the total last; for the
period's report and for one plan's, within the same visibility as the JSON."""

import pytest

from app.core import export
from tests.export.report_files import (
    ZH,
    chinese_filename,
    csv_table,
    known_as,
    name_department,
    same_figures,
    xlsx_table,
)
from tests.factories.plans import PLANS, PROGRESS, target
from tests.plans.test_progress import ledger, year_plan  # noqa: F401

FIGURES = {"目标": "target", "实际": "confirmed", "完成率(%)": "confirmed_percent",
           "回款": "collected", "回款率(%)": "collected_percent"}
BASE = ["部门", "负责人", "计划编号", "期间", "已确认目标", *FIGURES]


def month_figures(month: int) -> dict[str, str]:
    return {f"{month}月目标": "target", f"{month}月实际": "confirmed",
            f"{month}月完成率(%)": "confirmed_percent"}


def month_of(item: dict, month: int) -> dict:
    return next(m for m in item["months"] if m["month"] == month)


async def test_a_row_per_target_and_the_months_as_columns(client, company, session,
                                                          headers_for, year_plan):  # noqa: F811
    await name_department(session, "east", "华东销售部")
    await known_as(client, company, headers_for, "rep.zhang", "张伟")
    report = (await client.get(PROGRESS, headers=company.head,
                               params={"period": "2026"})).json()
    liu, zhang = report["items"]
    response = await client.get(PROGRESS, headers=company.head | ZH,
                                params={"period": "2026", "format": "csv"})
    header, rows = csv_table(response)
    assert header == [*BASE, *(title for month in range(1, 13)
                               for title in month_figures(month))]
    assert [row[:5] for row in rows] == [
        ["华东销售部", "rep.liu", year_plan["number"], "2026", "否"],
        ["华东销售部", "张伟", year_plan["number"], "2026", "否"],
        ["合计", "", "", "2026", ""]]
    for row, block in zip(rows, [liu, zhang, report["total"]], strict=True):
        same_figures(header, row, block, FIGURES)
    for month in range(1, 13):
        same_figures(header, rows[0], month_of(liu, month), month_figures(month))
        same_figures(header, rows[1], month_of(zhang, month), month_figures(month))
    assert rows[1][header.index("1月完成率(%)")] == "12.35"
    assert rows[0][header.index("3月目标")] == ""  # Liu's yearly target is not split
    # The months added up; Liu's target has no share of a month, so no month's target
    # (nor rate) can be totalled.
    assert [rows[2][header.index(title)] for title in ("3月目标", "3月实际", "3月完成率(%)")] \
        == ["", "30000.00", ""]
    assert rows[2][header.index("1月实际")] == "12345.00"
    assert chinese_filename(response).startswith("计划完成情况-")

    header, rows = xlsx_table(await client.get(PROGRESS, headers=company.head | ZH | {
        "Accept": export.XLSX_MEDIA_TYPE}, params={"period": "2026"}))
    for row, block in zip(rows, [liu, zhang, report["total"]], strict=True):
        same_figures(header, row, block, FIGURES, xlsx=True)
    same_figures(header, rows[1], month_of(zhang, 12), month_figures(12), xlsx=True)
    assert rows[2][header.index("目标")] == 1500000.0


async def test_one_reps_months_add_up_to_a_total_with_its_rate(client, company,
                                                               year_plan):  # noqa: F811
    header, rows = csv_table(await client.get(PROGRESS, headers=company.head | ZH, params={
        "period": "2026", "owner_id": "rep.zhang", "format": "csv"}))
    assert [row[1] for row in rows] == ["rep.zhang", ""]
    assert [rows[-1][header.index(title)] for title in ("1月目标", "1月实际", "1月完成率(%)")] \
        == ["100000.00", "12345.00", "12.35"]


@pytest.mark.usefixtures("ledger")
async def test_a_monthly_period_has_no_month_columns(client, company, planner):
    await planner.approved("2026-02", "20000.00", target("rep.zhang", "20000.00"))
    report = (await client.get(PROGRESS, headers=company.head,
                               params={"period": "2026-02"})).json()
    header, rows = csv_table(await client.get(PROGRESS, headers=company.head | ZH, params={
        "period": "2026-02", "format": "csv"}))
    assert header == BASE
    same_figures(header, rows[0], report["items"][0], FIGURES)
    assert rows[0][header.index("完成率(%)")] == "106.17"
    same_figures(header, rows[-1], report["total"], FIGURES)


async def test_a_plans_own_progress_and_who_may_read_it(client, company,
                                                        year_plan):  # noqa: F811
    url = f"{PLANS}/{year_plan['id']}/progress"
    report = (await client.get(url, headers=company.head)).json()
    header, rows = xlsx_table(await client.get(url, headers=company.head,
                                               params={"format": "xlsx"}))
    assert header[:2] == ["Department", "Owner"] and "Month 12 achieved (%)" in header
    assert [row[1] for row in rows] == ["rep.liu", "rep.zhang", None]
    assert rows[-1][0] == "Total"
    assert rows[-1][header.index("Actual")] == float(report["total"]["confirmed"])
    response = await client.get(url, headers=company.rep, params={"format": "csv"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_rep_downloads_their_own_target(client, company, year_plan):  # noqa: F811
    mine = (await client.get(PROGRESS, headers=company.rep, params={"period": "2026"})).json()
    header, rows = csv_table(await client.get(PROGRESS, headers=company.rep | ZH, params={
        "period": "2026", "format": "csv"}))
    assert [row[1] for row in rows] == ["rep.zhang", ""]
    same_figures(header, rows[-1], mine["total"], FIGURES)
