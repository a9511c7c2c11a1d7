"""The lead list as a file (`GET /leads?format=csv|xlsx`); the columns it shares with the
import (`POST /leads/import`) have the same headers and source names."""

from app.core.export import Column, Export
from app.leads.imports import SOURCES

LEADS = Export("leads", "线索", [
    Column("id", "ID", "编号", "integer"),
    Column("source", "Source", "来源", "label", labels=SOURCES),
    Column("company", "Company", "公司名称"),
    Column("contact_name", "Contact", "联系人"),
    Column("phone", "Phone", "联系电话"),
    Column("email", "E-mail", "电子邮箱"),
    Column("needs", "Needs", "需求"),
    Column("status", "Status", "状态", "state"),
    Column("possible_duplicate", "Possible duplicate", "疑似重复", "bool"),
    Column("owner_name", "Owner", "负责人"),
    Column("owner_id", "Owner ID", "负责人账号"),
    Column("department_id", "Department", "部门"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
