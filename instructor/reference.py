"""The reference solution as a student runs it, and the weight files it hands in.

``run_reference_notebook`` executes the release filled with the reference
solutions outside quick mode, as *Restart and Run All* does (the bench trainer of
notebook 05 uses it). ``instructor/weights/<assignment>/`` holds the weight files
of the reference, trained on the real data, with ``manifest.json``: how they were
made (command, data, seed), the figures measured on the test sets, which graded
cells score them and which datasets those cells need. The tests of the grading and
``make demo`` hand them in beside the notebook when the real data is there.
Never released, never imported by ``helpers``.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from instructor import REPO_ROOT
from instructor import notebooks as nbs
from instructor.course import Course, command_env

WEIGHTS_DIR = REPO_ROOT / "instructor" / "weights"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"  # where CI and this workplace keep the real datasets


@dataclass(frozen=True)
class GradedCell:
    """One performance cell of ``graded_by``: the files it scores, the datasets it needs, its test-set size."""

    files: tuple[str, ...]
    datasets: tuple[str, ...]
    test_size: int


@dataclass(frozen=True)
class ReferenceWeights:
    """The weight files of one assignment's reference and what grades them (from ``manifest.json``).

    Attributes:
        assignment: the assignment's name.
        files: paths of the weight files (and training histories) handed in with the notebook.
        graded_by: performance cell -> what it scores (:class:`GradedCell`).
    """

    assignment: str
    files: tuple[Path, ...]
    graded_by: dict[str, GradedCell]

    def graded_cells(self, data_dir: Path) -> set[str]:
        """The cells that score the handed-in files when the datasets are those of ``data_dir``."""
        return {cell for cell, spec in self.graded_by.items()
                if all(dataset_present(d, data_dir) for d in spec.datasets)}

    def graded_files(self, data_dir: Path) -> set[str]:
        return {f for cell in self.graded_cells(data_dir) for f in self.graded_by[cell].files}


def reference_weights(assignment: str) -> ReferenceWeights | None:
    """The committed reference weights of ``assignment``, or None when it saves none."""
    manifest = WEIGHTS_DIR / assignment / "manifest.json"
    if not manifest.exists():
        return None
    data = json.loads(manifest.read_text())
    files = tuple(WEIGHTS_DIR / assignment / name for name in data["files"])
    missing = [str(p) for p in files if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{manifest} lists weight files that are missing: {missing}")
    graded_by = {cell: GradedCell(tuple(spec["files"]), tuple(spec["datasets"]), int(spec["test_size"]))
                 for cell, spec in data["graded_by"].items()}
    return ReferenceWeights(assignment, files, graded_by)


def dataset_present(name: str, data_dir: Path) -> bool:
    """Whether ``data_dir`` holds the whole dataset ``name`` (an image dataset's four IDX files, CIFAR-10's six batch
    files, eng-spa's pairs, or tiny Shakespeare's text)."""
    if name == "CIFAR10":
        from helpers.cifar import cifar_files_present

        return cifar_files_present(data_dir)
    if name == "tinyshakespeare":
        from helpers.shakespeare import text_path

        return text_path(data_dir).is_file()
    if name == "eng-spa":
        from helpers.text_data import SPLITS, pairs_path

        return all(pairs_path(split, data_dir).is_file() for split in SPLITS)
    from helpers.data import find_idx_files

    return all(find_idx_files(name, roots=[data_dir]).values())


def real_data_dir() -> Path | None:
    """The real datasets for the tests: ``$COURSE_REAL_DATA_DIR``, else ``../shared/data`` when present."""
    env = os.environ.get("COURSE_REAL_DATA_DIR")
    if env:
        return Path(env)
    return SHARED_DATA if SHARED_DATA.is_dir() else None


def spoil(source: Path, target: Path, seed: int = 0) -> None:
    """A badly trained model in the format of ``source``: every float array replaced by small random numbers.

    Works on ``.npz`` files (notebooks 05 and 08) and on PyTorch state dicts saved as ``.pt`` (06, 07) or ``.pkl``
    (09, as its seed names the file), bare or inside a dict under ``state_dict``; other files are copied unchanged.
    """
    rng = np.random.default_rng(seed)
    if source.suffix == ".npz":
        with np.load(source, allow_pickle=False) as saved:
            arrays = {k: (rng.normal(0, 0.01, saved[k].shape).astype(saved[k].dtype)
                          if saved[k].dtype.kind == "f" else saved[k]) for k in saved.files}
        np.savez(target, **arrays)
    elif source.suffix in (".pt", ".pkl"):
        import torch

        saved = torch.load(source, map_location="cpu", weights_only=True)
        state = saved["state_dict"] if "state_dict" in saved else saved
        generator = torch.Generator().manual_seed(seed)
        for key, value in state.items():
            if value.is_floating_point():
                state[key] = torch.randn(value.shape, generator=generator, dtype=value.dtype) * 0.01
        torch.save(saved, target)
    else:
        shutil.copy(source, target)


def damage(source: Path, target: Path) -> None:
    """A damaged copy of ``source``: its first half only, as an interrupted upload or copy leaves it."""
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])


def run_reference_notebook(assignment: str, workdir: Path, threads: int = 1) -> Path:
    """Execute the reference-filled release of ``assignment`` in ``workdir`` outside quick mode.

    Everything the notebook saves lands in ``workdir``; returns the executed notebook's path.
    """
    import nbclient

    course = Course(REPO_ROOT)
    notebook = nbs.fill_in(nbs.read(course.release_path(assignment)), nbs.read(course.source_path(assignment)))
    workdir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in command_env().items() if k != "COURSE_QUICK"}
    env.update({name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        nbclient.NotebookClient(notebook, timeout=None, kernel_name="python3",
                                resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    path = workdir / f"{assignment}.executed.ipynb"
    nbs.write(notebook, path)
    return path
