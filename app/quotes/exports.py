"""The quote list as a file (`GET /quotes?format=csv|xlsx`)."""

from app.core.export import Column, Export

QUOTES = Export("quotes", "报价", [
    Column("number", "Number", "报价编号"),
    Column("revision", "Revision", "版本", "integer"),
    Column("title", "Title", "报价名称"),
    Column("customer_name", "Customer", "客户"),
    Column("status", "Status", "状态", "state"),
    Column("currency", "Currency", "币种"),
    Column("subtotal", "Subtotal", "不含税金额", "money"),
    Column("tax_total", "Tax", "税额", "money"),
    Column("total", "Total", "报价金额", "money"),
    Column("total_base", "Total (CNY)", "折合人民币", "money"),
    Column("max_discount_percent", "Largest discount (%)", "最大折扣（%）", "number"),
    Column("below_floor", "Below floor price", "低于最低价", "bool"),
    Column("valid_until", "Valid until", "有效期至", "date"),
    Column("owner_name", "Owner", "负责人"),
    Column("department_id", "Department", "部门"),
    Column("sent_at", "Sent", "发送时间", "datetime"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
