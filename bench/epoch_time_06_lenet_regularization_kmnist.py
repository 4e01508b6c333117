"""Wall time of one training epoch of each model of notebook 06, on the CPU (and the GPU when there is one).

    python bench/epoch_time_06_lenet_regularization_kmnist.py [--threads 2] [--examples 54000]

Times one epoch of Adam steps (the notebook's batch sizes: 128 for LeNet-5, 64 for the KMNIST CNN; LeNet-5's
batches shifted and mirrored as in the notebook) plus one evaluation pass over 26 000 images (the training subset,
validation and test sets measured after each epoch), on random images of the real size. The models come from the
reference solution in ``source/06_lenet_regularization_kmnist``. To keep the run short, ``--measure`` batches are
timed and the time is scaled to ``--examples`` images. Prints a table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.train_reference_06_lenet_regularization_kmnist import reference_namespace  # noqa: E402


def seconds_per_epoch(ns: dict, build, loss_fn, batch: int, examples: int, measure: int, device,
                      augment: dict | None = None) -> tuple[float, float]:
    import torch

    torch.manual_seed(0)
    model = build().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch * measure, 1, 28, 28)
    y = torch.randint(0, 10, (batch * measure,))
    loader = ns["make_loader"](x, y, batch)
    if augment:
        loader = ns["Augmented"](loader, **augment)
    warm_up = [batch for _, batch in zip(range(5), loader)]
    ns["train_one_epoch"](model, warm_up, optimizer, loss_fn, device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    ns["train_one_epoch"](model, loader, optimizer, loss_fn, device)
    sync()
    train = (time.perf_counter() - start) * examples / len(y)
    eval_loader = ns["make_loader"](x, y, 1000)
    start = time.perf_counter()
    ns["evaluate_accuracy"](model, eval_loader, device)
    sync()
    evaluation = (time.perf_counter() - start) * 26_000 / len(y)
    return train, evaluation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--examples", type=int, default=54_000, help="training images per epoch")
    parser.add_argument("--measure", type=int, default=60, help="batches actually timed")
    args = parser.parse_args()

    import torch
    import torch.nn as nn

    torch.set_num_threads(args.threads)
    ns = reference_namespace()
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    models = [(f"LeNet-5 {v}", lambda v=v: ns["LeNet5"](v, dropout=ns["DROPOUT_P"]), nn.CrossEntropyLoss(),
               ns["LENET_BATCH"], ns["AUGMENT"]) for v in ns["VARIANTS"]]
    models.append(("KMNIST CNN", lambda: ns["KMNISTCNN"](), ns["kmnist_loss_fn"], ns["KMNIST_BATCH"], None))
    seconds_per_epoch(ns, *models[0][1:4], 128, 5, torch.device("cpu"))  # warm the CPU kernels up once
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, {args.examples} training images "
          "per epoch, evaluation of 26 000 images")
    print(f"{'model':<22} {'device':<8} {'batch':>5} {'train s/epoch':>14} {'eval s/epoch':>13} {'total s/epoch':>14}")
    for name, build, loss_fn, batch, augment in models:
        for device in devices:
            train, evaluation = seconds_per_epoch(ns, build, loss_fn, batch, args.examples, args.measure, device,
                                                  augment)
            total = train + evaluation
            print(f"{name:<22} {device.type:<8} {batch:>5} {train:>14.1f} {evaluation:>13.1f} {total:>14.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
