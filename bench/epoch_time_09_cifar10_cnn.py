"""Times of notebook 09's recipe: one training epoch, and the grader's evaluation of the 10 000 test images.

    python bench/epoch_time_09_cifar10_cnn.py [--threads 2] [--measure 4] [--widths 32 64 128 256]

The network and the training step come from the reference solution in ``source/09_cifar10_cnn`` (read as JSON).
On random images of CIFAR's size (the time does not depend on the pixels): ``--measure`` batches of 512 are timed
(after two warm-up batches) with the notebook's optimiser, schedule, loss and augmentation, and scaled to one epoch
of 50 000 images plus the evaluation after it (10 000 training and 10 000 test images); then the evaluation of
10 000 test images on ONE CPU thread in batches of 500, as ``grade_p2_performance`` does it. The last figure is
the floor of the performance cell's time limit (``instructor/timing/09_cifar10_cnn.json``). On the CPU always, and
on the GPU when there is one. Prints a table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MPLBACKEND", "Agg")

from bench.train_reference_09_cifar10_cnn import code_cells  # noqa: E402

EPOCH, EVALUATED, BATCH = 50_000, 20_000, 512


def reference() -> dict:
    """The notebook's imports and solution cells, executed."""
    namespace: dict = {"__name__": "reference09"}
    for meta, source in code_cells():
        if meta.get("solution") or source.startswith("import time"):
            exec(compile(source, "09_cifar10_cnn.ipynb", "exec"), namespace)
    return namespace


def epoch_seconds(ns: dict, widths: tuple[int, ...], device, measure: int) -> float:
    import torch

    torch.manual_seed(0)
    model = ns["CifarNet"](widths=widths).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, nesterov=True, weight_decay=5e-4)
    steps = measure + 2
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.2, total_steps=steps + 1)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    x, y = torch.rand(BATCH * steps, 3, 32, 32), torch.randint(0, 10, (BATCH * steps,))
    batches = list(ns["Augmented"](ns["make_loader"](x, y, BATCH), shift=4, flip=True))
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for xb, yb in batches[:2]:
        ns["train_step"](model, xb, yb, optimizer, loss_fn, device, scheduler)
    sync()
    start = time.perf_counter()
    for xb, yb in batches[2:]:
        ns["train_step"](model, xb, yb, optimizer, loss_fn, device, scheduler)
    sync()
    train = (time.perf_counter() - start) / measure * EPOCH / BATCH
    loader = ns["make_loader"](x[:2000], y[:2000], 1000)
    start = time.perf_counter()
    ns["evaluate"](model, loader, loss_fn, device)
    sync()
    return train + (time.perf_counter() - start) * EVALUATED / 2000


def grader_seconds(ns: dict, widths: tuple[int, ...]) -> float:
    """Evaluation of 10 000 images on one CPU thread, batches of 500 (measured on 2 000, scaled)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = ns["CifarNet"](widths=widths).eval()
        x = torch.rand(2000, 3, 32, 32)
        with torch.no_grad():
            model(x[:100])
            start = time.perf_counter()
            for i in range(0, len(x), 500):
                model(x[i:i + 500]).argmax(1)
        return (time.perf_counter() - start) * 5
    finally:
        torch.set_num_threads(threads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="CPU threads for training")
    parser.add_argument("--measure", type=int, default=4, help="batches of 512 timed per device")
    parser.add_argument("--widths", type=int, nargs=4, default=(32, 64, 128, 256))
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    ns = reference()
    widths = tuple(args.widths)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        epoch = epoch_seconds(ns, widths, device, args.measure)
        name = torch.cuda.get_device_name() if device.type == "cuda" else f"cpu, {args.threads} threads"
        rows.append((name, f"{epoch:.1f}", f"{30 * epoch / 60:.1f}"))
    head = ("device", "epoch (s)", "30 epochs (min)")
    width = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
    print(f"ResNet-9 widths {widths}: one epoch = {EPOCH} training images + evaluation of {EVALUATED}")
    for row in [head, *rows]:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, width)))
    print(f"grader: 10 000 test images on 1 CPU thread: {grader_seconds(ns, widths):.1f} s")


if __name__ == "__main__":
    main()
