"""A customer's timeline as a file (`GET /customers/{id}/timeline?format=csv|xlsx`)."""

from app.core.export import Column, Export
from app.core.messages import DOCUMENT_TYPES

TIMELINE = Export("customer-timeline", "客户往来", [
    Column("occurred_at", "Time", "时间", "datetime"),
    Column("kind", "Kind", "类型", "label", labels=DOCUMENT_TYPES),
    Column("number", "Number", "单号"),
    Column("status", "Status", "状态", "state"),
    Column("currency", "Currency", "币种"),
    Column("amount", "Amount", "金额", "money"),
    Column("summary", "Summary", "摘要"),
])
