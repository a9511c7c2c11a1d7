"""Customers from a spreadsheet (`POST /customers/import`): each row is a `CustomerCreate`
written by `service.add`, as a single create would be; see app/core/imports.py."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.imports import Created, ImportColumn, ImportReport, import_rows
from app.core.messages import Text
from app.core.security import Principal
from app.customers import service
from app.customers.schemas import CustomerCreate

COLUMNS = [
    ImportColumn("name", "Name", "客户名称"),
    ImportColumn("credit_code", "Credit code", "统一社会信用代码"),
    ImportColumn("contact_name", "Contact", "联系人"),
    ImportColumn("contact_title", "Contact title", "职务"),
    ImportColumn("contact_phone", "Phone", "联系电话"),
    ImportColumn("contact_email", "E-mail", "电子邮箱"),
    ImportColumn("address", "Address", "地址"),
    ImportColumn("owner_id", "Owner ID", "负责人账号"),
    ImportColumn("department_id", "Department", "部门"),
    ImportColumn("credit_rating", "Credit rating", "信用等级"),
    ImportColumn("credit_limit", "Credit limit", "信用额度"),
    ImportColumn("payment_terms_days", "Payment terms (days)", "账期（天）"),
    ImportColumn("is_key_customer", "Key customer", "重点客户"),
]
_CONTACT = {"contact_name": "name", "contact_title": "title", "contact_phone": "phone",
            "contact_email": "email"}
_YES_NO = {"是": "true", "否": "false", "yes": "true", "no": "false", "y": "true",
           "n": "false"}
# Where a duplicate was seen, as the column that shows it.
_MATCHED_FIELD = {"name": "name", "phone": "contact_phone", "email": "contact_email"}
_MATCHED = {"name": Text("name", "名称"), "phone": Text("phone", "电话"),
            "email": Text("e-mail", "邮箱")}


def shape(values: dict[str, str]) -> dict[str, Any]:
    """A row's texts as the body of a single create: the contact columns make one contact;
    是/否 and yes/no for the key-customer flag."""
    body: dict[str, Any] = {k: v for k, v in values.items() if k not in _CONTACT}
    contact = {_CONTACT[k]: v for k, v in values.items() if k in _CONTACT}
    if contact:
        body["contacts"] = [contact]
    flag = body.get("is_key_customer")
    if flag is not None:
        body["is_key_customer"] = _YES_NO.get(flag.casefold(), flag)
    return body


def field_of(loc: tuple[Any, ...]) -> str | None:
    if loc and loc[0] == "contacts":
        return f"contact_{loc[2]}" if len(loc) > 2 else "contact_name"
    return str(loc[0]) if loc else None


async def import_customers(session: AsyncSession, principal: Principal, *, rows: list[
        tuple[int, dict[str, str]]], dry_run: bool) -> ImportReport:
    async def add(data: CustomerCreate) -> Created:
        customer, duplicates = await service.add(session, principal, data=data)
        assert customer.id is not None
        return Created(customer.id, [
            (_MATCHED_FIELD.get(duplicate.matched_on[0]), "customer.possible_duplicate",
             Text(f"Looks like customer {duplicate.id} (the same "
                  f"{', '.join(_MATCHED[m].en for m in duplicate.matched_on)})",
                  f"与客户 {duplicate.id} 相似（"
                  f"{'、'.join(_MATCHED[m].zh for m in duplicate.matched_on)}相同）"))
            for duplicate in duplicates])

    return await import_rows(
        session, rows, schema=CustomerCreate, shape=shape, add=add, dry_run=dry_run,
        field_of=field_of, error_fields={
            "customer.duplicate_credit_code": "credit_code",
            "customer.credit_terms_forbidden": "credit_limit",
            "customer.ownership_forbidden": "owner_id",
            "customer.owner_required": "owner_id",
            "customer.unknown_department": "department_id"})
