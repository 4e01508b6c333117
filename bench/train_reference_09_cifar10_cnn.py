"""Train the reference solution of notebook 09 (ResNet-9 on CIFAR-10) with the notebook's own code.

    COURSE_DATA_DIR=/path/with/cifar-10-batches-py python bench/train_reference_09_cifar10_cnn.py --out DIR
    python bench/train_reference_09_cifar10_cnn.py --stand-in 50000 [--epochs 30]   # time it without CIFAR-10

Executes the set-up cell, every solution cell, the hyper-parameter cell and the training cell of
``source/09_cifar10_cnn/09_cifar10_cnn.ipynb`` (read as JSON, so only PyTorch, NumPy and the course's ``helpers``
are needed: it runs on a GPU machine without Jupyter), outside quick mode, on the GPU when there is one. With
CIFAR-10 present it trains the reference and writes ``p2_model.pkl``, ``p2_history.json`` and ``manifest.json``
(command, data, seed, figures) to ``--out``: commit them in ``instructor/weights/09_cifar10_cnn/``. ``--stand-in N``
trains on N generated images of CIFAR's shape instead (and 10 000 generated test images), which measures the time
of the recipe where CIFAR-10 cannot be had; its accuracy means nothing. Prints one line per epoch and a table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.pop("COURSE_QUICK", None)

ASSIGNMENT = "09_cifar10_cnn"
NOTEBOOK = REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
STARTS = ("import time", "seed_everything(0)\ntrain_data", "P2_MODEL_CLASS =", "WEIGHTS, HISTORY =")


def code_cells() -> list[tuple[dict, str]]:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return [(c.get("metadata", {}).get("nbgrader", {}), "".join(c["source"])) for c in cells
            if c["cell_type"] == "code"]


def run_notebook(namespace: dict, epochs: int | None) -> None:
    """Execute the cells that train (in the notebook's order); ``epochs`` overrides EPOCHS."""
    for meta, source in code_cells():
        if not (meta.get("solution") or source.startswith(STARTS)):
            continue
        if source.startswith("WEIGHTS, HISTORY =") and epochs is not None:
            namespace["EPOCHS"] = epochs
        if source.startswith("seed_everything(0)\ntrain_data"):
            source = source.replace("plt.show()", "plt.close('all')")
        exec(compile(source, str(NOTEBOOK), "exec"), namespace)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("/tmp/dl-course-09"))
    parser.add_argument("--stand-in", type=int, default=0, metavar="N",
                        help="train on N generated images (timing only) instead of CIFAR-10")
    parser.add_argument("--test-size", type=int, default=10_000, metavar="M",
                        help="with --stand-in: M generated test images (default 10 000, as CIFAR-10 has)")
    parser.add_argument("--epochs", type=int, default=None, help="override the notebook's 30 epochs")
    parser.add_argument("--grade", action="store_true",
                        help="then score the trained model with the performance cell's grader (on the CPU), timed")
    args = parser.parse_args()

    import helpers.cifar as cifar

    if args.stand_in:
        train_set, test = cifar.synthetic_cifar(args.stand_in, seed=0), cifar.synthetic_cifar(args.test_size, seed=1)

        def load(train: bool = True, **_: object):
            return train_set if train else test

        cifar.load_cifar10 = load
    elif not cifar.cifar_files_present(cifar.data_root()):
        sys.exit("CIFAR-10 is not in COURSE_DATA_DIR/cifar-10-batches-py (or data/): set COURSE_DATA_DIR, or pass "
                 "--stand-in 50000 to time the recipe on generated images")

    args.out.mkdir(parents=True, exist_ok=True)
    namespace: dict = {"__name__": "reference09"}
    start = time.perf_counter()
    with contextlib.chdir(args.out):
        run_notebook(namespace, args.epochs)
    wall = time.perf_counter() - start
    history = namespace["p2_history"]
    device = str(namespace["DEVICE"])
    if device.startswith("cuda"):
        import torch

        device = f"{device} ({torch.cuda.get_device_name()})"
    else:
        device = f"cpu ({os.cpu_count()} cores, {platform.processor() or platform.machine()})"
    epoch_s = sorted(history.seconds)[len(history.seconds) // 2]
    rows = [("data", namespace["train_data"].description), ("training images", len(namespace["train_data"])),
            ("epochs", len(history.epoch)), ("device", device), ("median epoch (s)", f"{epoch_s:.1f}"),
            ("training, sum of epochs (s)", f"{sum(history.seconds):.0f}"), ("wall time (s)", f"{wall:.0f}"),
            ("final test accuracy (%)", f"{100 * history.test_acc[-1]:.2f}")]
    if args.grade:
        from instructor.grading.a09_cifar10_cnn import grade_p2_performance

        start = time.perf_counter()
        points = grade_p2_performance(lambda: namespace["P2_MODEL_CLASS"], lambda: namespace["MODEL_CONFIG"],
                                      lambda: namespace["p2_model"])
        rows.append(("grader: points, seconds", f"{points:g}, {time.perf_counter() - start:.1f}"))
    width = max(len(k) for k, _ in rows)
    print("\n".join(f"{k:<{width}}  {v}" for k, v in rows))
    if not args.stand_in:
        manifest = {
            "assignment": ASSIGNMENT, "files": ["p2_model.pkl", "p2_history.json"],
            "command": " ".join(["python", *sys.argv]),
            "data": "CIFAR-10 (cifar-10-batches-py): 50 000 training images, 10 000 test images",
            "seed": "seed_everything(0); loader and augmentation seed 0",
            "settings": "the notebook's recipe: ResNet-9 widths (32, 64, 128, 256), 30 epochs, batch 512, SGD "
                        "nesterov 0.9, one-cycle max 0.2, weight decay 5e-4, label smoothing 0.1, shifts and flips",
            "trained_on": device,
            "measured": {"test_accuracy": round(history.test_acc[-1], 4), "median_epoch_seconds": round(epoch_s, 1),
                         "wall_seconds": round(wall)},
            "graded_by": {"test_p2_performance": {"files": ["p2_model.pkl"], "datasets": ["CIFAR10"],
                                                  "test_size": 10000}},
        }
        (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
