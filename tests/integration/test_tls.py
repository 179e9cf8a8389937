"""Client-facing TLS: tls-port with a certificate, and tls-auth-clients yes/no/optional.

A CA, a server certificate (for 127.0.0.1) and a client certificate are made
at test time with the openssl command line tool. The servers started here
listen only on their TLS port (`--port 0`, as in Redis, means no TCP port).
"""

from __future__ import annotations

import contextlib
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.conftest import Process, free_port
from tests.integration.compare import execute

NO_RETRY = Retry(NoBackoff(), 0)


@dataclass(frozen=True)
class Certs:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path
    stranger_key: Path


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


def _signed(folder: Path, name: str, subject: str, ca: tuple[Path, Path], ext: str) -> None:
    key, csr, cert, extfile = (folder / f"{name}.{s}" for s in ("key", "csr", "crt", "ext"))
    extfile.write_text(ext)
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
             "-subj", subject)  # fmt: skip
    _openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
             "-out", cert, "-days", "2", "-sha256", "-extfile", extfile)  # fmt: skip


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command line tool is needed to make test certificates")
    folder = tmp_path_factory.mktemp("tls")
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-keyout", folder / f"{ca}.key", "-out", folder / f"{ca}.crt",
                 "-subj", f"/CN=geokv test {ca}")  # fmt: skip
    trusted = (folder / "ca.crt", folder / "ca.key")
    untrusted = (folder / "other-ca.crt", folder / "other-ca.key")
    _signed(folder, "server", "/CN=localhost", trusted,
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")  # fmt: skip
    _signed(folder, "client", "/CN=client", trusted, "extendedKeyUsage=clientAuth\n")
    _signed(folder, "stranger", "/CN=stranger", untrusted, "extendedKeyUsage=clientAuth\n")
    return Certs(
        folder / "ca.crt",
        folder / "server.crt",
        folder / "server.key",
        folder / "client.crt",
        folder / "client.key",
        folder / "stranger.crt",
        folder / "stranger.key",
    )


@contextlib.contextmanager
def tls_server(tmp: Path, certs: Certs, auth_clients: str, *flags: str) -> Iterator[Process]:
    port = free_port()
    argv = [sys.executable, "-m", "node", "server", "--port", "0", "--tls-port", str(port),
            "--tls-cert-file", str(certs.server_cert), "--tls-key-file", str(certs.server_key),
            "--tls-ca-cert-file", str(certs.ca), "--tls-auth-clients", auth_clients,
            "--dir", str(tmp), *flags]  # fmt: skip
    server = Process(argv, port, tmp / f"geokv-tls-{port}.log")
    try:
        yield server
    finally:
        server.stop()


def tls_client(
    port: int, certs: Certs, cert: str | None, protocol: int = 2, password: str | None = None
) -> redis.Redis:
    """A client that trusts the test CA and presents the `cert` pair (or none)."""
    pair: dict[str, str] = {}
    if cert is not None:
        pair = {
            "ssl_certfile": str(getattr(certs, f"{cert}_cert")),
            "ssl_keyfile": str(getattr(certs, f"{cert}_key")),
        }
    return redis.Redis(
        port=port,
        protocol=protocol,
        password=password,
        ssl=True,
        ssl_ca_certs=str(certs.ca),
        socket_timeout=10,
        retry=NO_RETRY,
        **pair,  # type: ignore[arg-type]
    )


def served(client: redis.Redis) -> bool:
    """True when the server answers a command on this connection, False when it refused it."""
    with contextlib.closing(client):
        try:
            return client.ping() is True
        except (redis.ConnectionError, ssl.SSLError, OSError):
            return False


@pytest.mark.parametrize("protocol", [2, 3])
def test_client_with_certificate_is_served(tmp_path: Path, certs: Certs, protocol: int) -> None:
    with (
        tls_server(tmp_path, certs, "yes") as server,
        contextlib.closing(tls_client(server.port, certs, "client", protocol)) as client,
    ):
        assert client.set("k", "v")
        assert client.get("k") == b"v"
        assert execute(client, "ACL", "WHOAMI") == b"default"


def test_auth_clients_yes_refuses_missing_or_untrusted_certificates(
    tmp_path: Path, certs: Certs
) -> None:
    with tls_server(tmp_path, certs, "yes") as server:
        assert not served(tls_client(server.port, certs, None))
        assert not served(tls_client(server.port, certs, "stranger"))
        assert served(tls_client(server.port, certs, "client"))


def test_auth_clients_no_accepts_clients_without_certificates(tmp_path: Path, certs: Certs) -> None:
    with tls_server(tmp_path, certs, "no") as server:
        assert served(tls_client(server.port, certs, None))
        assert served(tls_client(server.port, certs, "client"))


def test_auth_clients_optional_checks_only_presented_certificates(
    tmp_path: Path, certs: Certs
) -> None:
    with tls_server(tmp_path, certs, "optional") as server:
        assert served(tls_client(server.port, certs, None))
        assert served(tls_client(server.port, certs, "client"))
        assert not served(tls_client(server.port, certs, "stranger"))


def test_plaintext_client_on_tls_port_is_not_served(tmp_path: Path, certs: Certs) -> None:
    with tls_server(tmp_path, certs, "no") as server:
        plain = redis.Redis(port=server.port, socket_timeout=5, retry=NO_RETRY)
        assert not served(plain)


def test_tls_and_tcp_ports_together(tmp_path: Path, certs: Certs) -> None:
    tcp_port = free_port()
    with tls_server(tmp_path, certs, "yes", "--port", str(tcp_port)) as server:
        with contextlib.closing(tls_client(server.port, certs, "client")) as secure:
            assert secure.set("shared", "1")
        with contextlib.closing(redis.Redis(port=tcp_port, socket_timeout=10)) as plain:
            assert plain.get("shared") == b"1"


def test_tls_clients_must_still_authenticate(tmp_path: Path, certs: Certs) -> None:
    with tls_server(tmp_path, certs, "yes", "--requirepass", "pw") as server:
        with (
            contextlib.closing(tls_client(server.port, certs, "client")) as anonymous,
            pytest.raises(redis.AuthenticationError, match="Authentication required"),
        ):
            anonymous.get("k")
        with contextlib.closing(tls_client(server.port, certs, "client", password="pw")) as client:
            assert client.get("k") is None
