"""How ``nbgrader autograde`` executes a submission here: bounded in time, checked for tampering.

:class:`BoundedExecute` takes the place of nbgrader's ``Execute`` step (``nbgrader_config.py``), so a plain
``nbgrader autograde`` has it as well as ``python -m instructor.grade``:

- each cell's timeout comes from what the reference needs for it (:mod:`instructor.timeouts`), and the whole
  submission has a time budget: once it is spent, the remaining cells are not run (they score zero);
- before the first cell, the grader's references are taken (:func:`instructor.grading.integrity.snapshot`), and
  after each test cell they are checked: a cell after which something was tampered with scores zero;
- a kernel that dies (the submission ended its own process) costs the cells after it, not the run.

Each case leaves an error in the cell that names it (``CellTimeoutError``, ``TimeBudgetExceeded``,
``KernelDied``, ``TamperingDetected``, or the student's ``MemoryError``); :mod:`instructor.grade` turns them into
flags for the instructor.
"""

from __future__ import annotations

import time

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute

from instructor import notebooks as nbs
from instructor import timeouts

FLAGS = {"CellTimeoutError": "timeout", "TimeBudgetExceeded": "time budget", "KernelDied": "crash",
         "TamperingDetected": "tampering", "MemoryError": "memory"}
_INTERNAL = "course-internal"


def _error(name: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


class BoundedExecute(Execute):
    """nbgrader's ``Execute`` with per-cell limits from the reference, a time budget and tamper checks."""

    def preprocess(self, nb: NotebookNode, resources=None, km=None):
        self._assignment = ((resources or {}).get("nbgrader") or {}).get("assignment", "")
        self._deadline = time.monotonic() + timeouts.budget(self._assignment)
        self._prepared = False
        self._dead = False
        return super().preprocess(nb, resources, km)

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        if cell is None:
            return super()._get_timeout(cell)
        if cell.get("metadata", {}).get(_INTERNAL):
            return 60
        from instructor.inprocess import cell_key

        limit = timeouts.cell_limit(self._assignment, cell_key(cell))
        return int(max(1.0, min(limit, self._deadline - time.monotonic())))

    async def _run_internal(self, code: str, cell_index: int) -> str:
        """Run grader code in the kernel without adding a cell; the message of its error, or ''."""
        cell = NotebookNode(cell_type="code", source=code, metadata={_INTERNAL: True}, outputs=[], id="internal")
        notebook_cell = self.nb.cells[cell_index]
        try:
            await super().async_execute_cell(cell, cell_index, store_history=False)
        finally:  # nbclient writes the cell it executed back into the notebook at cell_index
            self.nb.cells[cell_index] = notebook_cell
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        return f"{errors[0].ename}: {errors[0].evalue}" if errors else ""

    async def async_execute_cell(self, cell: NotebookNode, cell_index: int, execution_count: int | None = None,
                                 store_history: bool = True) -> NotebookNode:
        if cell.cell_type != "code" or not cell.source.strip():
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if self._dead:
            cell.outputs = [_error("KernelDied", "not run: the kernel died in an earlier cell "
                                                 "(the code ended its own Python process)")]
            return cell
        if time.monotonic() >= self._deadline:
            cell.outputs = [_error("TimeBudgetExceeded", "not run: the submission used up its time budget of "
                                                         f"{timeouts.budget(self._assignment):.0f} s")]
            return cell
        try:
            if not self._prepared:
                self._prepared = True
                await self._run_internal("import instructor.grading.integrity as _course_integrity\n"
                                         f"_course_integrity.snapshot({self._assignment!r})\n"
                                         "del _course_integrity", cell_index)
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
            if nbs.is_test(cell):
                problem = await self._run_internal(
                    "__import__('instructor.grading.integrity', fromlist=['verify']).verify()", cell_index)
                if problem:
                    cell.outputs = [_error("TamperingDetected", problem.split(": ", 1)[-1])]
        except DeadKernelError:
            self._dead = True
            cell.outputs.append(_error("KernelDied", "the kernel died while running this cell "
                                                     "(the code ended its own Python process)"))
        except CellTimeoutError:  # interrupted, and still running: the code catches KeyboardInterrupt
            self._dead = True
            cell.outputs.append(_error("CellTimeoutError", "this cell ran past its time limit and could not be "
                                                           "stopped; the cells after it were not run"))
        return cell

    execute_cell = run_sync(async_execute_cell)  # nbclient binds the synchronous form to its own method
