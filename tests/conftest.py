"""Shared fixtures. Integration tests use the real engine and fail, not skip, when it is absent."""

from __future__ import annotations

import re

import pytest

from course.engines.client import client
from course.errors import CourseError
from course.lab import Lab
from course.names import LABEL


@pytest.fixture(scope="session")
def engine():
    """The connected SDK client; a missing engine is a failure with the fix, never a skip."""
    try:
        return client()
    except CourseError as exc:
        pytest.fail(f"{exc} (make test starts one for you)", pytrace=False)


@pytest.fixture
def lab(engine, request):
    """A lab named after the test; asserts on the way out that its cleanup left nothing."""
    name = "t-" + re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name)[:40].strip("-")
    made = Lab(name)
    made.cleanup()
    yield made
    made.cleanup()
    assert not engine.containers.list(all=True, filters={"label": f"{LABEL}={name}"})
    assert not engine.networks.list(filters={"label": f"{LABEL}={name}"})
