"""Borrowers: national ID (居民身份证号) checksum, phone format and masking.

The values themselves are encrypted at rest by the store; the domain only validates them and
produces the masked forms every screen and file shows (``110101********1234``, ``138****5678``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from creditguard.money import InputError

__all__ = ["Borrower", "id_check_digit", "mask_national_id", "mask_phone", "validate_borrower"]

# GB 11643-1999: weights 2^(17-i) mod 11 for the first 17 digits; the sum mod 11 picks the
# check character from this table.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True, slots=True)
class Borrower:
    """A borrower as the domain sees it: id, name and the masked personal data."""

    borrower_id: str
    name: str
    national_id_masked: str
    phone_masked: str


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def validate_national_id(national_id: str, field: str = "national_id") -> str:
    """Check format, birth date and checksum of an 18-character ID number; return it normalised."""
    value = national_id.strip().upper()
    if not _ID_RE.match(value):
        raise InputError(field, "must be 18 characters: 17 digits and a digit or X")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InputError(field, f"birth date {value[6:14]} is not a real date") from exc
    expected = id_check_digit(value[:17])
    if value[17] != expected:
        raise InputError(field, f"check digit is {value[17]}, expected {expected} (GB 11643)")
    return value


def validate_phone(phone: str, field: str = "phone") -> str:
    """Check a mainland mobile number (11 digits starting 13–19); return it normalised."""
    value = phone.strip().replace(" ", "").replace("-", "")
    if not _PHONE_RE.match(value):
        raise InputError(field, "must be an 11-digit mainland mobile number starting 13–19")
    return value


def mask_national_id(national_id: str) -> str:
    """Keep the region code (6) and the last 4: ``110101********1234``."""
    return national_id[:6] + "*" * 8 + national_id[-4:]


def mask_phone(phone: str) -> str:
    """Keep the first 3 and the last 4 digits: ``138****5678``."""
    return phone[:3] + "****" + phone[-4:]


def validate_borrower(borrower_id: str, name: str, national_id: str, phone: str) -> Borrower:
    """Validate a new borrower's fields; the result carries only masked personal data."""
    if not borrower_id.strip():
        raise InputError("borrower_id", "must not be empty")
    if not name.strip():
        raise InputError("name", "must not be empty")
    nid = validate_national_id(national_id)
    tel = validate_phone(phone)
    return Borrower(borrower_id.strip(), name.strip(), mask_national_id(nid), mask_phone(tel))
