"""The `geokv topology` CLI's TLS client credentials, and what a failed handshake means.

Owns the three settings (`--tls-cert-file`, `--tls-key-file`,
`--tls-ca-cert-file`, each falling back to GEOKV_TLS_CERT_FILE,
GEOKV_TLS_KEY_FILE, GEOKV_TLS_CA_CERT_FILE when its flag is not given), the
rule that they come all three or not at all (a region with replication TLS on
requires a client certificate, so a CA alone would reach nothing), checking the
files before anything is sent, and turning gRPC's handshake failures into one
sentence. Must not know the admin service's calls.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

import grpc

# (setting, flag, environment variable); the flags mirror the node's
# replication-tls-* settings.
SETTINGS = (
    ("cert", "--tls-cert-file", "GEOKV_TLS_CERT_FILE"),
    ("key", "--tls-key-file", "GEOKV_TLS_KEY_FILE"),
    ("ca", "--tls-ca-cert-file", "GEOKV_TLS_CA_CERT_FILE"),
)
SOCKET_CLOSED = "Socket closed"


class CredentialsError(Exception):
    """The TLS settings are incomplete or a file is unusable (exit 2)."""


@dataclass(frozen=True)
class ClientTLS:
    cert_file: str
    key_file: str
    ca_file: str
    origin: str  # where the certificate's path came from: its flag or variable
    credentials: grpc.ChannelCredentials


def from_settings(flags: Mapping[str, str | None], environ: Mapping[str, str]) -> ClientTLS | None:
    """`flags` maps "cert", "key", "ca" to a flag's value (None: not given). None
    when no setting is given anywhere: the CLI then speaks plaintext."""
    chosen: dict[str, tuple[str, str]] = {}
    for setting, flag, variable in SETTINGS:
        value = flags.get(setting)
        if value is not None:
            if not value:
                raise CredentialsError(f"{flag} needs a path")
            chosen[setting] = (value, flag)
        elif environ.get(variable):
            chosen[setting] = (environ[variable], variable)
    if not chosen:
        return None
    missing = [f"{flag} (or {variable})" for s, flag, variable in SETTINGS if s not in chosen]
    if missing:
        given = ", ".join(f"{origin}={path}" for path, origin in chosen.values())
        raise CredentialsError(
            "TLS needs a client certificate, its key and the cluster's CA: missing "
            f"{', '.join(missing)} (given: {given})"
        )
    cert, key, ca = (_read(*chosen[s]) for s in ("cert", "key", "ca"))
    (cert_file, origin), (key_file, _), (ca_file, _) = (chosen[s] for s in ("cert", "key", "ca"))
    _check(cert_file, key_file, ca_file, key)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca, private_key=key, certificate_chain=cert
    )
    return ClientTLS(cert_file, key_file, ca_file, origin, credentials)


def _read(path: str, origin: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise CredentialsError(f"cannot read {path} ({origin}): {exc.strerror}") from None


def _check(cert_file: str, key_file: str, ca_file: str, key: bytes) -> None:
    """What gRPC would only report as a failed handshake, said up front."""
    if b"ENCRYPTED" in key:
        raise CredentialsError(f"{key_file}: the key is encrypted; give an unencrypted PEM key")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_cert_chain(cert_file, key_file)
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            raise CredentialsError(f"{key_file} is not the key of {cert_file}") from None
        raise CredentialsError(
            f"{cert_file} and {key_file} are not a PEM certificate and its key"
        ) from None
    try:
        context.load_verify_locations(ca_file)
    except ssl.SSLError:
        raise CredentialsError(f"{ca_file} holds no PEM CA certificate") from None


def handshake_failure(details: str, address: str, tls: ClientTLS) -> str | None:
    """Why the TLS handshake failed, from an UNAVAILABLE call's details; None when
    the call failed otherwise (nothing listening, a timeout)."""
    if SOCKET_CLOSED in details:
        # With TLS 1.3 a server refusing the client's certificate just closes.
        return (
            "the region closed the connection, as it does when it refuses the client "
            f"certificate {tls.cert_file} ({tls.origin}): it must be signed by the CA of the "
            "region's replication-tls-ca-cert-file, unexpired, with extendedKeyUsage clientAuth"
        )
    if "Hostname Verification Check failed" in details:
        host = address.rpartition(":")[0]
        return (
            f"the region's certificate is not issued for {host} "
            "(its subjectAltName must name the host of the address)"
        )
    found = re.search(r"OPENSSL_internal:([A-Z0-9_]+)(.*)", details)
    if found is None:
        return None
    reason = found[1].lower().replace("_", " ")
    if found[1] == "WRONG_VERSION_NUMBER":
        return f"{reason}: the region does not speak TLS there (is its replication TLS off?)"
    detail = found[2].removesuffix(": OK").strip(": ")
    if found[1] == "CERTIFICATE_VERIFY_FAILED":
        return (
            f"{reason}: the region's certificate was checked against the CA in {tls.ca_file} "
            f"({detail})"
        )
    return f"{reason} ({detail})" if detail else reason


def plaintext_refused(details: str) -> bool:
    """A plaintext call closed before any reply: the usual sign of a TLS-only port."""
    return SOCKET_CLOSED in details
