"""The receivable and payment lists as files (`GET /receivables?format=csv|xlsx`,
`GET /payments?format=csv|xlsx`)."""

from typing import Any

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

PAYMENT_METHODS = {
    "bank_transfer": Text("Bank transfer", "银行转账"),
    "acceptance_bill": Text("Acceptance bill", "承兑汇票"),
    "cheque": Text("Cheque", "支票"),
    "cash": Text("Cash", "现金"),
    "online": Text("Online", "网上支付"),
    "other": Text("Other", "其他"),
}


def _settled(payment: Any) -> str:
    """The receivables a payment settled, with the part each took: `12: 500.00; 13: 80.00`."""
    return "; ".join(f"{a.receivable_id}: {a.amount:.2f}" for a in payment.allocations)


PAYMENTS = Export("payments", "收款", [
    Column("number", "Number", "收款单号"),
    Column("customer_name", "Customer", "客户"),
    Column("received_on", "Received on", "收款日期", "date"),
    Column("method", "Method", "收款方式", "label", labels=PAYMENT_METHODS),
    Column("external_reference", "Payer's reference", "付款凭证号"),
    Column("currency", "Currency", "币种"),
    Column("amount", "Amount", "收款金额", "money"),
    Column("amount_base", "Amount (CNY)", "折合人民币", "money"),
    Column("allocations", "Receivables settled (ID: amount)", "核销应收（ID：金额）",
           get=_settled),
    Column("owner_name", "Owner", "负责人"),
    Column("department_id", "Department", "部门"),
    Column("notes", "Notes", "备注"),
    Column("created_at", "Recorded", "登记时间", "datetime"),
])
