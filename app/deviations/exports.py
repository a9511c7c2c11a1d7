"""The deviation documents as files: the growth targets and the deviation analyses
(`GET /growth-targets?format=…`, `GET /deviation-analyses?format=…`), a growth rate written
as a percentage with two places (10.00 for a rate of 0.1000), as the office reads it; and the
deviation report (`GET /reports/deviation?format=csv|xlsx`), a row per department with its
actual, last year's baseline, the growth rate as a percentage, the standard and the
deviation, then the total."""

from decimal import Decimal
from types import SimpleNamespace

from app.core.directory import Names
from app.core.export import TOTAL, Column, Export
from app.core.i18n import Language
from app.deviations.schemas import AnalysisRead, DeviationFigures, DeviationReport

HUNDREDTH = Decimal("0.01")


def _percent(rate: Decimal) -> Decimal:
    return (rate * 100).quantize(HUNDREDTH)


def _measures_done(analysis: AnalysisRead) -> int:
    return sum(1 for m in analysis.measures if m.done_at is not None)


GROWTH_TARGETS = Export("growth-targets", "增长目标", [
    Column("department_name", "Department", "部门",
           get=lambda t: t.department_name or t.department_id),
    Column("year", "Year", "年度", "integer"),
    Column("growth_rate", "Growth rate (%)", "计划增长率（%）", "percent",
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
    Column("growth_rate", "Growth rate (%)", "计划增长率（%）", "percent",
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


DEVIATION = Export("sales-deviation", "销售偏差", [
    Column("department", "Department", "部门"),
    Column("period", "Period", "期间"),
    Column("actual", "Actual", "实际", "money"),
    Column("baseline", "Same period last year", "去年同期", "money"),
    Column("growth_percent", "Growth rate (%)", "增长率(%)", "percent"),
    Column("growth_rate_set", "Growth rate set", "增长率已设定", "bool"),
    Column("standard", "Standard", "标准", "money"),
    Column("deviation", "Deviation", "偏差", "money"),
    Column("below_standard", "Below standard", "低于标准", "bool"),
])


def deviation_rows(report: DeviationReport, names: Names, language: Language
                   ) -> list[SimpleNamespace]:
    fields = set(DeviationFigures.model_fields)
    rows = [SimpleNamespace(
        department=names.department(d.department_id), period=report.period,
        growth_percent=d.growth_rate * 100, growth_rate_set=d.growth_rate_set,
        **d.model_dump(include=fields)) for d in report.departments]
    rows.append(SimpleNamespace(department=TOTAL(language), period=report.period,
                                growth_percent=None, growth_rate_set=None,
                                **report.total.model_dump()))
    return rows
