"""Base classes for API shapes (never the tables themselves)."""

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationInfo, field_validator


class WriteModel(BaseModel):
    """Request bodies: unknown fields are an error, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UpdateModel(WriteModel):
    """PATCH bodies: absent fields stay as they are; `null` clears a field only where
    clearing makes sense (`clearable`), and is a validation error elsewhere."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError("may be omitted but not null")
        return value


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def snapshot(read_model: type[ReadModel], obj: object) -> dict:
    """The JSON form of a record as the API shows it: the before/after of audit rows."""
    return read_model.model_validate(obj).model_dump(mode="json")


Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
