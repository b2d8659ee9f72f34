"""Every test run, the notebooks under nbval included: the ``%%solution`` cells run, so each exercise is
proven solvable; and progress is recorded in a file of the run's own, never in the learner's."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("COURSE_SOLUTIONS", "1")
if not os.environ.get("COURSE_PROGRESS"):
    _folder = tempfile.mkdtemp(prefix="course-progress-")
    atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    os.environ["COURSE_PROGRESS"] = os.path.join(_folder, "progress.json")

# Messages in English, whatever the developer's locale (LANGUAGE=ko make test): the tests read them. A
# kernel of a Korean notebook still speaks Korean (its folder decides, before LANGUAGE).
os.environ.pop("COURSE_LANGUAGE", None)
os.environ["LANGUAGE"] = "en"
