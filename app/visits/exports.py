"""The visit list as a file (`GET /visits?format=csv|xlsx`)."""

from app.core.export import Column, Export

VISITS = Export("visits", "客户拜访", [
    Column("number", "Number", "拜访编号"),
    Column("customer_name", "Customer", "客户"),
    Column("purpose", "Purpose", "拜访目的"),
    Column("planned_at", "Planned", "计划拜访时间", "datetime"),
    Column("place", "Place", "拜访地点"),
    Column("contact_name", "Contact", "拜访对象"),
    Column("status", "Status", "状态", "state"),
    Column("key_customer", "Key customer", "重点客户", "bool"),
    Column("approved_at", "Approved", "批准时间", "datetime"),
    Column("rejection_reason", "Rejection reason", "驳回原因"),
    Column("cancel_reason", "Cancel reason", "取消原因"),
    Column("outcome", "Outcome", "拜访结果"),
    Column("next_steps", "Next steps", "后续安排"),
    Column("reported_at", "Reported", "报告时间", "datetime"),
    Column("owner_name", "Owner", "负责人"),
    Column("department_id", "Department", "部门"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
