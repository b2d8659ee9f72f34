"""Which engines the course can start, and the messages when it cannot."""

import hashlib
import io
import tarfile

import pytest

from course.cleanup import Removed
from course.engines import releases
from course.errors import EngineStartFailed


def test_an_unknown_engine_name_is_refused_with_the_choices():
    with pytest.raises(EngineStartFailed) as caught:
        releases.prepare("19.03")
    assert str(caught.value) == "There is no engine called '19.03'. Choose one of: 29, current, 20.10."


def test_the_debian_mirror_is_read_from_the_systems_own_sources(tmp_path, monkeypatch):
    sources = tmp_path / "debian.sources"
    sources.write_text("Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n")
    monkeypatch.setattr(releases, "SOURCES", sources)
    assert releases.debian_uri() == "http://mirror.example/debian"


def test_without_debian_sources_the_message_says_what_to_do_instead(tmp_path, monkeypatch):
    monkeypatch.setattr(releases, "SOURCES", tmp_path / "missing.sources")
    with pytest.raises(EngineStartFailed) as caught:
        releases.debian_uri()
    assert "install Docker Engine the way your system does" in caught.value.fix


def test_a_cleanup_says_what_it_removed_by_name():
    assert str(Removed(("a", "b"), ("net",))) == "Removed 2 containers (a, b), 1 networks (net)."
    assert str(Removed((), (), ("vol",))) == "Removed 0 containers, 0 networks, 1 volumes (vol)."
    assert str(Removed((), ())) == "Removed nothing. There was nothing to remove."
    refused = Removed(("a",), (), (), ("network red (has active endpoints)",))
    assert (
        str(refused)
        == "Removed 1 containers (a), 0 networks. Could not remove: network red (has active endpoints)."
    )


def _static_archive(folder, name="docker-29.9.9.tgz", dockerd=b"#!/bin/sh\necho dockerd\n"):
    """A small archive laid out like Docker's static release: one docker/ folder."""
    path = folder / name
    with tarfile.open(path, "w:gz") as tar:
        for member, data in (("docker/dockerd", dockerd), ("docker/runc", b"runc")):
            info = tarfile.TarInfo(member)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    return path


def test_the_static_archive_is_unpacked_once_and_checked_against_its_sha256sums(tmp_path, monkeypatch):
    monkeypatch.setattr(releases, "PREFIX", tmp_path / "prefix")
    archive = _static_archive(tmp_path)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    (tmp_path / "SHA256SUMS").write_text(f"{digest}  {archive.name}\n")
    root = releases.unpacked_static(str(archive))
    assert root == tmp_path / "prefix" / "docker-29.9.9" / "docker"
    assert (root / "dockerd").read_bytes().startswith(b"#!/bin/sh") and (root / "runc").exists()
    archive.unlink()  # unpacked already, with that checksum: the archive is not read again
    assert releases.unpacked_static(str(archive)) == root


def test_an_archive_whose_checksum_differs_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(releases, "PREFIX", tmp_path / "prefix")
    archive = _static_archive(tmp_path)
    with pytest.raises(EngineStartFailed) as caught:
        releases.unpacked_static(str(archive), sha256="0" * 64)
    assert "not the expected" in caught.value.what and not (tmp_path / "prefix" / "docker-29.9.9").exists()


def test_a_missing_or_misnamed_archive_says_which_setting_to_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(releases, "PREFIX", tmp_path / "prefix")
    with pytest.raises(EngineStartFailed) as caught:
        releases.unpacked_static(str(tmp_path / "docker-29.0.0.tgz"))
    assert releases.ARCHIVE_SETTING in caught.value.fix
    with pytest.raises(EngineStartFailed) as caught:
        releases.unpacked_static(str(tmp_path / "engine.zip"))
    assert "docker-<version>.tgz" in caught.value.fix
