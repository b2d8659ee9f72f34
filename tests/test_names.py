"""Name checks happen before anything reaches the engine."""

import pytest

from course.errors import CourseError, InvalidName
from course.names import check_name, owner


@pytest.mark.parametrize("name", ["ubuntu1", "red", "my_net.v2", "a-b", "9lives", "x" * 63])
def test_docker_acceptable_names_pass(name):
    assert check_name("container", name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "it is empty"),
        ("a", "it is too short"),
        ("-red", "it must start with a letter or digit"),
        ("red blue", "it contains ' '"),
        ("rm -rf /;", "it contains"),
        ("x" * 64, "64 characters"),
        ("빨강", "it contains"),
        (42, "it is a int, not text"),
    ],
)
def test_bad_names_say_why_and_how_to_fix(name, why):
    with pytest.raises(InvalidName) as caught:
        check_name("network", name)
    message = str(caught.value)
    assert why in message
    assert "valid network name" in message
    assert "e.g. 'ubuntu1'" in message  # every message ends with what to do
    assert isinstance(caught.value, CourseError)


def test_owner_reads_the_course_label_only():
    assert owner({"course.lab": "redblue"}) == "redblue"
    assert owner({"com.example": "x"}) is None
    assert owner(None) is None
