"""Instructor-side tools: release generation, the autograde round trip, tests of the grading.

Nothing here is imported by a notebook; students do not need this package.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
COURSE_NAME = "Deep Learning: from gradients to attention"
