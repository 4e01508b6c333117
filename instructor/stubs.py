"""A ClearSolutions preprocessor whose code stub names the task it stands for.

nbgrader replaces every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region by
one fixed stub. Ours raises ``NotImplementedError`` with the ``grade_id`` of the
cell, so a student who runs a check before finishing a task reads which task is
still open, and a TA reading an autograded notebook sees the same.
"""

from __future__ import annotations

from typing import Any

from nbgrader.preprocessors import ClearSolutions

STUB = (
    "# YOUR CODE HERE\n"
    "raise NotImplementedError(\"Task '{task}' is not done yet: replace this line with your code.\")"
)


def stub_for(task: str) -> str:
    """The code that stands in the release where the solution of ``task`` was."""
    return STUB.format(task=task)


class NamedClearSolutions(ClearSolutions):
    """ClearSolutions whose Python stub names the cell's ``grade_id``."""

    def preprocess_cell(self, cell: Any, resources: Any, cell_index: int) -> tuple[Any, Any]:
        task = cell.metadata.get("nbgrader", {}).get("grade_id", "this task")
        self.code_stub = {**self.code_stub, "python": stub_for(task)}
        return super().preprocess_cell(cell, resources, cell_index)
