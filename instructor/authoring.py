"""Cell constructors with nbgrader metadata, for writing source notebooks from Python.

A source notebook is the single source of truth and is edited as a notebook;
these functions only make the first draft (or a new cell) with metadata that
nbgrader accepts: solution cells, locked test cells, written-answer cells.
"""

from __future__ import annotations

import textwrap

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SCHEMA = 3


def _clean(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def md(text: str) -> NotebookNode:
    """Instructions (plain Markdown, not graded)."""
    return new_markdown_cell(_clean(text))


def code(text: str) -> NotebookNode:
    """Ordinary code the student runs (not graded)."""
    return new_code_cell(_clean(text))


def solution(grade_id: str, text: str) -> NotebookNode:
    """Code the student writes: the ``### BEGIN/END SOLUTION`` region becomes the stub in the release."""
    return new_code_cell(_clean(text), metadata=_nbgrader(grade_id, grade=False, solution=True, locked=False))


def tests(grade_id: str, points: float, text: str) -> NotebookNode:
    """A locked, autograded test cell: public checks, then ``### BEGIN/END HIDDEN TESTS``."""
    return new_code_cell(_clean(text), metadata=_nbgrader(grade_id, grade=True, solution=False, locked=True,
                                                           points=points))


def written(grade_id: str, points: float, model_answer: str) -> NotebookNode:
    """A manually graded Markdown answer; ``model_answer`` is kept in the source only."""
    return new_markdown_cell(_clean(model_answer), metadata=_nbgrader(grade_id, grade=True, solution=True,
                                                                       locked=False, points=points))


def notebook(cells: list[NotebookNode], title: str) -> NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata.update({
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "title": title,
    })
    nbformat.validate(nb)
    return nb
