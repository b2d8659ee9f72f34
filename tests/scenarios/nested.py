"""What a pytest run inside a scenario says when it fails, short enough for an assert message."""

import re

# How the scenarios (and .ci/suite) run the notebooks under nbval: two at a time (its docstring says how
# they are grouped), by a path relative to the clone the run happens in.
SIDE_BY_SIDE = "tests/notebooks_side_by_side.py"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failures(output: str, first: int = 4000) -> str:
    """The first failures in full (the cause is in the first one), then the summary of them all."""
    text = _ANSI.sub("", output)
    start = text.find("= FAILURES =")
    summary = text[text.find("short test summary info") :] if "short test summary info" in text else ""
    return (text[start : start + first] if start >= 0 else text[-first:]) + "\n...\n" + summary[-3000:]
