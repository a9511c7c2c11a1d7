"""The company calendar's holidays and make-up working days as a file
(`GET /calendar?from=…&to=…&format=csv|xlsx`), the sheet HR posts each year."""

from app.core.export import Column, Export
from app.core.messages import Text

DAY_KINDS = {
    "holiday": Text("Holiday", "节假日"),
    "workday": Text("Make-up working day", "调休上班"),
}

CALENDAR = Export("calendar", "工作日历", [
    Column("day", "Day", "日期", "date"),
    Column("kind", "Kind", "类型", "label", labels=DAY_KINDS),
    Column("name", "Name", "名称"),
    Column("updated_at", "Updated", "更新时间", "datetime"),
])
