"""Instructor-side tools: release generation, the autograde round trip, tests of the grading.

Nothing here is imported by a notebook; students do not need this package.
"""

from pathlib import Path

from helpers.report import COURSE_NAME

REPO_ROOT = Path(__file__).resolve().parents[1]

__all__ = ["COURSE_NAME", "REPO_ROOT"]
