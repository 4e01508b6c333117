"""Small display objects that look right in JupyterLab, in the feedback HTML and in the PDF report."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Table:
    """A table of numbers shown as Markdown (rendered by JupyterLab and by the LaTeX report).

    Args:
        columns: column title -> values; every column has the same length.
        digits: significant digits for floats.
    """

    def __init__(self, columns: dict[str, Sequence[object]], digits: int = 6) -> None:
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"all columns need the same length, got lengths {sorted(lengths)}")
        self.columns = {k: list(v) for k, v in columns.items()}
        self.digits = digits

    def _cell(self, value: object) -> str:
        if isinstance(value, (float, np.floating)):
            return f"{float(value):.{self.digits}g}"
        return str(value)

    def rows(self) -> list[list[str]]:
        return [list(map(self._cell, row)) for row in zip(*self.columns.values())]

    def _repr_markdown_(self) -> str:
        head = "| " + " | ".join(self.columns) + " |"
        rule = "|" + "|".join("---:" for _ in self.columns) + "|"
        body = ["| " + " | ".join(row) + " |" for row in self.rows()]
        return "\n".join([head, rule, *body])

    def __repr__(self) -> str:
        rows = [list(self.columns), *self.rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows)
