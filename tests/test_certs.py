"""The node engines' certificates: a CA, a server and a client, in a folder only their user reads."""

import datetime
import io
import stat
import tarfile

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from course.engines import certs


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    return tmp_path


def _cert(folder, kind):
    return x509.load_pem_x509_certificate((folder.root / kind / "cert.pem").read_bytes())


def test_the_server_and_client_certificates_are_signed_by_the_clusters_own_ca(state):
    made = certs.ensure("t-one", ["node1", "node2"])
    ca = _cert(made, "ca")
    for kind in ("server", "client"):
        _cert(made, kind).verify_directly_issued_by(ca)
    server_names = _cert(made, "server").extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", "node1", "node2"} <= set(server_names.get_values_for_type(x509.DNSName))
    assert [str(ip) for ip in server_names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    usage = _cert(made, "client").extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    left = _cert(made, "server").not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    assert datetime.timedelta(days=7) < left < datetime.timedelta(days=90)


def test_only_their_user_can_read_the_keys(state):
    made = certs.ensure("t-two", ["node1"])
    assert stat.S_IMODE(made.root.stat().st_mode) == 0o700
    for kind in ("ca", "server", "client"):
        assert stat.S_IMODE((made.root / kind / "key.pem").stat().st_mode) == 0o600


def test_they_are_made_once_and_again_only_when_the_hosts_change(state):
    first = certs.ensure("t-three", ["node1"])
    ca = (first.root / "ca" / "cert.pem").read_bytes()
    assert (certs.ensure("t-three", ["node1"]).root / "ca" / "cert.pem").read_bytes() == ca
    assert (certs.ensure("t-three", ["node1", "node4"]).root / "ca" / "cert.pem").read_bytes() != ca


def test_the_node_gets_only_the_server_folder_and_the_cli_gets_the_client_flags(state):
    made = certs.ensure("t-four", ["node1"])
    with tarfile.open(fileobj=io.BytesIO(made.server_tar())) as tar:
        names = tar.getnames()
    assert sorted(n for n in names if n.endswith(".pem")) == [
        "certs/server/ca.pem",
        "certs/server/cert.pem",
        "certs/server/key.pem",
    ]
    assert "--tlsverify" in made.dockerd_args() and "tcp://0.0.0.0:2376" in made.dockerd_args()
    assert made.cli_flags()[0] == "--tlsverify"
    assert all(str(made.client) in flag for flag in made.cli_flags()[1:])
