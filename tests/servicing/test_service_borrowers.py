"""Borrowers through the service: validated, encrypted at rest, shown masked, unique by ID."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, text

from creditguard.money import InputError
from creditguard.servicing.service import Servicing
from creditguard.store.crypto import DataCipher

# A valid ID; its GB 11643 check digit is worked out by hand in the first test.
NID_PREFIX = "11010119900307123"
NID = "110101199003071233"
PHONE = "13800138000"


@pytest.fixture
def cipher() -> DataCipher:
    return DataCipher(Fernet.generate_key())


@pytest.fixture
def svc(engine: Engine, cipher: DataCipher) -> Servicing:
    s = Servicing(engine, actor="test", cipher=cipher)
    s.set_business_date(date(2026, 1, 1))
    return s


def test_check_digit_of_the_fixture_id() -> None:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(NID_PREFIX, weights, strict=True))
    # 1·7+1·9+0·10+1·5+0·8+1·4+1·2+9·1+9·6+0·3+0·7+3·9+0·10+7·5+1·8+2·4+3·2 = 174;
    # 174 mod 11 = 9 → "10X98765432"[9] = "3".
    assert total == 174
    assert "10X98765432"[total % 11] == "3" == NID[-1]


def raw_borrower(engine: Engine, borrower_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT * FROM borrowers WHERE borrower_id = :b"), {"b": borrower_id}
        ).one()
    return dict(row._mapping)


def everything_stored(engine: Engine) -> str:
    """Every stored row that could carry personal data, as one text."""
    parts: list[str] = []
    with engine.connect() as conn:
        for table in ("borrowers", "audit_log", "idempotency_keys", "outbox_events"):
            parts.extend(repr(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {table}")))
    return "\n".join(parts)


def test_borrower_is_encrypted_at_rest_and_shown_masked(
    svc: Servicing, engine: Engine, cipher: DataCipher
) -> None:
    result = svc.add_borrower("B1", "张三", NID, PHONE)
    assert result == {
        "borrower_id": "B1",
        "name": "张三",
        "national_id": "110101********1233",
        "phone": "138****8000",
    }
    row = raw_borrower(engine, "B1")
    assert row["national_id_masked"] == "110101********1233"
    assert row["phone_masked"] == "138****8000"
    assert isinstance(row["national_id_enc"], str) and isinstance(row["phone_enc"], str)
    assert cipher.decrypt(row["national_id_enc"]) == NID
    assert cipher.decrypt(row["phone_enc"]) == PHONE
    stored = everything_stored(engine)
    # Neither value appears in clear anywhere: not in the row, the audit, the key table.
    assert NID not in stored and PHONE not in stored
    assert NID[6:14] not in stored  # not even the birth date
    # Another key cannot read it.
    with pytest.raises(InvalidToken):
        DataCipher(Fernet.generate_key()).decrypt(str(row["national_id_enc"]))


def test_lowercase_x_check_digit_is_normalised(svc: Servicing, cipher: DataCipher) -> None:
    # 11010519491231002: 1·7+1·9+0+1·5+0+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0+0+2·2 = 167;
    # 167 mod 11 = 2 → "X".
    result = svc.add_borrower("B2", "李四", "11010519491231002x", "139 1234 5678")
    assert result["national_id"] == "110105********002X"
    assert result["phone"] == "139****5678"


@pytest.mark.parametrize(
    ("national_id", "phone", "field", "rule"),
    [
        ("110101199003071234", PHONE, "national_id", "check digit is 4, expected 3"),
        ("11010119900307123", PHONE, "national_id", "18 characters"),
        ("110101199002301233", PHONE, "national_id", "not a real date"),
        (NID, "12800138000", "phone", "11-digit"),
        (NID, "1380013800", "phone", "11-digit"),
    ],
)
def test_bad_personal_data_is_refused_naming_the_field(
    svc: Servicing, engine: Engine, national_id: str, phone: str, field: str, rule: str
) -> None:
    with pytest.raises(InputError) as raised:
        svc.add_borrower("B1", "张三", national_id, phone)
    assert raised.value.field == field
    assert rule in str(raised.value)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM borrowers")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == 0


def test_duplicate_national_id_or_borrower_id_is_refused(svc: Servicing, engine: Engine) -> None:
    svc.add_borrower("B1", "张三", NID, PHONE)
    with pytest.raises(InputError) as raised:
        svc.add_borrower("B2", "张三丰", NID, "13900139000")
    assert raised.value.field == "national_id"
    assert "'B1'" in str(raised.value)
    with pytest.raises(InputError) as again:
        svc.add_borrower("B1", "王五", "11010519491231002X", "13900139000")
    assert again.value.field == "borrower_id"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM borrowers")).scalar_one() == 1


def test_an_account_needs_an_existing_borrower(svc: Servicing) -> None:
    with pytest.raises(InputError) as raised:
        svc.open_line("A", "credit-pay", 100_000, "B1")
    assert raised.value.field == "borrower"
    svc.add_borrower("B1", "张三", NID, PHONE)
    assert svc.open_line("A", "credit-pay", 100_000, "B1") == {"account": "A", "limit": "1000.00"}
