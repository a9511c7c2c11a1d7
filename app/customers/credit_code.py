"""The unified social credit code (统一社会信用代码, GB 32100-2015), checked by python-stdnum:
18 characters, 8 digits (registering authority, entity type, region) then 10 digits or
capital letters, the last a check character over the first 17."""

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError


def checked(value: str) -> str:
    """The code as stored (upper case, spaces and dashes removed), or ValueError saying
    what is wrong with it in words a clerk copying it from a business licence can act on."""
    code = uscc.compact(value)
    try:
        return uscc.validate(code)
    except InvalidLength:
        raise ValueError(f"a unified social credit code has 18 characters; this one has "
                         f"{len(code)}") from None
    except InvalidChecksum:
        raise ValueError("the check character (the 18th) does not match the first 17: a "
                         "character was probably mistyped") from None
    except ValidationError:
        raise ValueError("a unified social credit code is 8 digits, then 10 digits or "
                         "capital letters other than I, O, S, V and Z") from None
