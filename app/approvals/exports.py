"""The approval list, the inbox included (`GET /approvals?format=csv|xlsx`), and the
caller's delegations (`GET /delegations?format=csv|xlsx`, with the names of who delegated
and to whom), as files."""

from pydantic import Field

from app.approvals.schemas import DelegationRead
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


class DelegationRow(DelegationRead):
    """A delegation as its file shows it: the people's names beside their ids."""

    delegator_name: str | None = Field(default=None)
    delegate_name: str | None = Field(default=None)


DELEGATIONS = Export("delegations", "审批委托", [
    Column("delegator_name", "Delegated by", "委托人",
           get=lambda d: d.delegator_name or d.delegator_id),
    Column("delegate_name", "Delegated to", "受托人",
           get=lambda d: d.delegate_name or d.delegate_id),
    Column("start_date", "From", "开始日期", "date"),
    Column("end_date", "To", "结束日期", "date"),
    Column("reason", "Reason", "委托事由"),
    Column("revoked_at", "Revoked", "撤销时间", "datetime"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
