"""The contract list as a file (`GET /contracts?format=csv|xlsx`)."""

from app.core.export import Column, Export

CONTRACTS = Export("contracts", "合同", [
    Column("number", "Number", "合同编号"),
    Column("revision", "Revision", "版本", "integer"),
    Column("title", "Title", "合同名称"),
    Column("customer_name", "Customer", "客户"),
    Column("status", "Status", "状态", "state"),
    Column("currency", "Currency", "币种"),
    Column("subtotal", "Subtotal", "不含税金额", "money"),
    Column("tax_total", "Tax", "税额", "money"),
    Column("total", "Total", "合同金额", "money"),
    Column("total_base", "Total (CNY)", "折合人民币", "money"),
    Column("signed_date", "Signed on", "签订日期", "date"),
    Column("delivery_date", "Delivery date", "交货日期", "date"),
    Column("owner_name", "Owner", "负责人"),
    Column("department_id", "Department", "部门"),
    Column("major_interest", "Major interest", "重大利益", "bool"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
