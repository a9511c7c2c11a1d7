"""The approval list, the inbox included, as a file (`GET /approvals?format=csv|xlsx`)."""

from app.core.export import Column, Export
from app.core.messages import DOCUMENT_TYPES

APPROVALS = Export("approvals", "审批", [
    Column("id", "Request", "审批单号", "integer"),
    Column("document_type", "Document type", "单据类型", "label", labels=DOCUMENT_TYPES),
    Column("document_id", "Document ID", "单据ID", "integer"),
    Column("title", "Title", "标题"),
    Column("amount", "Amount", "金额", "money"),
    Column("status", "Status", "状态", "state"),
    Column("submitted_by_name", "Submitted by", "提交人"),
    Column("owner_name", "Owner", "负责人"),
    Column("department_id", "Department", "部门"),
    Column("created_at", "Submitted", "提交时间", "datetime"),
    Column("due_at", "Decide by", "审批期限", "datetime"),
    Column("overdue", "Overdue", "已超时", "bool"),
    Column("decided_at", "Decided", "完成时间", "datetime"),
    Column("outcome_reason", "Reason", "审批意见"),
])
