"""Which engines the course can start, and the messages when it cannot."""

import pytest

from course import engines
from course.cleanup import Removed
from course.errors import EngineStartFailed


def test_an_unknown_engine_name_is_refused_with_the_choices():
    with pytest.raises(EngineStartFailed) as caught:
        engines.prepare("19.03")
    assert str(caught.value) == "There is no engine called '19.03'. Choose one of: current, 20.10."


def test_the_debian_mirror_is_read_from_the_systems_own_sources(tmp_path, monkeypatch):
    sources = tmp_path / "debian.sources"
    sources.write_text("Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n")
    monkeypatch.setattr(engines, "SOURCES", sources)
    assert engines.debian_uri() == "http://mirror.example/debian"


def test_without_debian_sources_the_message_says_what_to_do_instead(tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "SOURCES", tmp_path / "missing.sources")
    with pytest.raises(EngineStartFailed) as caught:
        engines.debian_uri()
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
