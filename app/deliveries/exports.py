"""The delivery list as a file (`GET /deliveries?format=csv|xlsx`)."""

from app.core.export import Column, Export

DELIVERIES = Export("deliveries", "发货单", [
    Column("number", "Number", "发货单号"),
    Column("order_id", "Order ID", "订单ID", "integer"),
    Column("customer_name", "Customer", "客户"),
    Column("status", "Status", "状态", "state"),
    Column("planned_date", "Planned date", "计划发货日期", "date"),
    Column("shipped_on", "Shipped on", "发货日期", "date"),
    Column("carrier", "Carrier", "承运商"),
    Column("tracking_number", "Tracking number", "运单号"),
    Column("ship_to", "Ship to", "收货地址"),
    Column("received_by", "Received by", "签收人"),
    Column("received_at", "Received", "签收时间", "datetime"),
    Column("currency", "Currency", "币种"),
    Column("shipped_total", "Shipped value", "发货金额", "money"),
    Column("shipped_total_base", "Shipped value (CNY)", "折合人民币", "money"),
    Column("owner_name", "Owner", "负责人"),
    Column("department_id", "Department", "部门"),
    Column("cancel_reason", "Cancel reason", "取消原因"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
