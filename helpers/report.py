"""Turn filled-in notebooks into one PDF report (nbconvert's LaTeX export, xelatex).

From the notebook's last cell (see :func:`make_report`)::

    from helpers.report import make_report
    make_report("Ada Lovelace")

From any terminal, with the course's Python (``python -m`` works where ``course-report`` is not on the PATH)::

    .venv/bin/python -m helpers.report 01_gelu_gradient_descent.ipynb --name "Ada Lovelace"
    course-report nb1.ipynb nb2.ipynb --name "Ada Lovelace" --output my_report.pdf --execute

The first page carries the course's name, the notebooks' titles and the
student's name. The notebooks themselves are only read, never changed:
``--execute`` runs an in-memory copy (in the notebook's folder) to refresh its
outputs first. The paper is A4 (``--paper letter`` or ``COURSE_PAPER=letter`` for US Letter).
Needs ``xelatex`` and ``pandoc`` (``make system-deps``).
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

from helpers.settings import COURSE_NAME  # set in helpers/settings.py; re-exported here

ENV_PAPER = "COURSE_PAPER"
PAPERS = {"a4": "a4paper", "letter": "letterpaper"}
SHOWN_PROBLEMS = 12  # lines of problems make_report prints at most
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


def paper_size(paper: str | None = None) -> str:
    """The LaTeX paper option for ``paper`` (default: ``$COURSE_PAPER``, else A4)."""
    chosen = (paper or os.environ.get(ENV_PAPER) or "a4").strip().lower()
    if chosen not in PAPERS:
        raise ReportError(f"unknown paper size {chosen!r}: choose one of {', '.join(PAPERS)}")
    return PAPERS[chosen]


def _exporter():
    """nbconvert's PDF exporter with the course's template (the LaTeX article on the paper the report asks for)."""
    from nbconvert import PDFExporter

    return PDFExporter(extra_template_basedirs=[str(Path(__file__).with_name("report_template"))],
                       template_name="course_report")


def missing_tools() -> str | None:
    """What is missing to make a PDF (xelatex, pandoc) and how to install it, in one line; None when nothing is."""
    missing = [tool for tool in ("xelatex", "pandoc") if shutil.which(tool) is None]
    if not missing:
        return None
    return (f"{' and '.join(missing)} not found: install them (`make system-deps`, or Debian's "
            "texlive-xetex texlive-fonts-recommended texlive-plain-generic pandoc)")


def export_pdf(paths: list[Path], name: str, output: Path, course: str = COURSE_NAME,
               execute: bool = False, paper: str | None = None) -> Path:
    """Write the PDF report of ``paths`` to ``output`` and return its path."""
    missing = missing_tools()
    if missing:
        raise ReportError(missing)
    notebook = combine(paths, name, course, execute)
    notebook.metadata["paper"] = paper_size(paper)
    try:
        body, _ = _exporter().from_notebook_node(notebook, resources={"metadata": {"path": str(paths[0].parent)}})
    except Exception as error:
        raise ReportError(f"LaTeX could not build the report: {str(error)[-1500:]}") from error
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(body)
    return output


def _cell_name(cell, index: int) -> str:
    task = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")[:40]
    return f"cell {index + 1} ({task})" if task else f"cell {index + 1} (`{first}`)"


def problems(nb, before: int | None = None) -> list[str]:
    """What keeps ``nb`` from being a notebook run top to bottom with every check passing, one line per problem.

    Looks at the code cells before index ``before`` (default: all): each must have run, in order, without an
    error (a failed check, a task not done yet).
    """
    found, last = [], 0
    for index, cell in enumerate(nb.cells[:before]):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        count = cell.get("execution_count")
        if count is None:
            found.append(f"{_cell_name(cell, index)} has not been run")
            continue
        if count <= last:
            found.append(f"{_cell_name(cell, index)} ran before the cell above it (run the notebook top to bottom)")
        last = max(last, count)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"{_cell_name(cell, index)} ends in an error: {output.get('ename')}: "
                             f"{str(output.get('evalue', '')).splitlines()[0][:120] if output.get('evalue') else ''}")
                break
    return found


def _problems_of(path: Path) -> list[str]:
    import nbformat

    try:
        return problems(nbformat.read(str(path), as_version=4))
    except Exception:  # noqa: BLE001 - an unreadable notebook gets its message from combine()
        return []


_SAVE = ("(function () { const app = window.jupyterapp;"
         " if (app && app.commands.hasCommand('docmanager:save')) { app.commands.execute('docmanager:save'); } })();")


def _save_from_the_kernel(path: Path, wait: float) -> bool:
    """Ask JupyterLab to save the notebook (``docmanager:save``), and wait until the file on disk changes."""
    import time

    from IPython.display import Javascript, display

    before = path.stat().st_mtime_ns if path.exists() else 0
    display(Javascript(_SAVE))
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if path.exists() and path.stat().st_mtime_ns != before:
            time.sleep(0.3)  # let the writer finish
            return True
    return False


def _this_notebook() -> Path | None:
    """The notebook this kernel runs: Jupyter Server names it in ``JPY_SESSION_NAME``; else the one here."""
    session = os.environ.get("JPY_SESSION_NAME")
    if session and (Path.cwd() / Path(session).name).is_file():
        return Path.cwd() / Path(session).name
    here = sorted(Path.cwd().glob("[0-9][0-9]_*.ipynb"))
    return here[0] if len(here) == 1 else None


def _cells_this_kernel_ran() -> int | None:
    """The execution count of the cell run before this one, or None outside a kernel."""
    try:
        from IPython import get_ipython

        return len(get_ipython().user_ns["In"]) - 2  # In[0] is empty, In[-1] is the running cell
    except (AttributeError, ImportError, KeyError):
        return None


def _current_cell_index(nb) -> int | None:
    """Where the running cell stands in the saved notebook (found by its source), or None."""
    try:
        from IPython import get_ipython

        source = get_ipython().user_ns["In"][-1].strip()
    except (AttributeError, KeyError, IndexError, ImportError):
        return None
    return next((i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.source.strip() == source),
                None)


def make_report(name: str, notebook: str | Path | None = None, *, force: bool = False, paper: str | None = None,
                course: str = COURSE_NAME, save_wait: float = 10.0) -> Path | None:
    """Save this notebook, check it, and write its PDF report next to it; call it from the notebook's last cell.

    Saves the notebook (JupyterLab's *Save*, when the browser lets the kernel ask for it), then checks the saved
    file: every code cell above this one has run, top to bottom, and none ends in an error (a failed public check,
    a task not done yet). Each problem is printed on one line and no report is written, unless ``force=True``.
    ``notebook`` is found by itself in JupyterLab; ``paper`` is ``"a4"`` (default) or ``"letter"``. Does nothing
    under the autograder. Returns the PDF's path, or None when none was written.
    """
    import nbformat

    from helpers.runtime import in_autograde

    if in_autograde():
        print("[skipped] no report is made while the autograder runs the notebook")
        return None
    if not name.strip() or name.strip().lower() == "your name":
        print('[report] put your name in the call: make_report("Ada Lovelace")')
        return None
    path = Path(notebook) if notebook else _this_notebook()
    if path is None or not path.is_file():
        print("[report] could not tell which notebook this is: make_report(name, notebook=\"<file>.ipynb\")")
        return None
    _save_from_the_kernel(path, save_wait)
    nb = nbformat.read(str(path), as_version=4)
    here = _current_cell_index(nb)
    found = problems(nb, here)
    ran = _cells_this_kernel_ran()
    counts = [c.get("execution_count") or 0 for c in nb.cells[:here] if c.cell_type == "code"]
    if ran is not None and max(counts, default=0) != ran:
        found.insert(0, f"{path.name} on disk is not what this kernel ran: save it (Ctrl+S), then run this cell "
                        "again (the report is made from the saved file)")
    if found and not force:
        print(f"[report] not written; {len(found)} thing(s) to fix first (or make_report(..., force=True)):")
        shown = found if len(found) <= SHOWN_PROBLEMS else [*found[:SHOWN_PROBLEMS - 1],
                                                             f"... and {len(found) - SHOWN_PROBLEMS + 1} more"]
        print("\n".join(f"  - {line}" for line in shown))
        return None
    output = path.with_name(path.stem + "_report.pdf")
    try:
        export_pdf([path], name, output, course, paper=paper)
    except ReportError as error:
        print(f"[report] not written: {error}")
        return None
    print(f"[ok] wrote {output.name} next to the notebook" + (f" ({len(found)} problem(s) left)" if found else ""))
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course-report", description="Make a PDF report from notebooks.",
                                     epilog="Also: python -m helpers.report, with the course's Python.")
    parser.add_argument("notebooks", nargs="+", type=Path, help="the filled-in notebook(s), in report order")
    parser.add_argument("--name", required=True, help="your name, printed on the first page")
    parser.add_argument("--course", default=COURSE_NAME, help="the course's name (default: %(default)s)")
    parser.add_argument("--output", "-o", type=Path, help="the PDF to write (default: beside the first notebook)")
    parser.add_argument("--execute", action="store_true", help="run (a copy of) each notebook first")
    parser.add_argument("--paper", choices=sorted(PAPERS), help=f"paper size (default: ${ENV_PAPER}, else a4)")
    parser.add_argument("--force", action="store_true", help="write the report even if a notebook has cells not "
                        "run, run out of order, or ending in an error")
    args = parser.parse_args(argv)
    if not args.name.strip():
        print("course-report: give your name with --name, it goes on the first page", file=sys.stderr)
        return 1
    output = args.output or args.notebooks[0].with_name(args.notebooks[0].stem + "_report.pdf")
    if not args.execute:
        found = [f"{path.name}: {line}" for path in args.notebooks if path.is_file() for line in _problems_of(path)]
        if found:
            print("\n".join(found), file=sys.stderr)
            if not args.force:
                print(f"course-report: not written ({len(found)} problem(s) above): run each notebook top to bottom "
                      "and save it, or add --execute (runs a copy) or --force", file=sys.stderr)
                return 1
    try:
        path = export_pdf(args.notebooks, args.name, output, args.course, args.execute, args.paper)
    except ReportError as error:
        print(f"course-report: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
