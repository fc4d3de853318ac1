"""The C2PA signing certificate chain and its key (DAILIES_C2PA_CERT, DAILIES_C2PA_KEY): loaded, and
checked the way a C2PA validator will (dates, a chain, a key that matches its leaf)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

SOON = timedelta(days=30)


class CredentialsError(Exception):
    """The certificate or key cannot sign; the message says what to fix and holds no key material."""


@dataclass(frozen=True, repr=False)
class Credentials:
    chain_pem: bytes  # leaf first, then each issuer
    key_pem: bytes
    alg: str  # a c2pa.C2paSigningAlg name: ES256, ES384, ES512, PS256, ED25519
    leaf_expires: datetime

    def __repr__(self) -> str:  # never print the key
        return f"Credentials(alg={self.alg}, leaf_expires={self.leaf_expires:%Y-%m-%d})"


def _name(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string() or "(no subject)"


def _algorithm(key) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}.get(key.curve.name, "")
    if isinstance(key, rsa.RSAPublicKey):
        return "PS256"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ED25519"
    return ""


def _public_bytes(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_credentials(cert_path: str, key_path: str, *, now: datetime | None = None) -> Credentials:
    """Read and check the chain and key; CredentialsError says what is wrong."""
    now = now or datetime.now(UTC)
    try:
        chain_pem = Path(cert_path).read_bytes()
        key_pem = Path(key_path).read_bytes()
    except OSError as exc:
        raise CredentialsError(f"cannot read the C2PA certificate or key ({exc.strerror})") from None
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError:
        raise CredentialsError("DAILIES_C2PA_CERT holds no PEM certificate") from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise CredentialsError(
            "DAILIES_C2PA_KEY is not an unencrypted PEM private key (PKCS#8 or traditional)"
        ) from None
    for cert in chain:
        if cert.not_valid_after_utc <= now:
            raise CredentialsError(
                f"the certificate {_name(cert)} expired on {cert.not_valid_after_utc:%Y-%m-%d}"
            )
        if cert.not_valid_before_utc > now:
            raise CredentialsError(
                f"the certificate {_name(cert)} is not valid before {cert.not_valid_before_utc:%Y-%m-%d}"
            )
    if len(chain) < 2:
        raise CredentialsError(
            "DAILIES_C2PA_CERT holds one certificate: C2PA needs the signing certificate followed by "
            "the CA certificate(s) that issued it (a self-signed certificate is rejected)"
        )
    for cert, issuer in zip(chain, chain[1:], strict=False):
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise CredentialsError(
                f"DAILIES_C2PA_CERT is not a chain: {_name(cert)} is not signed by the next "
                f"certificate, {_name(issuer)} (order them leaf first, then its issuers)"
            ) from None
    leaf = chain[0]
    if _public_bytes(key.public_key()) != _public_bytes(leaf.public_key()):
        raise CredentialsError(
            f"DAILIES_C2PA_KEY does not match the signing certificate {_name(leaf)} (the first in DAILIES_C2PA_CERT)"
        )
    alg = _algorithm(leaf.public_key())
    if not alg:
        raise CredentialsError("the signing key must be EC P-256/384/521, RSA or Ed25519 for C2PA")
    return Credentials(chain_pem, key_pem, alg, leaf.not_valid_after_utc)


def describe(credentials: Credentials, *, now: datetime | None = None) -> tuple[str, str | None]:
    """A line for `dailies doctor`, and a warning when the signing certificate expires soon."""
    now = now or datetime.now(UTC)
    line = f"C2PA signing certificate ({credentials.alg}) valid until {credentials.leaf_expires:%Y-%m-%d}"
    if credentials.leaf_expires - now < SOON:
        return line, f"the C2PA signing certificate expires on {credentials.leaf_expires:%Y-%m-%d}: renew it."
    return line, None
