"""Train the reference solution of notebook 06 on the real data and print its figures.

    COURSE_DATA_DIR=/path/to/data python bench/train_reference_06_lenet_regularization_kmnist.py
        [--out DIR] [--threads 2]
        [--variants none ...] [--lenet-lrs 0.001 0.003 [--sweep-variant batchnorm]]
        [--skip-lenet] [--skip-kmnist] [--kmnist-proxy]

The model, the optimizer, the epoch, the accuracy and the hyper-parameters are
taken from the reference solution in ``source/06_lenet_regularization_kmnist``
(its solution and definition cells are executed here), so the figures are those
of the notebook's own code.

Part A trains the four LeNet-5 variants on FashionMNIST (54 000 training and
6 000 validation images, the 10 000 test images), and, with ``--lenet-lrs``,
the unregularized network (or ``--sweep-variant``) at each of those learning
rates (how the notebook's learning rates can be checked). Part B sweeps the
KMNIST learning rates. When the
KMNIST training images are missing, ``--kmnist-proxy`` (the default then) runs a
*proxy*: the 10 000 real KMNIST test images split into 6 000 for training,
1 000 for validation and 3 000 for testing. Its numbers are not the real result.

Weights and histories go to ``--out`` (default ``/tmp/dl-course-06``; ``lenet_<variant>.pt`` and so on, what a
student hands in). A GPU is used when there is one. Prints tables and the total
wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

VARIANTS = ("none", "dropout", "weight_decay", "batchnorm")  # the notebook's VARIANTS, for the options

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from helpers.data import DataUnavailable, ImageData, data_root, load_idx_arrays, read_idx  # noqa: E402
from instructor import notebooks as nbs  # noqa: E402

NOTEBOOK = REPO / "source" / "06_lenet_regularization_kmnist" / "06_lenet_regularization_kmnist.ipynb"


def reference_namespace() -> dict:
    """Execute the notebook's set-up cell, every solution cell and the definition cells; return the globals."""
    namespace: dict = {"__name__": "reference06"}
    cells = [c for c in nbs.read(NOTEBOOK).cells if c.cell_type == "code"]
    wanted = ("import copy", "# hyper-parameters of the", "def lenet_loaders(", "def train_kmnist(")
    for cell in cells:
        if nbs.is_solution(cell) or cell.source.startswith(wanted):
            exec(compile(nbs.solution_text(cell.source), str(NOTEBOOK), "exec"), namespace)
    return namespace


def kmnist_proxy() -> tuple[ImageData, ImageData, np.ndarray, np.ndarray]:
    """The 10 000 real KMNIST test images split 6 000 / 1 000 / 3 000 (train / validation / test), seed 0."""
    raw = data_root() / "KMNIST" / "raw"
    images = read_idx(raw / "t10k-images-idx3-ubyte.gz")[:, None].astype(np.float32) / 255.0
    labels = read_idx(raw / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    order = np.random.default_rng(0).permutation(len(labels))
    pool, test = order[:7000], order[7000:]
    pool_data = ImageData(images[pool], labels[pool], "real (proxy)", "KMNIST")
    test_data = ImageData(images[test], labels[test], "real (proxy)", "KMNIST")
    return pool_data, test_data, np.arange(1000, 7000), np.arange(1000)


def table(rows: list[list[object]], head: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda row: "  ".join(str(x).rjust(w) for x, w in zip(row, widths))  # noqa: E731
    return "\n".join([line(head), *(line(r) for r in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "dl-course-06")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--lenet-lrs", type=float, nargs="*", default=[],
                        help="also train LeNet-5 (the --sweep-variant) at these learning rates")
    parser.add_argument("--sweep-variant", default="none", choices=VARIANTS,
                        help="the variant --lenet-lrs trains (default: none)")
    parser.add_argument("--lenet-epochs", type=int, default=None, help="override the notebook's epochs")
    parser.add_argument("--variants", nargs="*", choices=VARIANTS,
                        help="train only these LeNet-5 variants (default: all four)")
    parser.add_argument("--skip-lenet", action="store_true")
    parser.add_argument("--skip-kmnist", action="store_true")
    parser.add_argument("--kmnist-proxy", action="store_true", help="use the proxy even if the real data is there")
    args = parser.parse_args()
    os.environ.pop("COURSE_QUICK", None)

    import torch

    import helpers.training

    if not sys.stdout.isatty():  # no progress bars in a log file
        helpers.training.show_progress = lambda: False
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    ns = reference_namespace()
    print(f"device {ns['DEVICE']}, torch threads {torch.get_num_threads()}, data root {data_root()}", flush=True)
    start_all = time.perf_counter()
    summary = []

    if not args.skip_lenet:
        from helpers.data import load_images

        ns["fashion_train"] = load_images("FashionMNIST", train=True, allow_synthetic=False)
        ns["fashion_test"] = load_images("FashionMNIST", train=False, allow_synthetic=False)
        n = len(ns["fashion_train"])
        ns["fashion_train_idx"], ns["fashion_val_idx"] = ns["split_indices"](n, val_size=n // 10, seed=0)
        ns["fashion_train_eval_idx"] = np.random.default_rng(1).permutation(ns["fashion_train_idx"])[:10_000]
        epochs = args.lenet_epochs or ns["LENET_EPOCHS"]
        rates = ns["LENET_LRS"]
        runs = [(v, rates[v]) for v in args.variants or ns["VARIANTS"]]
        swept = args.sweep_variant
        runs += [(swept, lr) for lr in args.lenet_lrs if not np.isclose(lr, rates[swept])]
        rows = []
        for variant, lr in runs:
            t0 = time.perf_counter()
            model, history = ns["train_lenet"](variant, epochs=epochs, lr=lr)
            seconds = time.perf_counter() - t0
            best = int(np.argmax(history.val_acc))
            if np.isclose(lr, rates[variant]):
                ns["save_weights"](model, args.out / f"lenet_{variant}.pt")
                history.save(args.out / f"lenet_{variant}_history.json")
            else:
                history.save(args.out / f"lenet_{variant}_lr{lr:g}_history.json")
            rows.append([variant, f"{lr:g}", best + 1, f"{100 * history.train_acc[best]:.2f}",
                         f"{100 * history.val_acc[best]:.2f}", f"{100 * history.test_acc[best]:.2f}",
                         f"{100 * max(history.test_acc):.2f}", f"{seconds:.0f}"])
            print(table(rows[-1:], ["variant", "lr", "epoch kept", "train %", "val %", "test %", "max test %",
                                    "seconds"]), flush=True)
        summary.append("LeNet-5 on FashionMNIST (accuracies of the epoch kept by validation):\n" + table(
            rows, ["variant", "lr", "epoch kept", "train %", "val %", "test %", "max test %", "seconds"]))

    if not args.skip_kmnist:
        try:
            if args.kmnist_proxy:
                raise DataUnavailable("proxy asked for")
            load_idx_arrays("KMNIST", train=True)
            from helpers.data import load_images

            train, test = load_images("KMNIST", True, allow_synthetic=False), load_images("KMNIST", False)
            train_idx, val_idx = ns["split_indices"](len(train), val_size=len(train) // 10, seed=0)
            label = "real KMNIST"
        except DataUnavailable:
            train, test, train_idx, val_idx = kmnist_proxy()
            label = "PROXY: 6 000 / 1 000 / 3 000 of the real KMNIST test images (not the real result)"
        ns.update(kmnist_train=train, kmnist_test=test, kmnist_train_idx=train_idx, kmnist_val_idx=val_idx)
        ns["kmnist_loaders"] = {
            "val": ns["make_loader"](train.images[val_idx], train.labels[val_idx], 1000),
            "test": ns["make_loader"](test.images, test.labels, 1000),
        }
        print(f"KMNIST: {label}", flush=True)
        histories, models, rows = {}, {}, []
        for lr in ns["KMNIST_LRS"]:
            t0 = time.perf_counter()
            models[lr], histories[lr] = ns["train_kmnist"](lr)
            seconds = time.perf_counter() - t0
            test_acc = ns["evaluate_accuracy"](models[lr], ns["kmnist_loaders"]["test"], ns["DEVICE"])
            rows.append([f"{lr:g}", f"{100 * max(histories[lr].val_acc):.2f}", f"{histories[lr].train_loss[-1]:.4f}",
                         f"{100 * test_acc:.2f}", f"{seconds:.0f}"])
            print(table(rows[-1:], ["lr", "best val %", "final loss", "test %", "seconds"]), flush=True)
        best = ns["best_learning_rate"](histories)
        ns["save_weights"](models[best], args.out / "kmnist_cnn.pt")
        (args.out / "kmnist_histories.json").write_text(json.dumps({str(k): h.as_dict() for k, h in histories.items()}))
        summary.append(f"KMNIST CNN ({label}), best learning rate by validation: {best:g}\n"
                       + table(rows, ["lr", "best val %", "final loss", "test %", "seconds"]))

    print("\n" + "\n\n".join(summary))
    print(f"\ntotal wall time: {time.perf_counter() - start_all:.0f} s; weights and histories in {args.out}")


if __name__ == "__main__":
    main()
