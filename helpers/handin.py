"""Build the hand-in packages from your notebooks and the files they saved: ``course-handin``.

Run it after *Kernel -> Restart and Run All* (and saving) of each notebook, from the folder that holds the
assignment folders (``<assignment>/<assignment>.ipynb``, as you received them), or point ``--root`` at it::

    course-handin seed000 --name "Ada Lovelace"      # mandatory_assignment_Ada_Lovelace.zip: doc/ and src/
    course-handin seed001 --andrew-id aloveloc        # aloveloc-HW1.zip: aloveloc-HW1/p1/... and p2/...
    course-handin nbgrader --student aloveloc         # aloveloc/<assignment>/ as nbgrader collects it
    course-handin nbgrader --student aloveloc --assignment 05_numpy_networks --exchange   # and nbgrader submit

``python -m helpers.handin`` does the same where ``course-handin`` is not on the PATH. Everything is checked
first (each notebook ran top to bottom without an error, every file it should have saved is there, the PDF
tools, the names, the output); each problem is printed on one line and nothing is written. Otherwise the
package is built in a temporary folder and moved into place at the end. Your files are only read.
The layouts, the course's name and the files each notebook saves are set in :mod:`helpers.settings`.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import re
import shutil
import string
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

from helpers import report, settings
from helpers.settings import NOTEBOOK, REPORT, SAVED, SCRIPT, TIMESTAMP, Entry, Package

ANDREW_ID = re.compile(r"[a-z0-9]+")
STUDENT_ID = re.compile(r"[A-Za-z0-9][\w.@-]*")  # nbgrader refuses '*' and '+'; no '/' in a folder name
ASSIGNMENT = re.compile(r"\d\d_\w+")
_MESSAGES = {
    "name": "give your name with --name (it names the package and goes on the report's first page)",
    "andrew_id": "give your Andrew ID with --andrew-id (lower-case letters and digits, e.g. aloveloc)",
    "student": "give your student id with --student (the id the course knows you by in nbgrader)",
}


class HandinError(RuntimeError):
    """The package was not built; ``problems`` holds one line per thing to fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def safe_name(name: str) -> str:
    """``name`` as part of a file name: runs of anything but letters (any script), digits, _ and - become _."""
    return re.sub(r"[^\w-]+", "_", name).strip("_")


def package(layout: str | Package) -> Package:
    """The package called ``layout`` in :data:`helpers.settings.PACKAGES` (or ``layout`` itself)."""
    if isinstance(layout, Package):
        return layout
    try:
        return settings.PACKAGES[layout]
    except KeyError:
        raise HandinError([f"unknown package {layout!r}: choose one of {', '.join(settings.PACKAGES)}"]) from None


def notebook_path(root: Path, assignment: str) -> Path:
    return Path(root) / assignment / f"{assignment}.ipynb"


def found_assignments(root: Path) -> list[str]:
    """Every ``<assignment>/<assignment>.ipynb`` under ``root``, in course order."""
    root = Path(root)
    return sorted(p.name for p in root.iterdir() if ASSIGNMENT.fullmatch(p.name) and notebook_path(root, p.name)
                  .is_file()) if root.is_dir() else []


def checked_cells_end(nb) -> int | None:
    """Index of the first trailing report/hand-in cell (which may be left unrun), or None when there is none."""
    end = None
    for index in range(len(nb.cells) - 1, -1, -1):
        cell = nb.cells[index]
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if not any(marker in cell.source for marker in settings.TRAILING_CELL_MARKERS):
            break
        end = index
    return end


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def _entries(pack: Package, assignments: list[str]) -> list[Entry]:
    """The package's entries with each ``per_assignment`` one repeated for every assignment (filled in)."""
    entries = [entry if entry.assignments or entry.kind != REPORT else replace(entry, assignments=tuple(assignments))
               for entry in pack.entries]
    for assignment in assignments:
        entries += [replace(entry, path=entry.path.replace("{assignment}", assignment), assignments=(assignment,))
                    for entry in pack.per_assignment]
    return entries


def _saved_files(entry: Entry) -> list[tuple[str, str]]:
    """(assignment, file name) of each saved file ``entry`` takes."""
    (assignment,) = entry.assignments
    if entry.source is not None:
        return [(assignment, entry.source)]
    return [(assignment, saved.name) for saved in settings.SAVED_FILES.get(assignment, ())]


def _saved_by(assignment: str, name: str) -> str:
    return next((saved.saved_by for saved in settings.SAVED_FILES.get(assignment, ()) if saved.name == name),
                "the cell that saves it")


def _notebook_problems(path: Path, assignment: str) -> list[str]:
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as error:  # noqa: BLE001 - not JSON, not a notebook
        return [f"{assignment}: {path.name} is not a readable notebook ({str(error).splitlines()[0][:120]})"]
    found = report.problems(nb, checked_cells_end(nb))
    if len(found) > report.SHOWN_PROBLEMS:
        found = [*found[:report.SHOWN_PROBLEMS - 1], f"... and {len(found) - report.SHOWN_PROBLEMS + 1} more "
                 "(Kernel -> Restart and Run All, then save)"]
    return [f"{assignment}: {line}" for line in found]


def _output_items(pack: Package, values: dict[str, str], entries: list[Entry]) -> list[str]:
    """What is placed in the output folder: the zip, or each top-level item of the folder package."""
    top = pack.output.format(**values)
    if top.endswith(".zip"):
        return [top]
    return sorted({f"{top}/{entry.path.format(**values).split('/')[0]}" for entry in entries})


def check(layout: str | Package, root: Path, output: Path, name: str | None = None, andrew_id: str | None = None,
          student: str | None = None, overwrite: bool = False, assignments: list[str] | None = None,
          ) -> tuple[list[str], list[Entry], dict[str, str]]:
    """Everything that keeps the package from being built, one line each (empty: ready), with its entries and
    the values of its placeholders."""
    pack, root, output = package(layout), Path(root), Path(output)
    problems: list[str] = []
    chosen = list(assignments or pack.assignments or found_assignments(root))
    if not chosen:
        problems.append(f"no notebooks found under {root} (<assignment>/<assignment>.ipynb): give --root, "
                        "the folder that holds the assignment folders")
    entries = _entries(pack, chosen)
    given = {"name": safe_name(name or "") if re.search(r"[^\W_]", name or "") else "",  # needs a letter or digit
             "andrew_id": (andrew_id or "").strip(), "student": (student or "").strip()}
    needed = _fields(pack.output).union(*(_fields(entry.path) for entry in entries))
    if any(entry.kind == REPORT for entry in entries) and not (name or "").strip():
        needed.add("andrew_id" if "andrew_id" in needed else "name")  # the report's first page names someone
    for field in sorted(needed & set(_MESSAGES)):
        value = given[field]
        if not value:
            problems.append(_MESSAGES[field])
        elif field == "andrew_id" and not ANDREW_ID.fullmatch(value):
            problems.append(f"Andrew ID {value!r} is not lower-case letters and digits only: {_MESSAGES[field]}")
        elif field == "student" and (not STUDENT_ID.fullmatch(value) or "+" in value):
            problems.append(f"student id {value!r} may hold only letters, digits, _ . @ - (no spaces, / or +)")
    for assignment in chosen:
        path = notebook_path(root, assignment)
        if path.is_file():
            problems += _notebook_problems(path, assignment)
        else:
            problems.append(f"{assignment}: notebook {path} is missing")
    seen = set()
    for entry in entries:
        if entry.kind != SAVED:
            continue
        for assignment, file_name in _saved_files(entry):
            if (assignment, file_name) in seen or not notebook_path(root, assignment).is_file():
                continue
            seen.add((assignment, file_name))
            if not (root / assignment / file_name).is_file():
                problems.append(f"{assignment}: {file_name} is missing next to the notebook: run "
                                f"{_saved_by(assignment, file_name)}; it saves the file")
    if any(entry.kind == REPORT for entry in entries):
        missing = report.missing_tools()
        if missing:
            problems.append(f"the PDF report cannot be made: {missing}")
    if all(given[field] for field in needed & set(_MESSAGES)):  # the output's name is known
        for item in _output_items(pack, given, entries):
            if (output / item).exists() and not overwrite:
                problems.append(f"{output / item} exists already: add --overwrite to replace it")
    return problems, entries, given


def _script(notebook: Path) -> str:
    """The notebook as a Python script (nbconvert's ScriptExporter, on an in-memory copy)."""
    import nbformat
    from nbconvert import ScriptExporter

    nb = copy.deepcopy(nbformat.read(str(notebook), as_version=4))
    if nb.metadata.get("kernelspec", {}).get("language", "python") == "python":
        nb.metadata.setdefault("language_info", {"name": "python"})  # so that magics become get_ipython() calls
    body, _ = ScriptExporter().from_notebook_node(nb)
    return body


def _make(entry: Entry, target: Path, root: Path, display_name: str) -> None:
    if entry.kind == SAVED:
        folder = entry.path.endswith("/")
        (target if folder else target.parent).mkdir(parents=True, exist_ok=True)
        for assignment, file_name in _saved_files(entry):
            shutil.copy2(root / assignment / file_name, target / file_name if folder else target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    if entry.kind == NOTEBOOK:
        shutil.copy2(notebook_path(root, entry.assignments[0]), target)
    elif entry.kind == SCRIPT:
        target.write_text(_script(notebook_path(root, entry.assignments[0])), encoding="utf-8")
    elif entry.kind == REPORT:
        report.export_pdf([notebook_path(root, a) for a in entry.assignments], display_name, target,
                          settings.COURSE_NAME)
    elif entry.kind == TIMESTAMP:  # nbgrader's own format, as `nbgrader submit` and `collect` write it
        target.write_text(dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f %Z") + "\n")
    else:
        raise ValueError(f"unknown kind of entry {entry.kind!r} (helpers/settings.py)")


def _zip(folder: Path, archive: Path) -> None:
    """Zip the contents of ``folder`` (its folders as entries too, names sorted, with / separators)."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            zipped.write(path, path.relative_to(folder).as_posix() + ("/" if path.is_dir() else ""))


def build(layout: str | Package, root: Path | str, output: Path | str, name: str | None = None,
          andrew_id: str | None = None, student: str | None = None, overwrite: bool = False,
          assignments: list[str] | None = None) -> Path:
    """Build the package ``layout`` (``"seed000"``, ``"seed001"``, ``"nbgrader"``) of the notebooks under ``root``
    into ``output`` and return its path (the zip, or the student's folder of the nbgrader hand-in).

    Raises :class:`HandinError` with one line per problem before anything is written.
    """
    pack, root, output = package(layout), Path(root), Path(output)
    problems, entries, values = check(pack, root, output, name, andrew_id, student, overwrite, assignments)
    if problems:
        raise HandinError(problems)
    display_name = (name or "").strip() or values["andrew_id"] or values["student"]
    top = pack.output.format(**values)
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".course-handin-", dir=output) as scratch:
        tree = Path(scratch) / "tree"
        tree.mkdir()
        for entry in entries:
            _make(entry, tree / entry.path.format(**values), root, display_name)
        if top.endswith(".zip"):
            _zip(tree, Path(scratch) / top)
            staged = {top: Path(scratch) / top}
        else:
            staged = {f"{top}/{child.name}": child for child in tree.iterdir()}
        for item, path in staged.items():  # everything is built: now move it into place
            final = output / item
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            os.replace(path, final)
    return output / top


def submit_to_exchange(folder: Path, student: str, assignments: list[str], exchange: str | None = None) -> list[str]:
    """``nbgrader submit`` each assignment folder in ``folder`` (the student's folder of the nbgrader hand-in);
    returns one line per failure. ``exchange``: the exchange folder (default: ``$COURSE_EXCHANGE_DIR``, else
    nbgrader's own configuration)."""
    exchange = exchange or os.environ.get("COURSE_EXCHANGE_DIR")
    failures = []
    for assignment in assignments:
        command = [sys.executable, "-m", "nbgrader", "submit", assignment, f"--course={settings.COURSE_ID}",
                   f"--student={student}", f"--Exchange.assignment_dir={folder}",
                   *([f"--Exchange.root={exchange}"] if exchange else [])]
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True)
        if result.returncode != 0:
            last = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()]
            failures.append(f"{assignment}: nbgrader submit failed: {last[-1] if last else result.returncode}")
    return failures


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=Path("."),
                        help="the folder holding <assignment>/<assignment>.ipynb (default: this folder)")
    common.add_argument("--output", "-o", type=Path, default=Path("."), help="where the package goes (default: here)")
    common.add_argument("--overwrite", action="store_true", help="replace a package built before")
    parser = argparse.ArgumentParser(prog="course-handin", description="Build a hand-in package from your "
                                     "notebooks and the files they saved (after Restart and Run All).",
                                     epilog="Also: python -m helpers.handin. Layouts: helpers/settings.py.")
    commands = parser.add_subparsers(dest="layout", required=True, metavar="{" + ",".join(settings.PACKAGES) + "}")
    for pack in settings.PACKAGES.values():
        sub = commands.add_parser(pack.name, parents=[common], help=pack.description, description=pack.description)
        fields = _fields(pack.output).union(*(_fields(e.path) for e in pack.entries + pack.per_assignment))
        sub.add_argument("--name", help="your name: on the report's first page" +
                         (" and in the zip's name" if "name" in fields else ""))
        if "andrew_id" in fields:
            sub.add_argument("--andrew-id", help="your Andrew ID (lower-case letters and digits)")
        if "student" in fields:
            sub.add_argument("--student", help="your student id in nbgrader")
        if not pack.assignments:
            sub.add_argument("--assignment", action="append", metavar="NAME",
                             help="hand in this assignment (repeat for more; default: every one under --root)")
            sub.add_argument("--exchange", nargs="?", const="", metavar="DIR",
                             help="then `nbgrader submit` each one (to DIR, else $COURSE_EXCHANGE_DIR, else "
                                  "nbgrader's configured exchange)")
    args = parser.parse_args(argv)
    student = getattr(args, "student", None)
    try:
        built = build(args.layout, args.root, args.output, name=args.name, andrew_id=getattr(args, "andrew_id", None),
                      student=student, overwrite=args.overwrite, assignments=getattr(args, "assignment", None))
    except HandinError as error:
        for line in error.problems:
            print(f"  - {line}", file=sys.stderr)
        print(f"course-handin: nothing written ({len(error.problems)} problem(s) above)", file=sys.stderr)
        return 1
    except report.ReportError as error:
        print(f"course-handin: nothing written: {error}", file=sys.stderr)
        return 1
    print(f"wrote {built}")
    if getattr(args, "exchange", None) is not None:
        handed = list(args.assignment or found_assignments(args.root))
        failures = submit_to_exchange(built, student, handed, args.exchange or None)
        for line in failures:
            print(f"  - {line}", file=sys.stderr)
        if failures:
            print(f"course-handin: {len(failures)} submission(s) failed; {built} is written", file=sys.stderr)
            return 1
        print(f"submitted {', '.join(handed)} to the exchange")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
