"""The receivable list as a file (`GET /receivables?format=csv|xlsx`)."""

from app.core.export import Column, Export
from app.core.messages import Text

SUGGESTED_ACTIONS = {
    "reminder_letter": Text("Reminder letter", "催款函"),
    "visit": Text("Visit", "上门催收"),
    "legal": Text("Legal action", "法律途径"),
}

RECEIVABLES = Export("receivables", "应收款", [
    Column("number", "Number", "应收编号"),
    Column("customer_name", "Customer", "客户"),
    Column("contract_id", "Contract ID", "合同ID", "integer"),
    Column("invoice_number", "Invoice", "发票号"),
    Column("invoice_date", "Invoice date", "开票日期", "date"),
    Column("due_date", "Due date", "到期日", "date"),
    Column("currency", "Currency", "币种"),
    Column("amount", "Amount", "应收金额", "money"),
    Column("credited", "Credited", "红冲金额", "money"),
    Column("balance", "Balance", "未收余额", "money"),
    Column("balance_base", "Balance (CNY)", "未收余额（人民币）", "money"),
    Column("status", "Status", "状态", "state"),
    Column("days_overdue", "Days overdue", "逾期天数", "integer"),
    Column("suggested_action", "Suggested action", "建议催收方式", "label",
           labels=SUGGESTED_ACTIONS),
    Column("owner_name", "Owner", "负责人"),
    Column("department_id", "Department", "部门"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
