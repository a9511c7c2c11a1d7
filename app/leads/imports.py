"""Leads from a spreadsheet (`POST /leads/import`): each row is a `LeadCreate` written by
`service.add`, as a single create would be; see app/core/imports.py."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.imports import Created, ImportColumn, ImportReport, import_rows
from app.core.messages import Text
from app.core.security import Principal
from app.leads import service
from app.leads.schemas import LeadCreate

COLUMNS = [
    ImportColumn("source", "Source", "来源"),
    ImportColumn("company", "Company", "公司名称"),
    ImportColumn("contact_name", "Contact", "联系人"),
    ImportColumn("phone", "Phone", "联系电话"),
    ImportColumn("email", "E-mail", "电子邮箱"),
    ImportColumn("needs", "Needs", "需求"),
    ImportColumn("owner_id", "Owner ID", "负责人账号"),
    ImportColumn("department_id", "Department", "部门"),
]
# A source as people write it in a sheet: the code, or its Chinese or English name.
SOURCES = {
    "web": Text("Web", "网站"), "exhibition": Text("Exhibition", "展会"),
    "referral": Text("Referral", "转介绍"), "phone": Text("Phone", "电话"),
    "social": Text("Social media", "社交媒体"), "other": Text("Other", "其他"),
}
_SOURCE_BY_NAME = {name.casefold(): code for code, text in SOURCES.items()
                   for name in (code, text.en, text.zh)}
_MATCHED = {"company": Text("company", "公司名称"), "phone": Text("phone", "电话"),
            "email": Text("e-mail", "邮箱")}


def shape(values: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = dict(values)
    source = body.get("source")
    if source is not None:
        body["source"] = _SOURCE_BY_NAME.get(source.casefold(), source)
    return body


async def import_leads(session: AsyncSession, principal: Principal, *, rows: list[
        tuple[int, dict[str, str]]], dry_run: bool) -> ImportReport:
    async def add(data: LeadCreate) -> Created:
        lead, duplicates = await service.add(session, principal, data=data)
        assert lead.id is not None
        return Created(lead.id, [
            (duplicate.matched_on[0] if duplicate.matched_on else None, "lead.possible_duplicate",
             Text(f"Looks like lead {duplicate.id} (the same "
                  f"{', '.join(_MATCHED[m].en for m in duplicate.matched_on)})",
                  f"与线索 {duplicate.id} 相似（"
                  f"{'、'.join(_MATCHED[m].zh for m in duplicate.matched_on)}相同）"))
            for duplicate in duplicates])

    return await import_rows(
        session, rows, schema=LeadCreate, shape=shape, add=add, dry_run=dry_run,
        error_fields={"lead.assignment_forbidden": "owner_id",
                      "lead.department_required": "department_id",
                      "lead.unknown_department": "department_id",
                      "lead.contact_required": "phone"})
