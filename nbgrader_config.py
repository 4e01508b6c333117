"""nbgrader configuration for the course (the course root is the folder nbgrader runs in)."""

import os
import sys

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters import Autograde, GenerateAssignment
from nbgrader.preprocessors import ClearSolutions, Execute, GetGrades

from instructor.execute import BoundedExecute
from instructor.feedback import HideHiddenTests
from instructor.sandbox import SandboxedKernelManager
from instructor.stubs import NamedClearSolutions

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)
HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "deep-learning"

# nbgrader runs the `alembic` command when it creates a gradebook: find the one installed next to this Python,
# so that `.venv/bin/nbgrader ...` works from a shell where the environment is not activated.
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])

# The exchange (nbgrader release_assignment / fetch / submit / collect) lives in the course folder; on a shared
# server (JupyterHub), point it at a folder every student can write to instead (nbgrader's docs: "exchange").
c.Exchange.root = os.environ.get("COURSE_EXCHANGE_DIR") or os.path.join(HERE, "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)

# The gradebook: a database server when COURSE_DB_URL names one (postgresql://user@host/db: many graders at once,
# see the README), else gradebook.db here, with a generous busy timeout so that parallel graders wait their turn.
c.CourseDirectory.db_url = os.environ.get("COURSE_DB_URL") or (
    f"sqlite:///{os.path.join(HERE, 'gradebook.db')}?timeout=120")

# The release stub names the task it stands for ("Task 'sigmoid' is not done yet").
c.GenerateAssignment.preprocessors = [
    NamedClearSolutions if step is ClearSolutions else step
    for step in GenerateAssignment.class_traits()["preprocessors"].default()
]
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Feedback shows each test cell's score, its output and the message of its failure, never hidden-test code
# (instructor/feedback.py); the formgrader still shows instructors everything.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# Time limits while autograding (instructor/timeouts.py): each cell may run 20 times what the reference needs for
# it (at least 10 s, at most c.Execute.timeout below), each submission 10 times the reference's total plus 5
# minutes; after each test cell the grader checks that nothing it relies on was tampered with
# (instructor/execute.py, instructor/grading/integrity.py). A cell that writes to stderr scores zero: helpers
# keeps progress bars and warnings away from graded cells.
c.Autograde.autograde_preprocessors = [
    BoundedExecute if step is Execute else step
    for step in Autograde.class_traits()["autograde_preprocessors"].default()
]
c.Execute.timeout = 180

# Every submission's kernel runs in a sandbox while autograding (instructor/sandbox.py: bubblewrap, read-only
# course code, its own folder only, no network, no way to signal the grader, a memory limit).
# COURSE_SANDBOX=off switches it off for a class you trust.
c.Execute.kernel_manager_class = SandboxedKernelManager
