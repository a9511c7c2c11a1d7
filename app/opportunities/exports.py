"""The opportunity list as a file (`GET /opportunities?format=csv|xlsx`)."""

from app.core.export import Column, Export

OPPORTUNITIES = Export("opportunities", "商机", [
    Column("id", "ID", "编号", "integer"),
    Column("title", "Title", "商机名称"),
    Column("customer_name", "Customer", "客户"),
    Column("grade", "Grade", "等级"),
    Column("stage", "Stage", "阶段", "state"),
    Column("probability", "Probability (%)", "赢率（%）", "integer"),
    Column("expected_amount", "Expected amount", "预计金额", "money"),
    Column("weighted_amount", "Weighted amount", "加权金额", "money"),
    Column("expected_close_date", "Expected close", "预计成交日期", "date"),
    Column("won_amount", "Won amount", "成交金额", "money"),
    Column("owner_name", "Owner", "负责人"),
    Column("department_id", "Department", "部门"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
