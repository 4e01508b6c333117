"""What students see in their feedback: scores and messages, never the hidden tests.

``nbgrader generate_feedback`` renders the autograded notebook, hidden tests
included, and a failing test cell's traceback quotes the lines around the failure.
:class:`HideHiddenTests` (set in ``nbgrader_config.py`` for ``GenerateFeedback``)
removes every hidden-test region from the cells and shortens the error of a test
cell to its last line (``CheckFailed: ... expected ...``), the sentence written for
the student, and writes the grading machine's folders in every output as
``<course>``, ``<data>``, ``<python>`` and ``~`` (:func:`scrub_paths`). The
gradebook and the formgrader keep the full notebook for instructors.
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path

from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

HIDDEN_NOTE = "# (hidden tests run here; their code is not shown)"


def machine_folders() -> list[tuple[str, str]]:
    """The grading machine's folders that may appear in outputs, and the word each becomes; longest first."""
    from helpers.data import cache_root, data_root

    folders = {str(Path.cwd().resolve()): "<course>", str(Path(__file__).resolve().parents[1]): "<course>",
               sys.prefix: "<python>", sys.base_prefix: "<python>", str(Path.home()): "~"}
    for root in (data_root(), cache_root(), os.environ.get("COURSE_REAL_DATA_DIR")):
        if root:
            folders[str(Path(root).resolve())] = "<data>"
    return sorted(((f, word) for f, word in folders.items() if len(f) > 1), key=lambda item: -len(item[0]))


def scrub_paths(text: str, folders: list[tuple[str, str]]) -> str:
    """``text`` with each of ``folders`` (from :func:`machine_folders`) written as its word."""
    for folder, word in folders:
        text = text.replace(folder, word)
    return text


def _scrub_output(output: NotebookNode, folders: list[tuple[str, str]]) -> NotebookNode:
    if "text" in output:
        output.text = scrub_paths(output.text, folders)
    if output.output_type == "error":
        output.evalue = scrub_paths(output.evalue, folders)
        output.traceback = [scrub_paths(line, folders) for line in output.traceback]
    for kind in ("text/plain", "text/html", "text/markdown"):
        if kind in output.get("data", {}):
            output.data[kind] = scrub_paths(output.data[kind], folders)
    return output


def short_error(output: NotebookNode) -> NotebookNode:
    """An error output reduced to ``ename: evalue``, without the traceback's frames (which quote test code)."""
    output.traceback = [f"{output.ename}: {output.evalue}"]
    return output


class HideHiddenTests(ClearHiddenTests):
    """Feedback preprocessor: hidden-test regions removed, test-cell errors reduced to their message."""

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict,
                        cell_index: int) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type != "code":
            return cell, resources
        had_hidden = self.begin_test_delimeter in cell.source
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden:
            cell.source = cell.source.rstrip("\n") + "\n" + HIDDEN_NOTE
        if utils.is_grade(cell) and not utils.is_solution(cell):
            cell.outputs = [short_error(o) if o.output_type == "error" else o for o in cell.get("outputs", [])]
        folders = machine_folders()
        cell.outputs = [_scrub_output(o, folders) for o in cell.get("outputs", [])]
        return cell, resources


def feedback_text(path: Path) -> str:
    """The text a student reads in a feedback HTML file: tags and highlighting spans removed, entities decoded."""
    page = Path(path).read_text(encoding="utf-8")
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def leaked_lines(text: str, hidden: set[str]) -> list[str]:
    """The hidden-test lines that stand as a line of ``text`` (whitespace around them ignored)."""
    return sorted(hidden & {line.strip() for line in text.split("\n")})


def main(argv: list[str] | None = None) -> int:
    """``python -m instructor.feedback ASSIGNMENT``: feedback, once every written answer has its TA's grade."""
    import argparse

    from instructor.course import Course

    parser = argparse.ArgumentParser(prog="python -m instructor.feedback", description=main.__doc__)
    parser.add_argument("assignment")
    parser.add_argument("--student", action="append", help="only this student (repeat for more)")
    parser.add_argument("--force", action="store_true", help="write feedback even where written answers wait for "
                        "a grade (they show as 0 points)")
    parser.add_argument("--course", type=Path, default=Path.cwd(), help="the course root (default: here)")
    args = parser.parse_args(argv)
    course = Course(args.course)
    waiting = course.ungraded_written(args.assignment, args.student)
    if waiting and not args.force:
        for student, cells in sorted(waiting.items()):
            print(f"{student}: written answers not graded yet: {', '.join(cells)}", file=sys.stderr)
        print(f"no feedback written: grade them in the formgrader (Manual Grading), or add --force "
              f"({len(waiting)} student(s) would read 0 points for them)", file=sys.stderr)
        return 1
    for student in args.student or [None]:
        course.generate_feedback(args.assignment, student)
    print(f"feedback written: feedback/<student>/{args.assignment}/{args.assignment}.html")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
