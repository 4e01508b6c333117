"""Turn filled-in notebooks into one PDF report (nbconvert's LaTeX export, xelatex).

Command line (installed as ``course-report``)::

    course-report 01_gelu_gradient_descent.ipynb --name "Ada Lovelace"
    course-report nb1.ipynb nb2.ipynb --name "Ada Lovelace" --output my_report.pdf --execute

The first page carries the course's name, the notebooks' titles and the
student's name. The notebooks themselves are only read, never changed:
``--execute`` runs an in-memory copy (in the notebook's folder) to refresh its
outputs first. Needs ``xelatex`` and ``pandoc`` (``make system-deps``).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import re
import shutil
import sys
from pathlib import Path

COURSE_NAME = "Deep Learning: from gradients to attention"
_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                   "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


class ReportError(RuntimeError):
    """The report could not be made; the message says why and what to do."""


def _escape(text: str) -> str:
    return re.sub(r"[\\&%$#_{}~^]", lambda m: _LATEX_SPECIALS[m.group(0)], text)


def _title_of(nb, path: Path) -> str:
    return nb.metadata.get("title") or path.stem.replace("_", " ")


def _execute(nb, folder: Path, timeout: int):
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    saved = os.environ.pop("MPLBACKEND", None)  # it would override the kernel's inline backend: no figures
    try:
        client.execute()
    finally:
        if saved is not None:
            os.environ["MPLBACKEND"] = saved
    return nb


def combine(paths: list[Path], name: str, course: str = COURSE_NAME, execute: bool = False,
            timeout: int = 600):
    """One notebook holding all of ``paths`` in order, titled for the report (the files are not modified)."""
    import nbformat

    if not name.strip():
        raise ReportError("give your name with --name, it goes on the first page")
    parts = []
    for path in paths:
        if not path.exists():
            raise ReportError(f"{path} does not exist")
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception as error:  # not JSON, not a notebook
            raise ReportError(f"{path} is not a readable notebook: {error}") from error
        nb = copy.deepcopy(nb)
        if execute:
            nb = _execute(nb, path.resolve().parent, timeout)
        parts.append((path, nb))
    report = copy.deepcopy(parts[0][1])
    titles = [_title_of(nb, path) for path, nb in parts]
    if len(parts) > 1:
        report.cells = []
        for (_, nb), title in zip(parts, titles):
            report.cells.append(nbformat.v4.new_markdown_cell(f"# {title}"))
            report.cells.extend(nb.cells)
    report.metadata["title"] = f"{course}: " + "; ".join(titles)
    report.metadata["authors"] = [{"name": _escape(name.strip())}]
    report.metadata["date"] = dt.date.today().isoformat()
    return report


def export_pdf(paths: list[Path], name: str, output: Path, course: str = COURSE_NAME,
               execute: bool = False) -> Path:
    """Write the PDF report of ``paths`` to ``output`` and return its path."""
    missing = [tool for tool in ("xelatex", "pandoc") if shutil.which(tool) is None]
    if missing:
        raise ReportError(f"{' and '.join(missing)} not found: install them (`make system-deps`, or Debian's "
                          "texlive-xetex texlive-fonts-recommended texlive-plain-generic pandoc)")
    from nbconvert import PDFExporter

    notebook = combine(paths, name, course, execute)
    try:
        body, _ = PDFExporter().from_notebook_node(notebook, resources={"metadata": {"path": str(paths[0].parent)}})
    except Exception as error:
        raise ReportError(f"LaTeX could not build the report: {str(error)[-1500:]}") from error
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(body)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course-report", description="Make a PDF report from notebooks.")
    parser.add_argument("notebooks", nargs="+", type=Path, help="the filled-in notebook(s), in report order")
    parser.add_argument("--name", required=True, help="your name, printed on the first page")
    parser.add_argument("--course", default=COURSE_NAME, help="the course's name (default: %(default)s)")
    parser.add_argument("--output", "-o", type=Path, help="the PDF to write (default: beside the first notebook)")
    parser.add_argument("--execute", action="store_true", help="run (a copy of) each notebook first")
    args = parser.parse_args(argv)
    output = args.output or args.notebooks[0].with_name(args.notebooks[0].stem + "_report.pdf")
    try:
        path = export_pdf(args.notebooks, args.name, output, args.course, args.execute)
    except ReportError as error:
        print(f"course-report: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
