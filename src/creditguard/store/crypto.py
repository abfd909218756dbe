"""Encryption at rest of personal data (national ID, phone): Fernet (AES-128-CBC + HMAC-SHA256).

The key never lives in the database. It comes from ``CREDITGUARD_DATA_KEY`` (a urlsafe-base64
Fernet key), or else from a key file (``CREDITGUARD_KEY_FILE``, default ``.creditguard.key`` in
the working directory) created with mode 0600 on first use. Lookups use a keyed hash (HMAC of
the value with a key derived from the data key), so equality search needs no decryption.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet

__all__ = ["DataCipher", "load_data_key"]

KEY_ENV = "CREDITGUARD_DATA_KEY"
KEY_FILE_ENV = "CREDITGUARD_KEY_FILE"
DEFAULT_KEY_FILE = ".creditguard.key"


def load_data_key() -> bytes:
    """The data key from the environment or the key file, creating the file if needed."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode()
    path = Path(os.environ.get(KEY_FILE_ENV, DEFAULT_KEY_FILE))
    if path.exists():
        return path.read_bytes().strip()
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    return key


class DataCipher:
    """Encrypts, decrypts and fingerprints personal data with one data key."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else load_data_key()
        self._fernet = Fernet(self._key)
        self._mac_key = hashlib.sha256(
            b"creditguard-lookup:" + base64.urlsafe_b64decode(self._key)
        ).digest()

    def encrypt(self, value: str) -> str:
        """Ciphertext (ASCII) of ``value``."""
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plain value of a ciphertext made with this key."""
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")

    def fingerprint(self, value: str) -> str:
        """A keyed hash of ``value`` for equality lookups (no plaintext, no reversible data)."""
        return hmac.new(self._mac_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
