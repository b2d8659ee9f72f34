"""Mutual-TLS certificates for the engines the course runs in containers (the simulated hosts).

A node engine listens on TCP 2376 and serves only clients that show a certificate signed by
the cluster's own CA, which is the ``docker:dind`` convention (``DOCKER_TLS_CERTDIR``): a ``ca/``,
a ``server/`` and a ``client/`` folder, each with ``ca.pem``, ``cert.pem`` and ``key.pem``. The keys
live on the kernel's machine in a folder only its user can read, so another local user who
reaches the published port gets a TLS handshake failure, never an engine.

The docker CLI uses them as they are::

    docker --tlsverify --tlscacert ca.pem --tlscert cert.pem --tlskey key.pem -H tcp://127.0.0.1:PORT ps
"""

from __future__ import annotations

import datetime
import io
import ipaddress
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

import docker
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Where the engine reads its certificates inside a node.
IN_NODE = "/certs/server"
PORT = 2376
_DAYS = 30  # a workshop's worth; the course makes new ones when they expire


def state_dir() -> Path:
    """The course's private state folder on the kernel's machine (``$XDG_STATE_HOME``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "dockernet-course"


@dataclass(frozen=True)
class CertDir:
    """One cluster's certificates, laid out as ``docker:dind`` lays them out."""

    root: Path

    @property
    def client(self) -> Path:
        return self.root / "client"

    def tls(self) -> docker.tls.TLSConfig:
        """The SDK's client TLS settings: verify the server, show our certificate."""
        return docker.tls.TLSConfig(
            client_cert=(str(self.client / "cert.pem"), str(self.client / "key.pem")),
            ca_cert=str(self.client / "ca.pem"),
            verify=True,
        )

    def cli_flags(self) -> list[str]:
        """The docker CLI flags that use these certificates."""
        return tls_cli_flags(self.tls())

    def server_tar(self) -> bytes:
        """The server folder as a tar for ``put_archive`` into a node at ``/certs/server``."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for folder in ("certs", "certs/server"):
                info = tarfile.TarInfo(folder)
                info.type, info.mode = tarfile.DIRTYPE, 0o700
                tar.addfile(info)
            for name in ("ca.pem", "cert.pem", "key.pem"):
                data = (self.root / "server" / name).read_bytes()
                info = tarfile.TarInfo(f"certs/server/{name}")
                info.size, info.mode = len(data), 0o600 if name == "key.pem" else 0o644
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    def dockerd_args(self) -> list[str]:
        """What the node's dockerd runs with to require a client certificate on TCP."""
        return [
            "--tlsverify",
            f"--tlscacert={IN_NODE}/ca.pem",
            f"--tlscert={IN_NODE}/cert.pem",
            f"--tlskey={IN_NODE}/key.pem",
            "-H",
            f"tcp://0.0.0.0:{PORT}",
        ]


def tls_cli_flags(tls: docker.tls.TLSConfig) -> list[str]:
    """The docker CLI's twin of an SDK TLS config: ``--tlsverify --tlscacert=... --tlscert=...``."""
    cert, key = tls.cert
    return ["--tlsverify", f"--tlscacert={tls.ca_cert}", f"--tlscert={cert}", f"--tlskey={key}"]


def ensure(name: str, hostnames: list[str]) -> CertDir:
    """The certificates of cluster ``name``, made (or made again when expired or incomplete)."""
    root = state_dir() / "certs" / name
    made = CertDir(root)
    if _valid(root, hostnames):
        return made
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"dockernet-course CA ({name})")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key, now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    sans = [x509.DNSName(h) for h in ["localhost", *hostnames]]
    sans.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    leaves = {
        "server": (ExtendedKeyUsageOID.SERVER_AUTH, x509.SubjectAlternativeName(sans)),
        "client": (ExtendedKeyUsageOID.CLIENT_AUTH, None),
    }
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(root, 0o700)
    _write(root / "ca", ca_cert, ca_key, ca_cert)
    for kind, (usage, san) in leaves.items():
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} {kind}")])
        builder = _builder(subject, ca_name, key, now).add_extension(
            x509.ExtendedKeyUsage([usage]), critical=False
        )
        if san is not None:
            builder = builder.add_extension(san, critical=False)
        _write(root / kind, builder.sign(ca_key, hashes.SHA256()), key, ca_cert)
    return made


def _builder(subject: x509.Name, issuer: x509.Name, key, now: datetime.datetime) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_DAYS))
    )


def _write(folder: Path, cert: x509.Certificate, key, ca: x509.Certificate) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = serialization.Encoding.PEM
    files = {
        "cert.pem": cert.public_bytes(pem),
        "ca.pem": ca.public_bytes(pem),
        "key.pem": key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    }
    for name, data in files.items():
        path = folder / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)


def _valid(root: Path, hostnames: list[str]) -> bool:
    try:
        cert = x509.load_pem_x509_certificate((root / "server" / "cert.pem").read_bytes())
        for kind in ("ca", "client"):
            x509.load_pem_x509_certificate((root / kind / "cert.pem").read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    left = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    return left > datetime.timedelta(days=1) and set(hostnames) <= set(
        names.get_values_for_type(x509.DNSName)
    )
