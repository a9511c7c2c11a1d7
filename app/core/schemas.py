"""Base classes for API shapes (never the tables themselves), and the refusal of NUL in
anything a client sends."""

from datetime import date
from typing import Annotated, Any, ClassVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

# PostgreSQL text cannot hold U+0000 (the statement fails), SQLite can: refused on the way
# in, the API behaves the same on both and no NUL reaches a receiver of our events.
NUL = "\x00"
NUL_ERROR = "string_nul"
NUL_MESSAGE = "must not contain the NUL character (U+0000)"

Loc = tuple[str | int, ...]


def nul_locations(value: Any, loc: Loc = ()) -> list[Loc]:
    """Where NUL occurs in a decoded JSON value: in a string, or in an object's key."""
    if isinstance(value, str):
        return [loc] if NUL in value else []
    found: list[Loc] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                found.append((*loc, key))
            found += nul_locations(item, (*loc, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += nul_locations(item, (*loc, index))
    return found


class InputModel(BaseModel):
    """Anything a client sends as JSON: unknown fields are an error, and so is NUL in any
    string, however deeply nested (each place is reported with its location)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        locations = nul_locations(data)
        if locations:
            errors: list[InitErrorDetails] = [
                {"type": PydanticCustomError(NUL_ERROR, NUL_MESSAGE), "loc": loc, "input": data}
                for loc in locations]
            # Raised from a validator, pydantic keeps these locations (under the body's).
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data


class WriteModel(InputModel):
    """Request bodies: unknown fields are an error, strings are trimmed, NUL is refused."""

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


# Names shown beside ids on reads (app.core.directory): looked up when read, so they are
# no part of a record's state, its audit rows or its events.
DISPLAY_NAME_FIELDS = frozenset({"customer_name", "owner_name", "created_by_name",
                                 "submitted_by_name", "department_name"})


def snapshot(read_model: type[ReadModel], obj: object) -> dict:
    """The JSON form of a record as the API shows it: the before/after of audit rows."""
    return read_model.model_validate(obj).model_dump(mode="json", exclude=set(DISPLAY_NAME_FIELDS))


Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=128)]


async def refuse_nul_in_parameters(request: Request) -> None:
    """Path segments, query parameters and headers with NUL: 422, before anything reads
    them (bodies are refused by `InputModel`)."""
    errors: list[dict[str, Any]] = []
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            errors.append({"loc": ("path", name), "msg": NUL_MESSAGE, "type": NUL_ERROR})
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            errors.append({"loc": ("query", name), "msg": NUL_MESSAGE, "type": NUL_ERROR})
    for raw_name, raw_value in request.headers.raw:
        if b"\0" in raw_name or b"\0" in raw_value:
            errors.append({"loc": ("header", raw_name.decode("latin-1")), "msg": NUL_MESSAGE,
                           "type": NUL_ERROR})
    if errors:
        raise RequestValidationError(errors)


# The days a client may ask about (query filters, report ranges): far wider than any
# business record, and narrow enough that a day's bounds in any time zone stay within
# what Python's datetime and both databases represent (year 1 and 9999 do not).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)
