"""The growth targets and the deviation analyses as files (`GET /growth-targets?format=…`,
`GET /deviation-analyses?format=…`). A growth rate is written as a percentage with two
places (10.00 for a rate of 0.1000), as the office reads it."""

from decimal import Decimal

from app.core.export import Column, Export
from app.deviations.schemas import AnalysisRead

HUNDREDTH = Decimal("0.01")


def _percent(rate: Decimal) -> Decimal:
    return (rate * 100).quantize(HUNDREDTH)


def _measures_done(analysis: AnalysisRead) -> int:
    return sum(1 for m in analysis.measures if m.done_at is not None)


GROWTH_TARGETS = Export("growth-targets", "增长目标", [
    Column("department_name", "Department", "部门",
           get=lambda t: t.department_name or t.department_id),
    Column("year", "Year", "年度", "integer"),
    Column("growth_rate", "Growth rate (%)", "计划增长率（%）", "number",
           get=lambda t: _percent(t.growth_rate)),
    Column("set_by_name", "Set by", "设定人", get=lambda t: t.set_by_name or t.set_by),
    Column("updated_at", "Set", "设定时间", "datetime"),
])

DEVIATION_ANALYSES = Export("deviation-analyses", "偏差分析", [
    Column("number", "Number", "分析编号"),
    Column("department_name", "Department", "部门",
           get=lambda a: a.department_name or a.department_id),
    Column("period", "Period", "期间"),
    Column("actual", "Actual", "实际销售额", "money"),
    Column("baseline", "Same period last year", "上年同期", "money"),
    Column("growth_rate", "Growth rate (%)", "计划增长率（%）", "number",
           get=lambda a: _percent(a.growth_rate)),
    Column("standard", "Minimum standard", "最低控制标准", "money"),
    Column("deviation", "Deviation", "偏差", "money"),
    Column("causes", "Causes", "偏差原因"),
    Column("measures", "Measures", "改进措施数", "integer", get=lambda a: len(a.measures)),
    Column("measures_done", "Measures done", "已完成措施数", "integer", get=_measures_done),
    Column("status", "Status", "状态", "state"),
    Column("created_by_name", "Written by", "编制人",
           get=lambda a: a.created_by_name or a.created_by),
    Column("approved_at", "Approved", "批准时间", "datetime"),
    Column("completed_at", "Completed", "完成时间", "datetime"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
