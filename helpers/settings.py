"""The course's settings, in one place: its name, the files each notebook saves, and the hand-in packages.

An instructor edits this file (it is released to students with ``helpers``): the name printed on every PDF
report, the weight files a notebook writes next to itself, and the layout of each package that
``course-handin`` builds (:mod:`helpers.handin`). Nothing else in the course spells these out again.

Placeholders in package paths: ``{name}`` (the student's name, made file-safe), ``{andrew_id}``, ``{student}``
(the nbgrader student id) and, in ``per_assignment`` entries, ``{assignment}``.
"""

from __future__ import annotations

from dataclasses import dataclass

COURSE_NAME = "Deep Learning: from gradients to attention"
COURSE_ID = "deep-learning"  # nbgrader's course id (``--course`` of ``nbgrader submit``)


@dataclass(frozen=True)
class SavedFile:
    """A file a notebook writes next to itself, and the cell that writes it (named for a student)."""

    name: str
    saved_by: str


QUICK = "with COURSE_QUICK unset (quick mode saves nothing)"

SAVED_FILES: dict[str, tuple[SavedFile, ...]] = {
    "05_numpy_networks": (
        SavedFile("p1_model.npz", "the MLP training cell of section 8 (Training the MLP on MNIST)"),
        SavedFile("lenet_model.npz", "the LeNet-5 training cell of section 9 (Training LeNet-5 on 2000 images)"),
    ),
    "06_lenet_regularization_kmnist": (
        *(SavedFile(f"lenet_{variant}{suffix}", f"the training cell of A.6 (The four runs), {QUICK}")
          for variant in ("none", "dropout", "weight_decay", "batchnorm")
          for suffix in (".pt", "_history.json")),
        SavedFile("kmnist_cnn.pt", f"the training cell of B.4 (Training and choosing the learning rate), {QUICK}"),
        SavedFile("kmnist_histories.json",
                  f"the training cell of B.4 (Training and choosing the learning rate), {QUICK}"),
    ),
    "07_char_translation_attention": (
        SavedFile("translator_vanilla.pt", f"the cell of section 7 that trains the vanilla model, {QUICK}"),
        SavedFile("translator_attention.pt", f"the cell of section 7 that trains the model with attention, {QUICK}"),
    ),
    "08_numpy_lstm_shakespeare": (
        SavedFile("lstm_shakespeare.npz", f"the training cell of section 6 (Training), {QUICK}"),
    ),
    "09_cifar10_cnn": (
        SavedFile("p2_model.pkl", f"the training cell of section 7 (Training), {QUICK}"),
        SavedFile("p2_history.json", f"the training cell of section 7 (Training), {QUICK}"),
    ),
}

# Code cells at the end of a notebook that may be left unrun (the report and hand-in cells): a trailing code
# cell holding one of these is not checked.
TRAILING_CELL_MARKERS = ("make_report(", "course-handin", "helpers.handin")

NOTEBOOK, SCRIPT, SAVED, REPORT, TIMESTAMP = "notebook", "script", "saved", "report", "timestamp"


@dataclass(frozen=True)
class Entry:
    """One thing in a package.

    path: where it goes in the package, ``/``-separated; a path ending in ``/`` is a folder (for ``saved``
        without ``source``: every file of ``SAVED_FILES`` goes into it under its own name).
    kind: ``notebook`` (the .ipynb as saved), ``script`` (the notebook as a .py script, nbconvert's
        ScriptExporter), ``saved`` (a file the notebook saved: ``source`` names it, or all of them),
        ``report`` (the PDF report of ``assignments``, in order) or ``timestamp`` (nbgrader's timestamp.txt).
    assignments: the notebook(s) it comes from; empty in ``per_assignment`` entries (the assignment at hand)
        and for a report of every assignment of the package.
    """

    path: str
    kind: str
    assignments: tuple[str, ...] = ()
    source: str | None = None


@dataclass(frozen=True)
class Package:
    """A hand-in package: ``output`` is a .zip file, or a folder whose top-level items are placed one by one.

    assignments: the notebooks it is made from, in order (empty: chosen when it is built, ``--assignment``,
        else every notebook found). ``per_assignment`` entries repeat for each of them with ``{assignment}``.
    """

    name: str
    description: str
    output: str
    entries: tuple[Entry, ...] = ()
    assignments: tuple[str, ...] = ()
    per_assignment: tuple[Entry, ...] = ()


SEED000 = Package(
    name="seed000",
    description="one zip with doc/ (the report) and src/ (notebooks, their scripts, the weight files)",
    output="mandatory_assignment_{name}.zip",
    assignments=("04_conv_pool_arithmetic", "05_numpy_networks", "07_char_translation_attention",
                 "08_numpy_lstm_shakespeare"),
    entries=(Entry("doc/report.pdf", REPORT),),
    per_assignment=(Entry("src/{assignment}.ipynb", NOTEBOOK), Entry("src/{assignment}.py", SCRIPT),
                    Entry("src/", SAVED)),
)

_HW1 = "{andrew_id}-HW1"
SEED001 = Package(
    name="seed001",
    description="<andrewID>-HW1/ with p1/ (notebook 05) and p2/ (notebook 09), zipped",
    output=_HW1 + ".zip",
    assignments=("05_numpy_networks", "09_cifar10_cnn"),
    entries=(
        Entry(f"{_HW1}/p1/p1.py", SCRIPT, ("05_numpy_networks",)),
        Entry(f"{_HW1}/p1/p1_model.npz", SAVED, ("05_numpy_networks",), "p1_model.npz"),
        Entry(f"{_HW1}/p1/p1_report.pdf", REPORT, ("05_numpy_networks",)),
        Entry(f"{_HW1}/p2/p2.py", SCRIPT, ("09_cifar10_cnn",)),
        Entry(f"{_HW1}/p2/p2_model.pkl", SAVED, ("09_cifar10_cnn",), "p2_model.pkl"),
        Entry(f"{_HW1}/p2/p2_report.pdf", REPORT, ("09_cifar10_cnn",)),
    ),
)

NBGRADER = Package(
    name="nbgrader",
    description="<student>/<assignment>/ with the notebook and the files it saved, as nbgrader's submitted/ holds",
    output="{student}",
    per_assignment=(Entry("{assignment}/{assignment}.ipynb", NOTEBOOK), Entry("{assignment}/", SAVED),
                    Entry("{assignment}/timestamp.txt", TIMESTAMP)),
)

PACKAGES: dict[str, Package] = {package.name: package for package in (SEED000, SEED001, NBGRADER)}
