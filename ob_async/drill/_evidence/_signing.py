"""Ed25519 keys for sealing evidence: where the private key may come from, and fingerprints.

The private key is PEM (PKCS #8, as ``openssl genpkey -algorithm ed25519`` or
``ob-restore evidence keygen`` writes it), from the environment variable
``OB_EVIDENCE_SIGNING_KEY`` or from a file only its owner can read; it is never shown, logged
or written into a bundle. A public key is identified by its fingerprint, ``SHA256:`` and the
unpadded base64 of the SHA-256 of its 32 raw bytes (the form ``ssh-keygen -l`` prints).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ob_async._secret_file import read_secret_file
from ob_async.errors import InvalidInputError

ENV_SIGNING_KEY = "OB_EVIDENCE_SIGNING_KEY"


def fingerprint(raw_public_key: bytes) -> str:
    digest = hashlib.sha256(raw_public_key).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


class VerifyKey:
    """An Ed25519 public key: checks signatures, and names itself by fingerprint."""

    def __init__(self, key: Ed25519PublicKey) -> None:
        self._key = key
        self.raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.fingerprint = fingerprint(self.raw)

    def __repr__(self) -> str:
        return f"VerifyKey({self.fingerprint})"

    @classmethod
    def from_raw(cls, raw: bytes) -> VerifyKey:
        return cls(Ed25519PublicKey.from_public_bytes(raw))

    @classmethod
    def from_file(cls, path: Path) -> VerifyKey:
        where = f"public key file {path}"
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InvalidInputError(f"cannot read: {error.strerror}", where=where) from None
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            raise InvalidInputError("is not a PEM public key", where=where) from None
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidInputError(
                f"holds a {type(key).__name__}, not an Ed25519 key", where=where
            )
        return cls(key)

    def pem(self) -> bytes:
        return self._key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def verifies(self, signature: bytes, data: bytes) -> bool:
        try:
            self._key.verify(signature, data)
        except InvalidSignature:
            return False
        return True


class SigningKey:
    """An Ed25519 private key; its repr shows only the public key's fingerprint."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public = VerifyKey(key.public_key())

    def __repr__(self) -> str:
        return f"SigningKey(public={self.public.fingerprint})"

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    @classmethod
    def from_pem(cls, data: bytes, *, where: str) -> SigningKey:
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            # The library's message may quote the input: say only what is wrong.
            raise InvalidInputError("is not an unencrypted PEM private key", where=where) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidInputError(
                f"holds a {type(key).__name__}, not an Ed25519 key", where=where
            )
        return cls(key)

    @classmethod
    def from_file(cls, path: Path) -> SigningKey:
        text = read_secret_file(path, what="signing key file")
        return cls.from_pem(text.encode(), where=f"signing key file {path}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SigningKey | None:
        """The key in ``OB_EVIDENCE_SIGNING_KEY``, or None when it is not set."""
        value = (os.environ if environ is None else environ).get(ENV_SIGNING_KEY, "")
        if not value.strip():
            return None
        return cls.from_pem(value.encode(), where=f"environment variable {ENV_SIGNING_KEY}")


def generate_key_pair(private_path: Path, public_path: Path) -> SigningKey:
    """A new key pair: the private key in a new owner-only file, the public key beside it.

    Neither file may exist already: a key is never overwritten.
    """
    private_key = Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key = SigningKey(private_key)
    for path in (private_path, public_path):
        if path.exists():
            raise InvalidInputError("already exists: a key is never overwritten", where=str(path))
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_pem)
    public_path.write_bytes(key.public.pem())
    return key
