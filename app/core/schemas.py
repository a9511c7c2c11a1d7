"""Base classes for API shapes (never the tables themselves)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class WriteModel(BaseModel):
    """Request bodies: unknown fields are an error, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def snapshot(read_model: type[ReadModel], obj: object) -> dict:
    """The JSON form of a record as the API shows it: the before/after of audit rows."""
    return read_model.model_validate(obj).model_dump(mode="json")


Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
