"""Test certificates made with the openssl command line tool: a cluster CA, a
second CA nobody trusts, and certificates they sign for 127.0.0.1.

Shared by every suite that turns on mutual TLS (replication links, the admin
service and the `geokv topology` CLI), so all of them test the same material.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


def _ca(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    _openssl("req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", key, "-out", cert, "-subj", f"/CN=geokv test {name}")  # fmt: skip
    return cert, key


def _signed(
    folder: Path, name: str, ca: tuple[Path, Path], usage: str = "serverAuth,clientAuth"
) -> tuple[Path, Path]:
    """A region certificate serves peers and subscribes to them, so both usages by default."""
    key, csr, cert, ext = (folder / f"{name}.{s}" for s in ("key", "csr", "crt", "ext"))
    ext.write_text(f"subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage={usage}\n")
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
             "-subj", f"/CN={name}")  # fmt: skip
    _openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
             "-out", cert, "-days", "2", "-sha256", "-extfile", ext)  # fmt: skip
    return cert, key


def make_certs(folder: Path) -> dict[str, Path]:
    """`ca`; `cert`/`key` (a region's) and `operator_cert`/`operator_key` (client
    use only) signed by it; `other_ca` and `stranger_cert`/`stranger_key` signed by
    that other CA."""
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command line tool is needed to make test certificates")
    ca = _ca(folder, "ca")
    other = _ca(folder, "other-ca")
    region_cert, region_key = _signed(folder, "region", ca)
    operator_cert, operator_key = _signed(folder, "operator", ca, usage="clientAuth")
    stranger_cert, stranger_key = _signed(folder, "stranger", other)
    return {
        "ca": ca[0],
        "cert": region_cert,
        "key": region_key,
        "operator_cert": operator_cert,
        "operator_key": operator_key,
        "other_ca": other[0],
        "stranger_cert": stranger_cert,
        "stranger_key": stranger_key,
    }
