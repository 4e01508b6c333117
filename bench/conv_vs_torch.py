"""How fast is the NumPy reference of notebook 05 next to PyTorch on the CPU?

    python bench/conv_vs_torch.py [--repeats 20] [--threads N] [--skip-epochs]

1. Convolution forward + backward (dx, dw, db) on LeNet-5's shapes, batch 64:
   1 -> 6 channels on 28 x 28 and 6 -> 16 channels on 12 x 12, 5 x 5 kernels. The
   NumPy reference (``bench/reference_layers.py``, the algorithm of the notebook's
   reference solution) against ``torch.nn.functional.conv2d`` + autograd, in the
   same process with the same number of threads, float32 and float64; median over
   the repeats.
2. One training epoch of the reference NumPy LeNet-5 on 2000 images (batch 32) and
   of the NumPy MLP 784-256-10 on 60 000 images (batch 64), beside the same models in
   PyTorch on the CPU. Random images of MNIST's shape: the time does not depend on
   the pixels, and the benchmark needs no dataset.

The last line is ``conv fwd+bwd numpy/torch ratio: X.XX`` (float32, the sum of both
layers' medians).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed repetitions per convolution (median)")
    parser.add_argument("--threads", type=int, default=None, help="threads for NumPy's BLAS and for torch")
    parser.add_argument("--skip-epochs", action="store_true", help="time only the convolutions")
    return parser.parse_args()


ARGS = _parse()
if ARGS.threads:  # must happen before NumPy loads its BLAS
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_layers as ref  # noqa: E402

if ARGS.threads:
    torch.set_num_threads(ARGS.threads)

CONV_SHAPES = [("C1: 1->6, 28x28", (64, 1, 28, 28), (6, 1, 5, 5)),
               ("C2: 6->16, 12x12", (64, 6, 12, 12), (16, 6, 5, 5))]


def _median_time(fn, repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def time_conv(x_shape, w_shape, dtype, repeats: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape).astype(dtype)
    w = (rng.normal(size=w_shape) * 0.1).astype(dtype)
    b = np.zeros(w_shape[0], dtype=dtype)
    out_shape = ref.conv_forward(x, w, b)[0].shape
    dout = rng.normal(size=out_shape).astype(dtype)

    def numpy_step():
        out, cache = ref.conv_forward(x, w, b)
        ref.conv_backward(dout, cache)

    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tdout = torch.from_numpy(dout)

    def torch_step():
        for t in (tx, tw, tb):
            t.grad = None
        F.conv2d(tx, tw, tb).backward(tdout)

    return _median_time(numpy_step, repeats), _median_time(torch_step, repeats)


def _torch_lenet() -> torch.nn.Module:
    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84),
                         nn.ReLU(), nn.Linear(84, 10))


def _torch_mlp() -> torch.nn.Module:
    nn = torch.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def time_epoch_numpy(model, images: np.ndarray, labels: np.ndarray, batch_size: int) -> float:
    order = np.random.default_rng(0).permutation(len(labels))
    start = time.perf_counter()
    for i in range(0, len(labels), batch_size):
        index = order[i:i + batch_size]
        model.zero_grads()
        model.forward(images[index])
        model.get_loss(labels[index])
        model.backward(labels[index])
        model.step()
    return time.perf_counter() - start


def time_epoch_torch(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray, batch_size: int) -> float:
    optimiser = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    order = torch.from_numpy(np.random.default_rng(0).permutation(len(labels)))
    start = time.perf_counter()
    for i in range(0, len(labels), batch_size):
        index = order[i:i + batch_size]
        optimiser.zero_grad()
        F.cross_entropy(model(x[index]), y[index]).backward()
        optimiser.step()
    return time.perf_counter() - start


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def main() -> None:
    print(f"numpy {np.__version__}, torch {torch.__version__}, torch threads {torch.get_num_threads()}, "
          f"CPUs {os.cpu_count()}, repeats {ARGS.repeats}")
    widths = [34, 12, 12, 8]
    print()
    print(_row(["conv forward+backward, batch 64", "numpy (ms)", "torch (ms)", "ratio"], widths))
    ratio_totals = {}
    for dtype in (np.float32, np.float64):
        total_np = total_torch = 0.0
        for name, x_shape, w_shape in CONV_SHAPES:
            t_np, t_torch = time_conv(x_shape, w_shape, dtype, ARGS.repeats)
            total_np, total_torch = total_np + t_np, total_torch + t_torch
            label = f"{name} ({np.dtype(dtype).name})"
            print(_row([label, f"{1e3 * t_np:.2f}", f"{1e3 * t_torch:.2f}", f"{t_np / t_torch:.2f}"], widths))
        ratio_totals[dtype] = total_np / total_torch
        print(_row([f"both layers ({np.dtype(dtype).name})", f"{1e3 * total_np:.2f}", f"{1e3 * total_torch:.2f}",
                    f"{ratio_totals[dtype]:.2f}"], widths))

    if not ARGS.skip_epochs:
        rng = np.random.default_rng(1)
        print()
        print(_row(["one training epoch", "numpy (s)", "torch (s)", "ratio"], widths))
        images = rng.uniform(size=(2000, 1, 28, 28)).astype(np.float32)
        labels = rng.integers(0, 10, size=2000)
        torch.manual_seed(0)
        t_np = time_epoch_numpy(ref.LeNet5(lr=0.02, momentum=0.9), images, labels, 32)
        t_torch = time_epoch_torch(_torch_lenet(), images, labels, 32)
        print(_row(["LeNet-5, 2000 images, batch 32", f"{t_np:.2f}", f"{t_torch:.2f}", f"{t_np / t_torch:.2f}"],
                   widths))
        images = rng.uniform(size=(60000, 1, 28, 28)).astype(np.float32)
        labels = rng.integers(0, 10, size=60000)
        t_np = time_epoch_numpy(ref.MLP([784, 256, 10], lr=0.05, momentum=0.9), images, labels, 64)
        t_torch = time_epoch_torch(_torch_mlp(), images, labels, 64)
        print(_row(["MLP 784-256-10, 60000 images, b. 64", f"{t_np:.2f}", f"{t_torch:.2f}", f"{t_np / t_torch:.2f}"],
                   widths))
        print("(NumPy models compute in float64 as in the notebook, float32 images; torch in float32.)")
    print()
    print(f"conv fwd+bwd numpy/torch ratio (float64): {ratio_totals[np.float64]:.2f}")
    print(f"conv fwd+bwd numpy/torch ratio: {ratio_totals[np.float32]:.2f}")


if __name__ == "__main__":
    main()
