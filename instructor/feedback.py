"""What students see in their feedback: scores and messages, never the hidden tests.

``nbgrader generate_feedback`` renders the autograded notebook, hidden tests
included, and a failing test cell's traceback quotes the lines around the failure.
:class:`HideHiddenTests` (set in ``nbgrader_config.py`` for ``GenerateFeedback``)
removes every hidden-test region from the cells and shortens the error of a test
cell to its last line (``CheckFailed: ... expected ...``), the sentence written for
the student. The gradebook and the formgrader keep the full notebook for
instructors.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

HIDDEN_NOTE = "# (hidden tests run here; their code is not shown)"


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
        return cell, resources


def feedback_text(path: Path) -> str:
    """The text a student reads in a feedback HTML file: tags and highlighting spans removed, entities decoded."""
    page = Path(path).read_text(encoding="utf-8")
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def leaked_lines(text: str, hidden: set[str]) -> list[str]:
    """The hidden-test lines that stand as a line of ``text`` (whitespace around them ignored)."""
    return sorted(hidden & {line.strip() for line in text.split("\n")})
