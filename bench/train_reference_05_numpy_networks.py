"""Train the reference solution of notebook 05 on the real MNIST by running the notebook itself.

    COURSE_DATA_DIR=/path/to/data python bench/train_reference_05_numpy_networks.py [--out DIR] [--threads 1]

The release of ``05_numpy_networks`` is filled with the reference solutions and
executed top to bottom outside quick mode (nbclient, no cell timeout), exactly
as a student runs *Restart and Run All*. What it saves, ``p1_model.npz`` (the
MLP on the 60 000 training images) and ``lenet_model.npz`` (LeNet-5 on the first
2 000), is copied to ``--out`` (default ``/tmp/dl-course-05``) with the executed
notebook. Prints the figures the notebook reports and the wall time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from instructor.reference import run_reference_notebook  # noqa: E402

ASSIGNMENT = "05_numpy_networks"
WEIGHTS = ("p1_model.npz", "lenet_model.npz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "dl-course-05")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads of the kernel (default 1)")
    args = parser.parse_args()
    if not os.environ.get("COURSE_DATA_DIR"):
        sys.exit("set COURSE_DATA_DIR to a folder holding MNIST/raw/ (the reference is trained on the real data)")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        executed = run_reference_notebook(ASSIGNMENT, Path(scratch), threads=args.threads)
        args.out.mkdir(parents=True, exist_ok=True)
        for name in WEIGHTS:
            shutil.copy(Path(scratch) / name, args.out / name)
        shutil.copy(executed, args.out / executed.name)
        text = "\n".join(o.get("text", "") for c in executed_cells(executed) for o in c.get("outputs", []))
    wanted = ("training and test images", "MLP test error", "LeNet-5 accuracy")
    for line in text.splitlines():
        if any(w in line for w in wanted) or re.match(r"init=", line):
            print(line)
    print(f"\nwall time: {time.perf_counter() - start:.0f} s; {', '.join(WEIGHTS)} in {args.out}")


def executed_cells(path: Path) -> list:
    from instructor import notebooks as nbs

    return [c for c in nbs.read(path).cells if c.cell_type == "code"]


if __name__ == "__main__":
    main()
