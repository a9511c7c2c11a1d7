"""The deviation report as a file (`GET /reports/deviation?format=csv|xlsx`): a row per
department with its actual, last year's baseline, the growth rate as a percentage, the
standard and the deviation, then the total."""

from types import SimpleNamespace

from app.core.directory import Names
from app.core.export import TOTAL, Column, Export
from app.core.i18n import Language
from app.deviations.schemas import DeviationFigures, DeviationReport

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
