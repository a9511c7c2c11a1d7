from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.core.pagination import Page
from app.core.schemas import ReadModel, UpdateModel, UserId, WriteModel

DepartmentId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"),
    Field(description="Stable code, used as the `dept` claim of tokens", examples=["east"]),
]
DepartmentName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class DepartmentCreate(WriteModel):
    id: DepartmentId
    name: DepartmentName
    head_id: UserId | None = Field(default=None, description="User id of the department head")
    deputy_gm_id: UserId | None = Field(
        default=None, description="User id of the deputy GM overseeing it (分管副总)")


class DepartmentUpdate(UpdateModel):
    clearable = frozenset({"head_id", "deputy_gm_id"})

    name: DepartmentName | None = None
    head_id: UserId | None = None
    deputy_gm_id: UserId | None = None
    active: bool | None = None


class DepartmentRead(ReadModel):
    id: str
    name: str
    head_id: str | None
    deputy_gm_id: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class DepartmentPage(Page[DepartmentRead]):
    pass
