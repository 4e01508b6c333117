"""Notebook 08's LSTM: the reference NumPy solution against PyTorch's nn.LSTM, trained the same way.

    COURSE_DATA_DIR=../shared/data python bench/lstm_numpy_vs_torch.py [--steps 3000] [--threads 1]

Both models are the notebook's (embedding 64, one LSTM layer of 256 units, linear output, 65 characters), start
from the same initial weights (``init_lstm_params``, seed 0) and see the same batches (``bptt_batches``: 64
streams, chunks of 100, state carried) with the same optimizer (Adam, warm-up and cosine from 3e-3 to 1e-4,
global-norm clipping at 5). The NumPy side is the reference solution, taken from the source notebook's solution
cells and trained with ``helpers.language_model.train_language_model``; the PyTorch side is ``nn.Embedding``,
``nn.LSTM``, ``nn.Linear``, ``torch.optim.Adam`` and ``clip_grad_norm_``. Both validation losses are computed by the
grader's ``validation_loss`` (PyTorch, whole validation text).

Prints a table (validation loss, time per training step) and, last, the forward+backward time of one training
chunk measured interleaved (NumPy, PyTorch, NumPy, ...; median CPU time of each), as the line
``lstm fwd+bwd numpy/torch ratio: X.XX``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

ASSIGNMENT = "08_numpy_lstm_shakespeare"
SETTINGS = {"embed_size": 64, "hidden_size": 256, "batch_size": 64, "seq_len": 100, "lr": 3e-3, "lr_min": 1e-4,
            "warmup": 50, "max_norm": 5.0}


def reference_solution() -> dict:
    """The source notebook's solution cells, executed in one namespace (the functions a student writes)."""
    from instructor import notebooks as nbs

    source = nbs.read(REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    namespace: dict = {"np": np, "math": __import__("math")}
    for cell in source.cells:
        if cell.cell_type == "code" and nbs.is_solution(cell):
            exec(nbs.solution_text(cell.source), namespace)  # noqa: S102 - our own reference solution
    return namespace


def torch_model(params: dict[str, np.ndarray]):
    import torch

    V, D = params["E"].shape
    H = params["Wy"].shape[0]
    model = torch.nn.ModuleDict({"E": torch.nn.Embedding(V, D), "lstm": torch.nn.LSTM(D, H),
                                 "out": torch.nn.Linear(H, V)})
    with torch.no_grad():
        model["E"].weight.copy_(torch.from_numpy(params["E"]))
        model["lstm"].weight_ih_l0.copy_(torch.from_numpy(params["W"][:D].T))
        model["lstm"].weight_hh_l0.copy_(torch.from_numpy(params["W"][D:].T))
        model["lstm"].bias_ih_l0.copy_(torch.from_numpy(params["b"]))
        model["lstm"].bias_hh_l0.zero_()
        model["out"].weight.copy_(torch.from_numpy(params["Wy"].T))
        model["out"].bias.copy_(torch.from_numpy(params["by"]))
    return model


def torch_params(model) -> dict[str, np.ndarray]:
    lstm = model["lstm"]
    W = np.concatenate([lstm.weight_ih_l0.detach().numpy().T, lstm.weight_hh_l0.detach().numpy().T])
    return {"E": model["E"].weight.detach().numpy(), "W": W,
            "b": (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy(),
            "Wy": model["out"].weight.detach().numpy().T, "by": model["out"].bias.detach().numpy()}


def torch_step(model, inputs, targets, state):
    """Forward and backward of one chunk: the loss and the (detached) final state."""
    import torch
    import torch.nn.functional as F

    out, state = model["lstm"](model["E"](torch.from_numpy(inputs)), state)
    loss = F.cross_entropy(model["out"](out).reshape(-1, model["out"].out_features),
                           torch.from_numpy(targets.reshape(-1)))
    model.zero_grad(set_to_none=True)
    loss.backward()
    return float(loss.detach()), tuple(s.detach() for s in state)


def train_torch(params, train_ids, steps, seed=0) -> tuple[dict, float]:
    import torch

    from helpers.optimizers import warmup_cosine
    from helpers.shakespeare import bptt_batches

    s = SETTINGS
    model = torch_model(params)
    optimizer = torch.optim.Adam(model.parameters(), lr=s["lr"])
    H = s["hidden_size"]
    state = (torch.zeros(1, s["batch_size"], H), torch.zeros(1, s["batch_size"], H))
    batches = bptt_batches(train_ids, s["batch_size"], s["seq_len"], seed=seed)
    seconds = 0.0
    for step in range(1, steps + 1):
        start = time.perf_counter()
        new_epoch, inputs, targets = next(batches)
        if new_epoch:
            state = tuple(torch.zeros_like(t) for t in state)
        for group in optimizer.param_groups:
            group["lr"] = warmup_cosine(step - 1, steps, s["lr"], s["lr_min"], s["warmup"])
        _, state = torch_step(model, inputs, targets, state)
        torch.nn.utils.clip_grad_norm_(model.parameters(), s["max_norm"])
        optimizer.step()
        seconds += time.perf_counter() - start
    return torch_params(model), seconds / steps


def interleaved_fwd_bwd(ns, params, train_ids, reps: int) -> tuple[float, float]:
    """Median CPU seconds of one forward+backward of a training chunk, NumPy and PyTorch taking turns."""
    import torch

    from helpers.shakespeare import bptt_batches

    s = SETTINGS
    _, inputs, targets = next(bptt_batches(train_ids, s["batch_size"], s["seq_len"]))
    model = torch_model(params)
    h = np.zeros((s["batch_size"], s["hidden_size"]), np.float32)
    state = (torch.zeros(1, s["batch_size"], s["hidden_size"]),) * 2
    numpy_times, torch_times = [], []
    for rep in range(reps + 2):  # two warm-up rounds
        start = time.process_time()
        ns["model_loss"](params, inputs, targets, h, h)
        middle = time.process_time()
        torch_step(model, inputs, targets, state)
        end = time.process_time()
        if rep >= 2:
            numpy_times.append(middle - start)
            torch_times.append(end - middle)
    return statistics.median(numpy_times), statistics.median(torch_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3000, help="training steps of each model (the notebook's 3000)")
    parser.add_argument("--threads", type=int, default=1, help="threads of both libraries (set before NumPy loads)")
    parser.add_argument("--reps", type=int, default=20, help="interleaved forward+backward repetitions")
    args = parser.parse_args()
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    if any(os.environ.get(name) != str(args.threads) for name in names):  # BLAS reads them when NumPy loads
        os.environ.update({name: str(args.threads) for name in names})
        os.execv(sys.executable, [sys.executable, *sys.argv])
    import torch

    torch.set_num_threads(args.threads)

    from helpers.language_model import init_lstm_params, train_language_model
    from helpers.shakespeare import Vocabulary, load_shakespeare, split_train_val
    from instructor.grading.a08_numpy_lstm_shakespeare import validation_loss

    text = load_shakespeare()
    vocab = Vocabulary.from_text(text)
    train_ids, val_ids = split_train_val(vocab.encode(text))
    ns = reference_solution()
    s = SETTINGS
    init = init_lstm_params(len(vocab), s["embed_size"], s["hidden_size"], seed=0, forget_bias=1.0)
    print(f"{text.description}: {len(train_ids):,} training and {len(val_ids):,} validation characters; "
          f"{args.steps} steps of batch {s['batch_size']} x {s['seq_len']}; {args.threads} thread(s)", flush=True)

    numpy_params = {k: v.copy() for k, v in init.items()}
    history = train_language_model(ns["model_loss"], ns["clip_by_global_norm"], numpy_params, train_ids, val_ids,
                                   steps=args.steps, batch_size=s["batch_size"], seq_len=s["seq_len"], lr=s["lr"],
                                   lr_min=s["lr_min"], warmup=s["warmup"], max_norm=s["max_norm"],
                                   eval_every=args.steps, verbose=False)
    numpy_step = history.seconds[-1] / args.steps
    torch_trained, torch_step_seconds = train_torch({k: v.copy() for k, v in init.items()}, train_ids, args.steps)
    rows = [("NumPy (reference solution)", validation_loss(numpy_params, val_ids), numpy_step),
            ("PyTorch nn.LSTM", validation_loss(torch_trained, val_ids), torch_step_seconds)]
    print("\n| model | validation loss (nats/char) | bits/char | training step (ms, wall) |\n|---|---:|---:|---:|")
    for name, loss, step in rows:
        print(f"| {name} | {loss:.4f} | {loss / np.log(2):.4f} | {1000 * step:.1f} |")
    print(f"\nvalidation loss, NumPy - PyTorch: {rows[0][1] - rows[1][1]:+.4f} nats")
    numpy_fb, torch_fb = interleaved_fwd_bwd(ns, numpy_params, train_ids, args.reps)
    print(f"forward+backward of one chunk (median CPU time of {args.reps}, interleaved): "
          f"NumPy {1000 * numpy_fb:.1f} ms, PyTorch {1000 * torch_fb:.1f} ms")
    print(f"lstm fwd+bwd numpy/torch ratio: {numpy_fb / torch_fb:.2f}")


if __name__ == "__main__":
    main()
