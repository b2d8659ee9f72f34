"""Waiting for the engine: true at once, true later, or a message that says what and why not."""

import docker
import pytest

from course.waiting import TimedOut, until


def test_it_returns_as_soon_as_the_condition_holds():
    calls = []
    assert until(lambda: calls.append(1) or len(calls) >= 3, timeout=5, every=0.01)
    assert len(calls) == 3


def test_engine_errors_on_the_way_are_retried():
    answers = iter([docker.errors.APIError("not yet"), False, True])

    def flaky():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert until(flaky, timeout=5, every=0.01)


def test_in_vain_it_says_what_it_waited_for_and_the_last_error():
    def down():
        raise docker.errors.APIError("node2 is unreachable")

    with pytest.raises(TimedOut) as caught:
        until(down, timeout=0.05, every=0.01)
    assert "Waited 0 s for down, in vain. The last error was: node2 is unreachable" in str(caught.value)
    with pytest.raises(TimedOut, match=r"for 1 \+ 1 == 3, in vain\. It stayed false\."):
        until(lambda: 1 + 1 == 3, timeout=0.05, every=0.01)


def test_a_bug_in_the_condition_is_not_swallowed():
    with pytest.raises(ZeroDivisionError):
        until(lambda: 1 / 0, timeout=1, every=0.01)


def test_a_wait_that_retries_nothing_ends_at_the_first_error():
    calls = []

    def refused():
        calls.append(1)
        raise docker.errors.APIError("network has a user's container")

    with pytest.raises(docker.errors.APIError):
        until(refused, timeout=5, every=0.01, retry=())
    assert len(calls) == 1
