"""What a pytest run inside a scenario says when it fails, short enough for an assert message."""

import re

# How the scenarios (and .ci/suite) run the notebooks under nbval: two at a time, each notebook whole
# on one worker. Each has labs and hosts of its own; two clusters' underlays pick their /24s in turn.
IN_PARALLEL = ["-n", "2", "--dist", "loadfile"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failures(output: str, first: int = 4000) -> str:
    """The first failures in full (the cause is in the first one), then the summary of them all."""
    text = _ANSI.sub("", output)
    start = text.find("= FAILURES =")
    summary = text[text.find("short test summary info") :] if "short test summary info" in text else ""
    return (text[start : start + first] if start >= 0 else text[-first:]) + "\n...\n" + summary[-3000:]
