"""Regenerate ``release/`` exactly as ``nbgrader generate_assignment`` makes it.

Each assignment is generated in a scratch copy of the course, so that nothing
else in the course folder changes. ``python -m instructor.release [ASSIGNMENT ...]``
(all when none given; ``make release``) also records each assignment, its notebook
and its graded cells in the course's gradebook (``gradebook.db``, or
``$COURSE_DB_URL``), as ``nbgrader generate_assignment`` would: the gradebook is then
ready for ``nbgrader autograde`` and the formgrader. ``--no-gradebook`` skips that.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from instructor import REPO_ROOT
from instructor.course import ENV_DB_URL, Course, assignments


def release(assignment: str, gradebook: str | None = None, into: Path = REPO_ROOT / "release") -> Path:
    """Regenerate ``into/<assignment>`` (``release/``); record the assignment in the gradebook at URL ``gradebook``
    if given."""
    target = into / assignment
    saved = os.environ.get(ENV_DB_URL)
    with tempfile.TemporaryDirectory(prefix=f"release-{assignment}-") as tmp:
        scratch = Course.scratch(Path(tmp), only=[assignment])
        try:
            if gradebook:
                os.environ[ENV_DB_URL] = gradebook
            fresh = scratch.generate(assignment).parent
        finally:
            if saved is None:
                os.environ.pop(ENV_DB_URL, None)
            else:
                os.environ[ENV_DB_URL] = saved
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(fresh, target)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m instructor.release", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="the assignments to release (default: all)")
    parser.add_argument("--no-gradebook", action="store_true", help="leave the course's gradebook as it is")
    args = parser.parse_args(argv)
    names = args.assignments or assignments()
    unknown = set(names) - set(assignments())
    if unknown:
        raise SystemExit(f"no such assignment in source/: {', '.join(sorted(unknown))}")
    gradebook = None if args.no_gradebook else Course(REPO_ROOT).db_url
    for name in names:
        print(f"released {release(name, gradebook).relative_to(REPO_ROOT)}"
              + (" (and recorded in the gradebook)" if gradebook else ""))


if __name__ == "__main__":
    main()
