"""The customer list as a file (`GET /customers?format=csv|xlsx`)."""

from typing import Any

from app.core.export import Column, Export


def _first_contact(attribute: str) -> Any:
    def get(customer: Any) -> Any:
        return getattr(customer.contacts[0], attribute) if customer.contacts else None
    return get


CUSTOMERS = Export("customers", "客户", [
    Column("id", "ID", "编号", "integer"),
    Column("name", "Name", "客户名称"),
    Column("credit_code", "Credit code", "统一社会信用代码"),
    Column("contact_name", "Contact", "联系人", get=_first_contact("name")),
    Column("contact_phone", "Phone", "联系电话", get=_first_contact("phone")),
    Column("contact_email", "E-mail", "电子邮箱", get=_first_contact("email")),
    Column("address", "Address", "地址"),
    Column("owner_name", "Owner", "负责人"),
    Column("owner_id", "Owner ID", "负责人账号"),
    Column("department_id", "Department", "部门"),
    Column("credit_rating", "Credit rating", "信用等级"),
    Column("credit_limit", "Credit limit", "信用额度", "money"),
    Column("payment_terms_days", "Payment terms (days)", "账期（天）", "integer"),
    Column("is_key_customer", "Key customer", "重点客户", "bool"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
