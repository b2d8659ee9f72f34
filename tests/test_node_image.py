"""Where the simulated hosts' node image comes from, on the real engine.

The registry path and the errors of a learner who cannot read root's dockerd are in
``tests/scenarios/test_learner_not_root.py``, run as such a learner.
"""

from __future__ import annotations

import docker
import pytest

from course.engines import node_image
from course.engines.images import LAB_IMAGE
from course.errors import CourseError


@pytest.mark.integration
def test_as_root_the_node_image_is_made_from_the_running_engines_own_binaries(engine):
    assert node_image.build_node_image() == node_image.NODE_IMAGE
    assert node_image.node_image_source() == "the running engine's own binaries"
    exe, _ = node_image.running_dockerd(engine.version()["Version"])
    assert exe.name == "dockerd"


@pytest.mark.integration
def test_an_exported_file_brings_both_images_to_an_engine_and_a_wrong_file_is_refused(engine, tmp_path):
    made = tmp_path / "course-images.tar"
    said = node_image.export_images(str(made))
    assert str(made) in said and made.stat().st_size > 10_000_000
    before = engine.images.get(node_image.NODE_IMAGE).id
    engine.images.remove(node_image.NODE_IMAGE)  # as on an engine that has never had it
    assert not engine.images.list(name=node_image.NODE_IMAGE)
    assert "course/node:latest" in node_image.import_images(str(made))
    assert engine.images.get(node_image.NODE_IMAGE).id == before  # the engine reports the same image
    assert engine.images.get(LAB_IMAGE)
    with pytest.raises(CourseError, match="Cannot read"):
        node_image.import_images(str(tmp_path / "absent.tar"))


@pytest.mark.integration
def test_the_node_image_says_which_docker_it_runs(engine):
    node_image.build_node_image()
    made = engine.images.get(node_image.NODE_IMAGE)  # as the engine reports it
    assert node_image.image_version(made) == engine.version()["Version"]


@pytest.mark.parametrize(
    ("attrs", "version"),
    [
        ({"Config": {"Labels": {node_image.VERSION_LABEL: "29.7.2"}, "Env": ["DOCKER_VERSION=1"]}}, "29.7.2"),
        ({"Config": {"Labels": None, "Env": ["PATH=/bin", "DOCKER_VERSION=28.5.2"]}}, "28.5.2"),
        ({"Config": {"Labels": {}, "Env": ["PATH=/bin"]}}, None),
    ],
)
def test_a_node_image_version_is_its_label_or_a_dind_images_docker_version(attrs, version):
    assert node_image.image_version(docker.models.images.Image(attrs=attrs)) == version
