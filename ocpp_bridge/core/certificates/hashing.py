"""certificateHashData as OCPP defines it: the OCSP CertID (RFC 6960) fields of a certificate."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization


class HashAlgorithm(StrEnum):
    SHA256 = "SHA256"
    SHA384 = "SHA384"
    SHA512 = "SHA512"

    def digest(self, data: bytes) -> str:
        return hashlib.new(self.value.lower(), data).hexdigest()


@dataclass(frozen=True)
class CertificateHashData:
    """OCPP CertificateHashDataType: a certificate's issuer and serial number, as OCSP's CertID (RFC 6960)."""

    hash_algorithm: HashAlgorithm
    issuer_name_hash: str  # hex of the hash of the DER issuer name
    issuer_key_hash: str  # hex of the hash of the issuer's public key (the BIT STRING's contents)
    serial_number: str  # hex, without leading zeros

    def payload(self) -> dict[str, str]:
        return {
            "hash_algorithm": self.hash_algorithm.value,
            "issuer_name_hash": self.issuer_name_hash,
            "issuer_key_hash": self.issuer_key_hash,
            "serial_number": self.serial_number,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> CertificateHashData:
        try:
            return cls(
                HashAlgorithm(payload["hash_algorithm"]),
                str(payload["issuer_name_hash"]),
                str(payload["issuer_key_hash"]),
                str(payload["serial_number"]),
            )
        except (KeyError, ValueError) as error:
            raise ValueError(f"certificateHashData: {error}") from None

    def same_certificate(self, other: CertificateHashData) -> bool:
        """Equal but for the case of the hex digits and leading zeros of the serial number."""
        return (
            self.hash_algorithm is other.hash_algorithm
            and self.issuer_name_hash.lower() == other.issuer_name_hash.lower()
            and self.issuer_key_hash.lower() == other.issuer_key_hash.lower()
            and (self.serial_number.lower().lstrip("0") or "0")
            == (other.serial_number.lower().lstrip("0") or "0")
        )


def _der_length(der: bytes, at: int) -> tuple[int, int]:
    """The length of the DER element whose length octets start at `at`, and where its contents start."""
    first = der[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    return int.from_bytes(der[at + 1 : at + 1 + count]), at + 1 + count


def _public_key_bits(certificate: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING's contents (what OCSP's issuerKeyHash hashes)."""
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _, body = _der_length(spki, 1)  # SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
    algorithm_length, algorithm_body = _der_length(spki, body + 1)
    bits_at = algorithm_body + algorithm_length
    if spki[bits_at] != 0x03:
        raise ValueError("SubjectPublicKeyInfo without a BIT STRING")
    length, start = _der_length(spki, bits_at + 1)
    return spki[start + 1 : start + length]  # skip the unused-bits octet


def hash_data(
    certificate: x509.Certificate,
    issuer: x509.Certificate | None = None,
    algorithm: HashAlgorithm = HashAlgorithm.SHA256,
) -> CertificateHashData:
    """The certificate's hash data; `issuer` None means self-signed (a root: its own key)."""
    return CertificateHashData(
        algorithm,
        algorithm.digest(certificate.issuer.public_bytes()),
        algorithm.digest(_public_key_bits(issuer or certificate)),
        format(certificate.serial_number, "x"),
    )
