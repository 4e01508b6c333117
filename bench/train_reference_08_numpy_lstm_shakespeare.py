"""Train the reference solution of notebook 08 on tiny Shakespeare by running the notebook itself.

    COURSE_DATA_DIR=/path/to/data python bench/train_reference_08_numpy_lstm_shakespeare.py [--out DIR] [--threads 1]

The release of ``08_numpy_lstm_shakespeare`` is filled with the reference solutions and executed top to bottom
outside quick mode, as a student runs *Restart and Run All*: 3 000 steps of truncated BPTT with Adam, the
validation loss every 250 steps. The weight file it saves, ``lstm_shakespeare.npz``, is copied to ``--out``
(default ``/tmp/dl-course-08``) with the executed notebook. Prints the validation curve, the two samples and the
wall time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from instructor import notebooks as nbs  # noqa: E402
from instructor.reference import run_reference_notebook  # noqa: E402

ASSIGNMENT = "08_numpy_lstm_shakespeare"
WEIGHTS = "lstm_shakespeare.npz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "dl-course-08")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads of the kernel (default 1)")
    args = parser.parse_args()
    if not os.environ.get("COURSE_DATA_DIR"):
        sys.exit("set COURSE_DATA_DIR to a folder holding tinyshakespeare/input.txt (the reference is trained on it)")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        executed = run_reference_notebook(ASSIGNMENT, Path(scratch), threads=args.threads)
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(scratch) / WEIGHTS, args.out / WEIGHTS)
        shutil.copy(executed, args.out / executed.name)
        cells = [c for c in nbs.read(executed).cells if c.cell_type == "code"]
    for cell in cells:
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")
        if "validation" in text or "--- temperature" in text or "Saved" in text:
            print(text.rstrip())
    print(f"\nwall time: {time.perf_counter() - start:.0f} s; {WEIGHTS} in {args.out}")


if __name__ == "__main__":
    main()
