"""Every test run, the notebooks under nbval included: the ``%%solution`` cells run, so each exercise is
proven solvable; and progress is recorded in a file of the run's own, never in the learner's."""

import os
import tempfile

os.environ.setdefault("COURSE_SOLUTIONS", "1")
if not os.environ.get("COURSE_PROGRESS"):
    os.environ["COURSE_PROGRESS"] = os.path.join(tempfile.mkdtemp(prefix="course-progress-"), "progress.json")
