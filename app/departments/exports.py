"""The department list as a file (`GET /departments?format=csv|xlsx`), with the names of
each department's head and overseeing deputy GM."""

from pydantic import Field

from app.core.export import Column, Export
from app.departments.schemas import DepartmentRead


class DepartmentRow(DepartmentRead):
    """A department as its file shows it: the people's names beside their ids."""

    head_name: str | None = Field(default=None)
    deputy_gm_name: str | None = Field(default=None)


DEPARTMENTS = Export("departments", "部门", [
    Column("id", "Code", "部门编号"),
    Column("name", "Name", "部门名称"),
    Column("head_name", "Head", "部门负责人", get=lambda d: d.head_name or d.head_id),
    Column("deputy_gm_name", "Deputy GM", "分管副总",
           get=lambda d: d.deputy_gm_name or d.deputy_gm_id),
    Column("active", "Active", "启用", "bool"),
    Column("created_at", "Created", "创建时间", "datetime"),
])
