"""The order list as a file (`GET /orders?format=csv|xlsx`)."""

from app.core.export import Column, Export

ORDERS = Export("orders", "订单", [
    Column("number", "Number", "订单编号"),
    Column("title", "Title", "订单名称"),
    Column("customer_name", "Customer", "客户"),
    Column("contract_id", "Contract ID", "合同ID", "integer"),
    Column("status", "Status", "状态", "state"),
    Column("currency", "Currency", "币种"),
    Column("subtotal", "Subtotal", "不含税金额", "money"),
    Column("tax_total", "Tax", "税额", "money"),
    Column("total", "Total", "订单金额", "money"),
    Column("total_base", "Total (CNY)", "折合人民币", "money"),
    Column("invoiced_base", "Invoiced (CNY)", "已开票（人民币）", "money"),
    Column("requested_date", "Requested date", "要求交货日期", "date"),
    Column("payment_terms_days", "Payment terms (days)", "账期（天）", "integer"),
    Column("credit_held", "Credit held", "信用冻结", "bool"),
    Column("owner_name", "Owner", "负责人"),
    Column("department_id", "Department", "部门"),
    Column("confirmed_at", "Confirmed", "确认时间", "datetime"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
