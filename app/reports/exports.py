"""Reports as files (`?format=csv|xlsx`): the receivables aging, every group of it and the
total as its last row."""

from app.core.export import Column, Export
from app.core.messages import Text

TOTAL = Text("Total", "合计")

AGING = Export("receivables-aging", "应收账龄", [
    Column("key", "Group", "分组"),
    Column("customer_name", "Customer", "客户"),
    Column("receivables", "Receivables", "笔数", "integer"),
    Column("current", "Current", "未到期", "money"),
    Column("days_1_30", "1-30 days", "逾期1-30天", "money"),
    Column("days_31_60", "31-60 days", "逾期31-60天", "money"),
    Column("days_61_90", "61-90 days", "逾期61-90天", "money"),
    Column("over_90", "Over 90 days", "逾期90天以上", "money"),
    Column("overdue", "Overdue", "逾期合计", "money"),
    Column("total", "Total", "余额合计", "money"),
])
