"""`geokv topology` against regions whose replication (and so admin) port runs
mutual TLS: every verb works with the cluster's certificate, from flags or from
GEOKV_TLS_*; a CLI without a valid client certificate is refused, and every
failed handshake or unusable setting is reported in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tlscerts import make_certs
from tests.topology.regions import Regions, cli, cli_json, wait_until
from topology.cli import main


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_certs(tmp_path_factory.mktemp("cli-tls"))


def _files(certs: dict[str, Path], cert: str, key: str, ca: str) -> tuple[str, str, str]:
    return str(certs[cert]), str(certs[key]), str(certs[ca])


def flags(cert: str, key: str, ca: str) -> list[str]:
    return ["--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca]


def env(cert: str, key: str, ca: str) -> dict[str, str]:
    return {"GEOKV_TLS_CERT_FILE": cert, "GEOKV_TLS_KEY_FILE": key, "GEOKV_TLS_CA_CERT_FILE": ca}


@pytest.fixture(scope="module")
def valid(certs: dict[str, Path]) -> tuple[str, str, str]:
    return _files(certs, "cert", "key", "ca")


@pytest.fixture(scope="module")
def regions(
    tmp_path_factory: pytest.TempPathFactory, valid: tuple[str, str, str]
) -> Iterator[Regions]:
    cert, key, ca = valid
    server_flags = ("--replication-tls-cert-file", cert, "--replication-tls-key-file", key,
                    "--replication-tls-ca-cert-file", ca)  # fmt: skip
    regions = Regions(tmp_path_factory.mktemp("topology-tls"), ["a", "b"], *server_flags)
    yield regions
    regions.stop()


def one_line_error(done: object) -> str:
    stderr: str = done.stderr  # type: ignore[attr-defined]
    assert done.returncode == 1, stderr  # type: ignore[attr-defined]
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    return stderr


def converged(regions: Regions, ids: set[str], credentials: dict[str, str]) -> bool:
    status = cli_json("status", "--node", regions.admin("a"), env=credentials)
    return bool(status["converged"]) and {r["region"] for r in status["regions"]} == ids


def test_create_status_health_flush_with_the_clusters_certificate(
    regions: Regions, valid: tuple[str, str, str], certs: dict[str, Path]
) -> None:
    specs = [a for rid in ("a", "b") for a in ("--region", regions.spec(rid))]
    done = cli("create", "--cluster-id", "t", *specs, *flags(*valid))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": stored") == 2
    regions.client("a").set("k", "v")
    wait_until(lambda: converged(regions, {"a", "b"}, env(*valid)), what="convergence")
    assert regions.client("b").get("k") == b"v"
    # A flag overrides its variable: the stranger's certificate in the
    # environment is not the one presented.
    stranger = env(*_files(certs, "stranger_cert", "stranger_key", "ca"))
    health = cli("health", "--node", regions.admin("b"), *flags(*valid), env=stranger)
    assert health.returncode == 0 and health.stdout.count(" ok ") == 2, health.stderr
    assert cli("flush", "--node", regions.admin("b"), "--yes", env=env(*valid)).returncode == 0
    wait_until(lambda: all(regions.client(r).dbsize() == 0 for r in "ab"), what="flush")


def test_a_region_joins_and_leaves_over_tls(regions: Regions, certs: dict[str, Path]) -> None:
    """With an operator's certificate (client use only), as docs/operations.md issues it."""
    credentials = env(*_files(certs, "operator_cert", "operator_key", "ca"))
    regions.client("b").set("before-c", 1)
    regions.start("c")
    repl = f"127.0.0.1:{regions.repl['c']}"
    done = cli("add-region", "--node", regions.admin("a"), "--id", "c",
               "--resp", f"127.0.0.1:{regions.procs['c'].port}", "--replication", repl,
               env=credentials)  # fmt: skip
    assert done.returncode == 0, done.stderr
    wait_until(lambda: converged(regions, {"a", "b", "c"}, credentials), what="c joined")
    assert regions.client("c").get("before-c") == b"1"
    done = cli("remove-region", "--node", regions.admin("a"), "c", env=credentials)
    assert done.returncode == 0, done.stderr
    listed = cli_json("list", "--node", regions.admin("b"), env=credentials)
    assert [r["id"] for r in listed["regions"]] == ["a", "b"]


def test_a_cli_without_a_valid_client_certificate_is_refused(
    regions: Regions, certs: dict[str, Path], valid: tuple[str, str, str]
) -> None:
    node = regions.admin("a")
    assert cli("list", "--node", node, *flags(*valid)).returncode == 0  # the control
    stderr = one_line_error(cli("list", "--node", node))
    assert f"{node} closed the connection before any reply" in stderr
    assert "--tls-cert-file" in stderr
    stranger = _files(certs, "stranger_cert", "stranger_key", "ca")
    stderr = one_line_error(cli("health", "--node", node, env=env(*stranger)))
    assert f"TLS handshake with {node} failed: the region closed the connection" in stderr
    assert f"{certs['stranger_cert']} (GEOKV_TLS_CERT_FILE)" in stderr


def test_the_cli_verifies_the_regions_certificate(regions: Regions, certs: dict[str, Path]) -> None:
    """With another CA than the cluster's, every region's handshake fails on the
    CLI's side, and each region is named in the result."""
    wrong_ca = _files(certs, "cert", "key", "other_ca")
    specs = [a for rid in ("a", "b") for a in ("--region", regions.spec(rid))]
    done = cli("create", "--cluster-id", "t", *specs, *flags(*wrong_ca))
    assert done.returncode == 1, done.stderr
    for rid in ("a", "b"):
        assert (
            f"{rid}: not reached: TLS handshake with {rid} ({regions.admin(rid)}) failed: "
            f"certificate verify failed: the region's certificate was checked against the CA "
            f"in {certs['other_ca']}"
        ) in done.stdout


def test_a_tls_cli_against_a_plaintext_region(tmp_path: Path, valid: tuple[str, str, str]) -> None:
    plain = Regions(tmp_path, ["p"])
    try:
        node = plain.admin("p")
        stderr = one_line_error(cli("status", "--node", node, *flags(*valid)))
        assert f"TLS handshake with {node} failed: wrong version number" in stderr
    finally:
        plain.stop()


def test_incomplete_or_unusable_settings_are_refused_before_any_call(
    certs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(*args: str) -> str:
        assert main(["list", "--node", "127.0.0.1:1", *args]) == 2
        return capsys.readouterr().err

    for name in ("GEOKV_TLS_CERT_FILE", "GEOKV_TLS_KEY_FILE", "GEOKV_TLS_CA_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GEOKV_TLS_KEY_FILE", str(certs["key"]))
    err = refused("--tls-cert-file", str(certs["cert"]))
    assert "missing --tls-ca-cert-file (or GEOKV_TLS_CA_CERT_FILE)" in err
    assert f"GEOKV_TLS_KEY_FILE={certs['key']}" in err
    err = refused(*flags(str(certs["cert"]), str(certs["stranger_key"]), str(certs["ca"])))
    assert f"{certs['stranger_key']} is not the key of {certs['cert']}" in err
    err = refused(*flags(str(certs["cert"]), str(certs["key"]), str(certs["key"])))
    assert f"{certs['key']} holds no PEM CA certificate" in err
    missing = str(certs["ca"]) + ".missing"
    err = refused(*flags(str(certs["cert"]), str(certs["key"]), missing))
    assert f"cannot read {missing} (--tls-ca-cert-file): No such file or directory" in err
