"""Normalised contact details: what duplicate detection compares, and what is stored, for
leads and customers alike (one set of rules, so a lead and the customer it becomes agree).

Phone numbers become E.164 (`+8613812345678`), with an extension kept apart. Chinese
numbers are recognised in the forms people actually type: mobiles (`138 1234 5678`),
landlines with their area code (`021-5555 0000`, `(0571) 8888 6666`), 400/800 service
numbers, each with or without `+86`, `0086` or `86`; other countries need their `+` or
`00` prefix. Company names are compared without case, width, spacing, punctuation and
legal-form suffixes, so `杭州恒远化工有限公司` and `杭州恒远化工` are one company.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
_PHONE_CHARACTERS = re.compile(r"^\(?\+?[0-9\s\-().]+$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SERVICE = re.compile(r"^[48]00\d{7}$")  # 400 / 800 numbers, dialled without a trunk 0
# Area code, then a local number that never starts with 0 or 1: Beijing 10 and the
# 2X codes take 8 digits, the three-digit codes 7 or 8.
_LANDLINE = re.compile(r"^(?:(?:10|2\d)[2-9]\d{7}|[3-9]\d{2}[2-9]\d{6,7})$")
CHINA = "86"


class InvalidPhone(ValueError):
    pass


@dataclass(frozen=True)
class Phone:
    e164: str
    extension: str | None = None


def normalise_phone(raw: str) -> Phone:
    """The number in E.164, or InvalidPhone saying what is wrong with it."""
    text = unicodedata.normalize("NFKC", raw).strip()  # full-width digits and ＋ to ASCII
    extension = None
    if match := _EXTENSION.search(text):
        extension, text = match.group(1), text[:match.start()].strip()
    if not _PHONE_CHARACTERS.match(text):
        raise InvalidPhone("a phone number has digits, spaces, + - ( ) . and perhaps an "
                           "extension (转 123, ext 123)")
    digits = re.sub(r"\D", "", text)
    if text.lstrip("(").startswith("+") or digits.startswith("00"):
        international = digits[2:] if digits.startswith("00") else digits
        if international.startswith(CHINA):
            national = international[len(CHINA):]
            # "+86 (0)21 …": the trunk 0 has no place after the country code.
            return Phone("+" + CHINA + _chinese(national.removeprefix("0"), raw), extension)
        if not 8 <= len(international) <= 15 or international.startswith("0"):
            raise InvalidPhone(f"{raw!r} is not an international number (+, country code, "
                               "number: 8 to 15 digits)")
        return Phone("+" + international, extension)
    if len(digits) == 13 and digits.startswith(CHINA) and _MOBILE.match(digits[2:]):
        return Phone("+" + digits, extension)  # "8613812345678"
    if digits.startswith("0"):
        significant = digits[1:]
        if not _LANDLINE.match(significant):
            raise InvalidPhone(f"{raw!r} is not a Chinese landline (area code, then a 7 or "
                               "8 digit number)")
        return Phone("+" + CHINA + significant, extension)
    return Phone("+" + CHINA + _chinese(digits, raw), extension)


def _chinese(significant: str, raw: str) -> str:
    """A Chinese number without country code or trunk 0."""
    if _MOBILE.match(significant) or _SERVICE.match(significant) or _LANDLINE.match(significant):
        return significant
    if 7 <= len(significant) <= 8:
        raise InvalidPhone(f"{raw!r} has no area code; write it like 021-5555 0000")
    raise InvalidPhone(f"{raw!r} is neither a Chinese mobile (11 digits from 13-19), a "
                       "landline with its area code, nor a 400/800 number")


def normalise_email(raw: str) -> str:
    """Lower case throughout: no mail system in use distinguishes the case of a mailbox."""
    return raw.strip().lower()


# Trailing words that only say what legal form a company has.
_LEGAL_WORDS = frozenset({"co", "company", "corp", "corporation", "inc", "incorporated", "ltd",
                          "limited", "llc", "plc", "gmbh", "ag", "sa"})
_LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "公司")


def company_key(name: str) -> str:
    """The company name as duplicate detection compares it."""
    text = unicodedata.normalize("NFKC", name).casefold()
    words = [w for w in re.split(r"[\W_]+", text) if w]
    while len(words) > 1 and words[-1] in _LEGAL_WORDS:
        words.pop()
    key = "".join(words)
    for suffix in _LEGAL_SUFFIXES:  # longest first: one legal form, stripped once
        if key.endswith(suffix):
            if len(key) > len(suffix):
                key = key[:-len(suffix)]
            break
    return key[:200] or text[:200]


def _valid_phone(value: str) -> str:
    normalise_phone(value)  # raises with the reason; the service stores the normalised form
    return value


PhoneIn = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(_valid_phone),
    Field(description="Any usual form: 138 1234 5678, 021-5555 0000 转 8021, +86 …, +1 …; "
                      "stored in E.164", examples=["138 1234 5678"]),
]
