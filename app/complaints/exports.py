"""The complaint list as a file (`GET /complaints?format=csv|xlsx`)."""

from app.core.export import Column, Export
from app.core.messages import Text

CHANNELS = {
    "phone": Text("Phone", "电话"),
    "email": Text("E-mail", "电子邮件"),
    "visit": Text("Visit", "来访"),
    "web": Text("Web", "网站"),
    "letter": Text("Letter", "信函"),
    "erp": Text("ERP", "ERP"),
    "other": Text("Other", "其他"),
}
CATEGORIES = {
    "quality": Text("Quality", "质量问题"),
    "delivery": Text("Delivery", "交付问题"),
    "service": Text("Service", "服务问题"),
    "billing": Text("Billing", "账务问题"),
    "other": Text("Other", "其他"),
}
SEVERITIES = {
    "low": Text("Low", "轻微"),
    "medium": Text("Medium", "一般"),
    "high": Text("High", "严重"),
    "critical": Text("Critical", "重大"),
}

COMPLAINTS = Export("complaints", "客户投诉", [
    Column("number", "Number", "投诉编号"),
    Column("title", "Title", "投诉主题"),
    Column("customer_name", "Customer", "客户"),
    Column("channel", "Channel", "投诉渠道", "label", labels=CHANNELS),
    Column("category", "Category", "投诉类别", "label", labels=CATEGORIES),
    Column("severity", "Severity", "严重程度", "label", labels=SEVERITIES),
    Column("status", "Status", "状态", "state"),
    Column("description", "Description", "投诉内容"),
    Column("received_at", "Received", "接收时间", "datetime"),
    Column("ack_due_at", "Acknowledge by", "受理期限", "datetime"),
    Column("acknowledged_at", "Acknowledged", "受理时间", "datetime"),
    Column("ack_overdue", "Acknowledgement overdue", "受理超时", "bool"),
    Column("responsible_department_id", "Responsible department", "责任部门"),
    Column("company_fault", "Our fault", "我方责任", "bool"),
    Column("capa_due_date", "Corrective actions due", "整改期限", "date"),
    Column("satisfaction", "Satisfaction", "客户满意度", "integer"),
    Column("closed_at", "Closed", "结案时间", "datetime"),
    Column("owner_name", "Customer's rep", "客户负责人"),
    Column("department_id", "Department", "部门"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
