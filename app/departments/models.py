from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class Department(SQLModel, table=True):
    """A sales department (事业部 / 销售部). Its id is the `dept` claim of tokens."""

    __tablename__ = "department"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100, unique=True)
    head_id: str | None = Field(default=None, max_length=128)
    deputy_gm_id: str | None = Field(default=None, max_length=128)
    active: bool = True
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
