"""The caller's delegations as a file (`GET /delegations?format=csv|xlsx`), with
the names of who delegated and to whom."""

from pydantic import Field

from app.approvals.schemas import DelegationRead
from app.core.export import Column, Export


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
