"""National ID checksum (GB 11643-1999), phone format and masking."""

from __future__ import annotations

import pytest

from creditguard.money import InputError
from creditguard.servicing.borrower import (
    id_check_digit,
    mask_national_id,
    mask_phone,
    validate_borrower,
)


def test_check_digit_of_the_standards_examples() -> None:
    # GB 11643-1999's own examples. For 11010519491231002X the weighted sum is
    # 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0·8+0·4+2·2 = 167,
    # 167 mod 11 = 2 → "10X98765432"[2] = "X". For 440524188001010014 the sum is 195,
    # 195 mod 11 = 8 → "4".
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44052418800101001") == "4"


def test_validate_and_mask() -> None:
    b = validate_borrower("B1", "张三", "11010519491231002x", "138 0013 8000")
    assert b.national_id_masked == "110105********002X"
    assert b.phone_masked == "138****8000"
    assert mask_national_id("440524188001010014") == "440524********0014"
    assert mask_phone("13912345678") == "139****5678"


@pytest.mark.parametrize(
    ("nid", "phone", "field", "rule"),
    [
        ("110105194912310021", "13800138000", "national_id", "check digit is 1, expected X"),
        ("11010519491331002X", "13800138000", "national_id", "not a real date"),
        ("1101051949123100", "13800138000", "national_id", "18 characters"),
        ("11010519491231002X", "12800138000", "phone", "mobile number"),
    ],
)
def test_refusals_name_field_and_rule(nid: str, phone: str, field: str, rule: str) -> None:
    with pytest.raises(InputError) as err:
        validate_borrower("B1", "张三", nid, phone)
    assert err.value.field == field
    assert rule in str(err.value)
