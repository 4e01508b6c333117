"""Regenerate ``release/`` exactly as ``nbgrader generate_assignment`` makes it.

Each assignment is generated in a scratch copy of the course, so the real
``gradebook.db`` is not touched and several assignments can be released at
once. ``python -m instructor.release [ASSIGNMENT ...]`` (all when none given).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from instructor import REPO_ROOT
from instructor.course import Course, assignments


def release(assignment: str) -> Path:
    target = REPO_ROOT / "release" / assignment
    with tempfile.TemporaryDirectory(prefix=f"release-{assignment}-") as tmp:
        fresh = Course.scratch(Path(tmp), only=[assignment]).generate(assignment).parent
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(fresh, target)
    return target


def main(argv: list[str] | None = None) -> None:
    names = (argv if argv is not None else sys.argv[1:]) or assignments()
    unknown = set(names) - set(assignments())
    if unknown:
        raise SystemExit(f"no such assignment in source/: {', '.join(sorted(unknown))}")
    for name in names:
        print(f"released {release(name).relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
