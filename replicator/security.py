"""Link security and encoding between regions: mutual TLS and optional gzip.

Owns how the replication settings turn into gRPC credentials: with
`replication-tls-cert-file`, `-key-file` and `-ca-cert-file` set, the peer
server requires a client certificate signed by the CA (a region without one
is refused during the handshake) and subscribers present the same region
certificate and verify the peer's against the CA; with none set, links are
plaintext. `replication-compression gzip` compresses every message on both
sides. Must not know streams or records.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from node.config import Config, ConfigError

TLS_SETTINGS = (
    "replication-tls-cert-file",
    "replication-tls-key-file",
    "replication-tls-ca-cert-file",
)


@dataclass(frozen=True, slots=True)
class LinkSecurity:
    cert: bytes | None
    key: bytes | None
    ca: bytes | None
    compression: grpc.Compression

    @property
    def tls(self) -> bool:
        return self.cert is not None

    def server_credentials(self) -> grpc.ServerCredentials:
        assert self.cert is not None and self.key is not None
        return grpc.ssl_server_credentials(
            [(self.key, self.cert)], root_certificates=self.ca, require_client_auth=True
        )

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca, private_key=self.key, certificate_chain=self.cert
        )


def link_security(config: Config) -> LinkSecurity:
    """Raises ConfigError when TLS is half configured or a file cannot be read."""
    paths = [config[name] for name in TLS_SETTINGS]
    compression = (
        grpc.Compression.Gzip
        if config["replication-compression"] == "gzip"
        else grpc.Compression.NoCompression
    )
    if not any(paths):
        return LinkSecurity(None, None, None, compression)
    if not all(paths):
        raise ConfigError("mutual TLS between regions needs all of " + ", ".join(TLS_SETTINGS))
    cert, key, ca = (_read(path) for path in paths)
    return LinkSecurity(cert, key, ca, compression)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
