"""Reading, editing and filling in nbgrader notebooks (with nbformat).

Terms: a *solution cell* carries ``nbgrader.solution = true``; its *solution
region* is the text between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (or
the whole cell when it has no such markers, as for written answers). A *test
cell* carries ``nbgrader.grade = true`` and no solution.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import nbformat
from nbformat import NotebookNode

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def read(path: Path | str) -> NotebookNode:
    return nbformat.read(str(path), as_version=4)


def write(nb: NotebookNode, path: Path | str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell: NotebookNode) -> str | None:
    return meta(cell).get("grade_id")


def is_solution(cell: NotebookNode) -> bool:
    return bool(meta(cell).get("solution"))


def is_test(cell: NotebookNode) -> bool:
    """An autograded test cell: graded code that the student does not write."""
    m = meta(cell)
    return bool(m.get("grade")) and not m.get("solution") and cell.cell_type == "code"


def cells_by_id(nb: NotebookNode) -> dict[str, NotebookNode]:
    return {gid: cell for cell in nb.cells if (gid := grade_id(cell))}


def test_points(nb: NotebookNode) -> dict[str, float]:
    """Points of every autograded test cell, by grade_id."""
    return {grade_id(c): float(meta(c)["points"]) for c in nb.cells if is_test(c)}


def _region(lines: list[str]) -> tuple[int, int] | None:
    starts = [i for i, line in enumerate(lines) if BEGIN in line]
    if not starts:
        return None
    ends = [i for i, line in enumerate(lines) if END in line and i > starts[0]]
    if len(starts) != 1 or not ends:
        raise ValueError("a solution cell must hold exactly one BEGIN/END SOLUTION region")
    return starts[0], ends[0]


def solution_text(source: str) -> str:
    """The reference solution of a cell as a student would have typed it: the markers removed."""
    return "\n".join(line for line in source.split("\n") if BEGIN not in line and END not in line)


def replace_region(source: str, body: str) -> str:
    """Put ``body`` in place of the solution region (markers included), indented like the markers.

    A cell without markers is replaced whole.
    """
    lines = source.split("\n")
    region = _region(lines)
    if region is None:
        return body
    start, end = region
    indent = re.match(r"\s*", lines[start]).group(0)
    new = textwrap.indent(textwrap.dedent(body).strip("\n"), indent, lambda _: True).split("\n")
    return "\n".join(lines[:start] + new + lines[end + 1 :])


def region_text(source: str) -> str:
    """The text inside the solution region (dedented), or the whole cell when there are no markers."""
    lines = source.split("\n")
    region = _region(lines)
    if region is None:
        return source
    start, end = region
    return textwrap.dedent("\n".join(lines[start + 1 : end]))


def fill_in(release: NotebookNode, source: NotebookNode, answers: dict[str, str] | None = None) -> NotebookNode:
    """What a student hands in: the release, each solution cell replaced by an answer.

    ``answers`` maps a grade_id to the full source the student wrote in that cell;
    every other solution cell gets the reference solution from ``source``.
    """
    answers = answers or {}
    reference = cells_by_id(source)
    filled = nbformat.from_dict(release)
    for cell in filled.cells:
        gid = grade_id(cell)
        if not is_solution(cell):
            continue
        if gid in answers:
            cell.source = answers[gid]
        else:
            cell.source = solution_text(reference[gid].source)
    unknown = set(answers) - {grade_id(c) for c in filled.cells if is_solution(c)}
    if unknown:
        raise KeyError(f"no solution cell with grade_id {sorted(unknown)} in the notebook")
    return filled


def hidden_test_lines(nb: NotebookNode, min_length: int = 24) -> set[str]:
    """The distinctive lines of the hidden tests: stripped, at least ``min_length`` characters long, and found
    nowhere outside the hidden-test regions (a line that a solution or a public check also has is no secret)."""
    hidden, visible = set(), set()
    for cell in nb.cells:
        parts = cell.source.split(BEGIN_HIDDEN) if is_test(cell) else [cell.source]
        outside = [parts[0]]
        for part in parts[1:]:
            inside, _, after = part.partition(END_HIDDEN)
            hidden |= {line.strip() for line in inside.split("\n")}
            outside.append(after)
        visible |= {line.strip() for text in outside for line in text.split("\n")}
    return {line for line in hidden - visible if len(line) >= min_length}
