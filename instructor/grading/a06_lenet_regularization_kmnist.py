"""Hidden tests of notebook 06 (LeNet-5 with dropout, weight decay or batch norm on FashionMNIST; a CNN for KMNIST).

One ``grade_<task>`` function per test cell; each takes the student's objects that the cell grades and raises
:class:`helpers.checks.CheckFailed` naming the task when something is wrong. The performance cells' functions return
the points instead (nbgrader scores a test cell whose last expression is a number that many points).

Isolation: every task is graded on its own. The models are checked against functional oracles that read the
student's own layers; the optimizer, the accuracy and the training epoch are graded on small reference networks
built here (never on the student's ``LeNet5``); the plot, the table and the learning-rate choice on histories
built here; the activation maps on a reference convolution. Inputs are fresh copies, and a task that modifies its
inputs in place fails with a message that says so. The performance cells grade the handed-in weight files through
the student's own class (their architecture) and fall back to the model the notebook trained only when no file is
graded, so a broken training cell does not cost the points of handed-in weights.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers.checks import (
    CheckFailed,
    bracket_points,
    call_quietly,
    expect_close,
    expect_shape,
    not_handed_in,
    unchanged,
)
from helpers.checks.a06_lenet_regularization_kmnist import VARIANTS, named_test_model
from helpers.data import load_images
from helpers.training_torch import AccuracyHistory
from instructor.grading import GradRecorder

CPU = torch.device("cpu")

# ---------------------------------------------------------------------------------------------------------------
# Shared tools: snapshots of inputs (to detect changes in place), layer checks, reference histories
# ---------------------------------------------------------------------------------------------------------------


def _snapshot(value: Any) -> Any:
    """A deep, plain copy of ``value`` (tensors as NumPy arrays, models as their state, histories as dicts)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone().numpy()
    if isinstance(value, nn.Module):
        return {name: _snapshot(v) for name, v in value.state_dict().items()}
    if isinstance(value, AccuracyHistory):
        return _snapshot(value.as_dict())
    if isinstance(value, Mapping):
        return {key: _snapshot(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_snapshot(v) for v in value]
    return copy.deepcopy(value)


def _expect_untouched(task: str, what: str, before: Any, value: Any) -> None:
    """Fail unless ``value`` still equals its snapshot ``before``: ``task`` must not modify its inputs in place."""
    if not unchanged(before, _snapshot(value)):
        raise CheckFailed(f"{task} modified {what} in place, which its caller still uses: compute new values "
                          "(or work on a copy) and leave the inputs as they were.")


def _n_params(shapes: Mapping[str, tuple[int, ...]]) -> int:
    """The parameters of layers with these weight shapes, a bias of size ``shape[0]`` each."""
    return sum(int(np.prod(shape)) + shape[0] for shape in shapes.values())


def _expect_layers(model: Any, label: str, shapes: Mapping[str, tuple[int, ...]], extra: int = 0) -> None:
    """The layers named in ``shapes`` with those weight shapes, and ``_n_params(shapes) + extra`` parameters."""
    if not isinstance(model, nn.Module):
        raise CheckFailed(f"{label} should be an nn.Module, but it is a value of type {type(model).__name__}.")
    for name, shape in shapes.items():
        if not isinstance(getattr(getattr(model, name, None), "weight", None), torch.Tensor):
            raise CheckFailed(f"{label} should have a layer `self.{name}` with a weight (keep the names of the table).")
        expect_shape(getattr(model, name).weight, shape, f"{label}.{name}.weight")
    count = sum(p.numel() for p in model.parameters())
    if count != _n_params(shapes) + extra:
        raise CheckFailed(f"{label} has {count} parameters, expected {_n_params(shapes) + extra}.")


def _construct(cls: Callable[..., Any], label: str, signature: str, *args: Any, **kwargs: Any) -> Any:
    """``cls(*args, **kwargs)``, failing with the constructor's signature when the arguments are not accepted."""
    try:
        return call_quietly(cls, *args, **kwargs)
    except TypeError as error:
        raise CheckFailed(f"{label} could not be built ({error}); the task asks for {signature}.") from None


def _history(train_acc: list[float], val_acc: list[float], test_acc: list[float],
             train_loss: list[float] | None = None) -> AccuracyHistory:
    """An AccuracyHistory of epochs 1, 2, ... with these accuracies (and losses; 1.0 when not given)."""
    history = AccuracyHistory()
    losses = [1.0] * len(train_acc) if train_loss is None else train_loss
    for epoch, (loss, train, val, test) in enumerate(zip(losses, train_acc, val_acc, test_acc), start=1):
        history.record(epoch=epoch, train_loss=float(loss), train_acc=float(train), val_acc=float(val),
                       test_acc=float(test), seconds=1.0)
    return history


# ---------------------------------------------------------------------------------------------------------------
# A.2 LeNet5
# ---------------------------------------------------------------------------------------------------------------

LENET_SHAPES = {"conv1": (6, 1, 5, 5), "conv2": (16, 6, 5, 5), "fc1": (120, 400), "fc2": (84, 120), "fc3": (10, 84)}
LENET_BN = {"bn1": 6, "bn2": 16, "bn3": 120, "bn4": 84}  # the batch-norm layers and their sizes
LENET_DEFAULT_DROPOUT = 0.3
BN_MOMENTUM = 0.1  # nn.BatchNorm's default: running = 0.9 * running + 0.1 * batch statistic
BN_EPS = 1e-5  # nn.BatchNorm's default, as the table asks (BatchNorm2d(6) etc.)


def _norm(h: torch.Tensor, bn: Any, train: bool) -> torch.Tensor:
    """Batch normalization with ``bn``'s parameters: batch statistics in training (which also update ``bn``'s
    running statistics in place), running statistics in evaluation."""
    return F.batch_norm(h, bn.running_mean, bn.running_var, bn.weight, bn.bias, train, BN_MOMENTUM, BN_EPS)


def _lenet_oracle(m: Any, x: torch.Tensor, use_bn: bool, p: float, train: bool) -> torch.Tensor:
    """LeNet-5's forward pass computed from ``m``'s layers (conv1..fc3, bn1..bn4 when ``use_bn``)."""
    h = F.conv2d(x, m.conv1.weight, m.conv1.bias, padding=2)
    h = F.max_pool2d(F.relu(_norm(h, m.bn1, train) if use_bn else h), 2)
    h = F.conv2d(h, m.conv2.weight, m.conv2.bias)
    h = F.max_pool2d(F.relu(_norm(h, m.bn2, train) if use_bn else h), 2).flatten(1)
    h = F.linear(h, m.fc1.weight, m.fc1.bias)
    h = F.dropout(F.relu(_norm(h, m.bn3, train) if use_bn else h), p, train)
    h = F.linear(h, m.fc2.weight, m.fc2.bias)
    h = F.dropout(F.relu(_norm(h, m.bn4, train) if use_bn else h), p, train)
    return F.linear(h, m.fc3.weight, m.fc3.bias)


def _expect_batch_norms(model: Any, label: str) -> None:
    """bn1..bn4 are batch-norm layers of the right sizes, with running statistics and an affine part."""
    for name, size in LENET_BN.items():
        bn = getattr(model, name, None)
        if (not isinstance(bn, nn.modules.batchnorm._BatchNorm) or bn.num_features != size
                or bn.running_mean is None or bn.weight is None):
            raise CheckFailed(f"{label}.{name} should be a batch-norm layer of {size} features with running "
                              f"statistics and a scale and shift (nn.BatchNorm{'2' if size < 20 else '1'}d({size})).")


def grade_lenet5(LeNet5: Callable[..., Any]) -> None:
    """Every variant, built as the notebook builds it (``LeNet5(variant, dropout=p)``) and with the default dropout:
    the layers and parameter count, then the forward pass against an oracle in evaluation mode (batch norm with
    random running statistics) and in training mode (dropout masks drawn from the same seed, batch statistics),
    and the running statistics that a training-mode pass must update."""
    gen = torch.Generator().manual_seed(621)
    cases = [(variant, {"dropout": 0.45}) for variant in VARIANTS] + [("dropout", {})]
    for variant, kwargs in cases:
        label = f"LeNet5({variant!r}{', dropout=0.45' if kwargs else ''})"
        p = kwargs.get("dropout", LENET_DEFAULT_DROPOUT) if variant == "dropout" else 0.0
        use_bn = variant == "batchnorm"
        torch.manual_seed(622)
        model = _construct(LeNet5, label, '__init__(self, regularizer="none", dropout=0.3)', variant, **kwargs)
        _expect_layers(model, label, LENET_SHAPES, extra=2 * sum(LENET_BN.values()) if use_bn else 0)
        if use_bn:
            _expect_batch_norms(model, label)
            with torch.no_grad():
                for name in LENET_BN:
                    bn = getattr(model, name)
                    bn.running_mean.uniform_(-0.5, 0.5, generator=gen)
                    bn.running_var.uniform_(0.5, 2.0, generator=gen)
                    bn.weight.uniform_(0.5, 1.5, generator=gen)
                    bn.bias.uniform_(-0.3, 0.3, generator=gen)
        x = torch.rand(6, 1, 28, 28, generator=gen) * 2
        x_before = _snapshot(x)
        where = ("dropout with probability `dropout` after the ReLUs of fc1 and fc2 only" if variant == "dropout"
                 else "batch norm between each convolution or affine layer and its ReLU" if use_bn
                 else "no dropout and no batch norm in this variant")
        with torch.no_grad():
            model.eval()
            got = call_quietly(model, x)
            _expect_untouched(f"{label}.forward", "its input x", x_before, x)
            expect_close(got, _lenet_oracle(model, x, use_bn, p, False), f"{label} in eval mode",
                         rtol=1e-4, atol=1e-5, hint=f"the table's layers; {where}; in eval mode no unit is dropped.")
            model.train()
            frozen = copy.deepcopy(model)
            torch.manual_seed(623)
            out = call_quietly(model, x)
            torch.manual_seed(623)
            want = _lenet_oracle(frozen, x, use_bn, p, True)  # also updates frozen's running statistics
            expect_close(out, want, f"{label} in training mode", rtol=1e-4, atol=1e-5, hint=f"{where}.")
        for name in LENET_BN if use_bn else ():
            for stat in ("running_mean", "running_var"):
                expect_close(getattr(getattr(model, name), stat), getattr(getattr(frozen, name), stat),
                             f"{label}.{name}.{stat} after one forward pass in training mode", rtol=1e-4, atol=1e-6,
                             hint="a training-mode pass updates the running statistics with PyTorch's default "
                                  "momentum 0.1 (0.9 * old + 0.1 * batch statistic): nn.BatchNorm2d(6) etc. with "
                                  "their default arguments.")


# ---------------------------------------------------------------------------------------------------------------
# A.3 make_optimizer
# ---------------------------------------------------------------------------------------------------------------


def _optimizer_decays(opt: Any, model: nn.Module, label: str, regularizer: str, lr: float,
                      weight_decay: float) -> dict[int, float]:
    """Check that ``opt`` is Adam over every parameter once, at ``lr``, with the weight decay the variant asks for;
    return each parameter's decay by ``id``."""
    if not isinstance(opt, torch.optim.Adam):
        raise CheckFailed(f"{label} should return torch.optim.Adam, got {type(opt).__name__}.")
    decay_of, seen = {}, 0
    for group in opt.param_groups:
        if not np.isclose(group["lr"], lr):
            raise CheckFailed(f"{label}: a parameter group has learning rate {group['lr']}, expected {lr}.")
        if group.get("amsgrad") or tuple(group.get("betas", (0.9, 0.999))) != (0.9, 0.999) \
                or not np.isclose(group.get("eps", 1e-8), 1e-8):
            raise CheckFailed(f"{label}: use Adam with its default betas (0.9, 0.999), eps 1e-8 and no AMSGrad; "
                              "only the learning rate and the weight decay are the task's.")
        for q in group["params"]:
            decay_of[id(q)] = float(group.get("weight_decay", 0.0))
            seen += 1
    if seen != len(decay_of) or set(decay_of) != {id(q) for q in model.parameters()}:
        raise CheckFailed(f"{label}: the optimizer must hold every parameter of the model exactly once.")
    for name, q in model.named_parameters():
        d, is_weight = decay_of[id(q)], q.dim() > 1  # the weights of conv1, fc1 and fc2
        if regularizer == "weight_decay" and is_weight and not np.isclose(d, weight_decay):
            raise CheckFailed(f"{label}: {name} is decayed with {d}, expected {weight_decay} for 'weight_decay'.")
        if regularizer == "weight_decay" and not is_weight and not (np.isclose(d, weight_decay) or d == 0):
            raise CheckFailed(f"{label}: {name} is decayed with {d}; use 0 or {weight_decay}.")
        if regularizer != "weight_decay" and d != 0:
            raise CheckFailed(f"{label}: {name} is decayed with {d} in the {regularizer!r} variant, which has no "
                              "weight decay.")
    return decay_of


def _adam_oracle(w: torch.Tensor, grads: list[torch.Tensor], lr: float, decay: float) -> torch.Tensor:
    """``w`` after Adam steps (default betas and eps) with the L2 term ``decay * w`` added to each gradient."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    w = w.detach().double().clone()
    m, v = torch.zeros_like(w), torch.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        g = g.double() + decay * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        w = w - lr * (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps)
    return w


def _signed_uniform(shape: torch.Size, low: float, high: float, gen: torch.Generator) -> torch.Tensor:
    """Values of random sign whose sizes are uniform in [low, high]."""
    size = low + (high - low) * torch.rand(shape, generator=gen)
    return torch.where(torch.rand(shape, generator=gen) < 0.5, -size, size)


def grade_make_optimizer(make_optimizer: Callable[..., Any]) -> None:
    """For every variant, called as the notebook calls it (positional arguments): Adam over every parameter once,
    the given rate, weight decay on every weight for 'weight_decay' only; the model is left unchanged; and three
    steps from given gradients move the parameters exactly as Adam with L2 weight decay (not AdamW)."""
    rng = np.random.default_rng(631)
    gen = torch.Generator().manual_seed(632)
    for variant in VARIANTS:
        label = f"make_optimizer(model, {variant!r}, lr, weight_decay)"
        lr, wd = float(rng.uniform(1e-4, 1e-2)), float(rng.uniform(1e-5, 1e-2))
        model = named_test_model()
        before = _snapshot(model)
        opt = call_quietly(make_optimizer, model, variant, lr, wd)
        _optimizer_decays(opt, model, label, variant, lr, wd)
        _expect_untouched(label, "the model's parameters", before, model)
        # the steps: a decay large enough to tell L2 (added to the gradient) from decoupled decay, and weights and
        # gradients of sizes that never cancel (|gradient| > 2 * lambda * |w|), so float32 rounding stays tiny
        lr, wd = 0.01, 0.1
        model = named_test_model()
        params = dict(model.named_parameters())
        with torch.no_grad():
            for q in params.values():
                q.copy_(_signed_uniform(q.shape, 0.05, 0.1, gen))
        opt = call_quietly(make_optimizer, model, variant, lr, wd)
        decay_of = _optimizer_decays(opt, model, label, variant, lr, wd)
        grads = {name: [_signed_uniform(q.shape, 0.02, 0.04, gen) for _ in range(3)] for name, q in params.items()}
        want = {name: _adam_oracle(q, grads[name], lr, decay_of[id(q)]) for name, q in params.items()}
        for step in range(3):
            for name, q in params.items():
                q.grad = grads[name][step].clone()
            call_quietly(opt.step)
        for name, q in params.items():
            expect_close(q, want[name], f"{name} after three steps of {label}", rtol=1e-5, atol=1e-6,
                         hint="torch.optim.Adam with its `weight_decay` argument (lambda * w added to the gradient) "
                              "and default betas and eps; AdamW decays the weights differently.")


# ---------------------------------------------------------------------------------------------------------------
# A.4 evaluate_accuracy
# ---------------------------------------------------------------------------------------------------------------


def grade_evaluate_accuracy(evaluate_accuracy: Callable[..., Any]) -> None:
    """A reference network with dropout and batch norm (random running statistics), handed over in training mode:
    the accuracy must be that of its evaluation-mode predictions, counted over every example for batch sizes that do
    not divide the data; without gradients, and without changing the model or the data."""
    task = "evaluate_accuracy"
    gen = torch.Generator().manual_seed(641)
    torch.manual_seed(642)
    net = nn.Sequential(nn.Conv2d(1, 3, 5), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 24 * 24, 40),
                        nn.ReLU(), nn.Dropout(0.6), nn.Linear(40, 10))
    net[1].running_mean.uniform_(-1.0, 1.0, generator=gen)
    net[1].running_var.uniform_(0.2, 3.0, generator=gen)
    x = torch.rand(150, 1, 28, 28, generator=gen)
    net.eval()
    with torch.no_grad():
        pred = net(x).argmax(1)
    y = pred.clone()
    y[::3] = (y[::3] + 1) % 10
    want = (pred == y).double().sum().item() / len(y)
    for batch_size in (32, 150, 7):
        model = GradRecorder(net)
        model.train()
        before = _snapshot({"model": model, "x": x, "y": y})
        acc = call_quietly(evaluate_accuracy, model, DataLoader(TensorDataset(x, y), batch_size=batch_size), CPU)
        expect_close(expect_shape(acc, (), f"the value returned by {task}"), want,
                     f"{task} on a network with dropout and batch norm (batch size {batch_size})", rtol=1e-6,
                     hint="model.eval() switches dropout off and makes batch norm use its running statistics.")
        _expect_untouched(task, "the model or the loader's data", before, {"model": model, "x": x, "y": y})
        if any(model.grad_enabled):
            raise CheckFailed(f"{task} runs the model with gradients enabled: evaluate inside `with torch.no_grad():` "
                              "(no graph is needed, and building one costs memory and time).")


# ---------------------------------------------------------------------------------------------------------------
# A.5 train_one_epoch
# ---------------------------------------------------------------------------------------------------------------


def grade_train_one_epoch(train_one_epoch: Callable[..., Any]) -> None:
    """One epoch on a reference network with batch norm (handed over in evaluation mode), with momentum SGD and a
    label-smoothing loss: every weight and running statistic must equal those of a reference epoch (model.train(),
    then per batch zero_grad, loss_fn, backward, step), and the returned loss the mean over the examples (the mean
    over the batches is accepted); the data must not change."""
    task = "train_one_epoch"
    gen = torch.Generator().manual_seed(651)
    torch.manual_seed(652)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(4 * 13 * 13, 10))
    x = torch.rand(40, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (40,), generator=gen)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.2)
    oracle = copy.deepcopy(net)
    oracle.train()
    opt_oracle = torch.optim.SGD(oracle.parameters(), lr=0.2, momentum=0.9)
    parts = []
    for i in range(0, 40, 16):
        xb, yb = x[i:i + 16], y[i:i + 16]
        opt_oracle.zero_grad()
        loss = loss_fn(oracle(xb), yb)
        loss.backward()
        opt_oracle.step()
        parts.append((loss.item(), len(yb)))
    weighted = sum(a * n for a, n in parts) / 40
    unweighted = sum(a for a, _ in parts) / len(parts)
    net.eval()
    opt = torch.optim.SGD(net.parameters(), lr=0.2, momentum=0.9)
    data_before = _snapshot([x, y])
    got = call_quietly(train_one_epoch, net, DataLoader(TensorDataset(x, y), batch_size=16), opt, loss_fn, CPU)
    _expect_untouched(task, "the loader's data", data_before, [x, y])
    for (name, value), expected in zip(net.state_dict().items(), oracle.state_dict().values()):
        expect_close(value.double(), expected.double(), f"{name} after one epoch of {task}", rtol=1e-4, atol=1e-6,
                     hint="model.train(), then per batch: zero_grad, loss_fn(model(x), y), backward, step.")
    got = float(expect_shape(got, (), f"the value returned by {task}"))
    if not (np.isclose(got, weighted, rtol=1e-5) or np.isclose(got, unweighted, rtol=1e-5)):
        raise CheckFailed(f"{task} returned {got:.6f}; the mean loss of the epoch is {weighted:.6f}.")


# ---------------------------------------------------------------------------------------------------------------
# A.6 and B.4: the test accuracy of the handed-in weights (the performance cells return their points)
# ---------------------------------------------------------------------------------------------------------------

LENET_BRACKETS = {True: [(0.90, 2.0), (0.88, 1.5), (0.85, 1.0), (0.80, 0.5)],  # real test set (per variant)
                  False: [(0.60, 2.0), (0.30, 1.0)]}  # synthetic stand-in: the quick run must learn
KMNIST_BRACKETS = {True: [(0.95, 6.0), (0.93, 4.5), (0.90, 3.0), (0.85, 1.5)], False: [(0.50, 6.0), (0.25, 3.0)]}


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:200]


def _handed_in(label: str, build: Callable[[], Any], file: Path, what: str) -> Any | None:
    """A fresh model from ``build`` with the weights of ``file``, or None (and a line saying why) when they do not
    load (a damaged file, or weights of another architecture)."""
    try:
        model = call_quietly(build)
        model.load_state_dict(torch.load(file, map_location="cpu", weights_only=True))
    except Exception as error:  # whatever the file or the class does, it costs these points only
        print(f"{label}{file} does not load into {what}: {_first_line(error)} -> 0 points")
        return None
    return model


def _trained(label: str, trained: Callable[[], Any]) -> Any | None:
    """A copy of the model the notebook trained (``trained()``), or None when there is none."""
    try:
        return copy.deepcopy(trained())
    except (NameError, KeyError, TypeError) as error:
        print(f"{label}no model was trained in this notebook ({_first_line(error)}) -> 0 points")
        return None


def _test_accuracy(model: Any, x: torch.Tensor, y: torch.Tensor) -> float:
    """The accuracy of ``model`` (moved to the CPU, in evaluation mode) on the test set, in batches of 1000."""
    model = model.cpu().eval()
    with torch.no_grad():
        correct = sum((call_quietly(model, x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
                      for i in range(0, len(y), 1000))
    return correct / len(y)


def _score(label: str, build: Callable[[], Any], what: str, file: Path, trained: Callable[[], Any], quick_run: str,
           test: Any, brackets: Mapping[bool, list[tuple[float, float]]], unit: str) -> float:
    """The points of one model: the weights of ``file`` when the test set is the real one and the file is there,
    else (saying which file was missing, on real data) the model the notebook trained."""
    real = test.source == "real"
    if real and file.exists():
        model, origin = _handed_in(label, build, file, what), str(file)
    else:
        model, origin = _trained(label, trained), "the model trained in this notebook"
        if real:
            not_handed_in(str(file), quick_run)
    if model is None:
        return 0.0
    x, y = torch.from_numpy(test.images), torch.from_numpy(test.labels)
    acc = _test_accuracy(model, x, y)
    points = bracket_points(acc, brackets[real])
    print(f"{label}test accuracy {100 * acc:.2f} % on {len(y)} {test.source} images ({origin}): {points:g} {unit}")
    return points


def grade_lenet_performance(LeNet5: Callable[..., Any],
                            trained: Callable[[], Mapping[str, Any]]) -> float:
    """The points of the four variants' test accuracies (2 each): ``lenet_<variant>.pt`` loaded into
    ``LeNet5(variant)`` on the real FashionMNIST test set, else the model of ``trained()[variant]`` (``trained``
    returns the notebook's ``lenet_models``; it is called only when needed, and its models are not changed)."""
    test = load_images("FashionMNIST", train=False)
    total = 0.0
    for variant in VARIANTS:
        total += _score(f"{variant:>13}: ", lambda v=variant: LeNet5(v), f"LeNet5({variant!r})",
                        Path(f"lenet_{variant}.pt"), lambda v=variant: trained()[v],
                        f"the {variant} model this notebook trained under the autograder "
                        "(a quick run of 3 epochs on 512 images)", test, LENET_BRACKETS, "points")
    return total


def grade_kmnist_performance(KMNISTCNN: Callable[..., Any], trained: Callable[[], Any]) -> float:
    """The points (6) of the KMNIST test accuracy: ``kmnist_cnn.pt`` loaded into ``KMNISTCNN()`` on the real test
    set, else a copy of ``trained()`` (the notebook's ``kmnist_model``, called only when needed)."""
    test = load_images("KMNIST", train=False)
    return _score("", KMNISTCNN, "KMNISTCNN()", Path("kmnist_cnn.pt"), trained,
                  "the model this notebook trained under the autograder (a quick run)", test, KMNIST_BRACKETS,
                  "of 6 points")


# ---------------------------------------------------------------------------------------------------------------
# A.7 plot_convergence and accuracy_table
# ---------------------------------------------------------------------------------------------------------------


def grade_plot_convergence(plot_convergence: Callable[..., Any]) -> None:
    """Lines labelled 'train' and 'test' showing the history's accuracies in percent against its epochs, the title
    and the axis labels; the history must not change (the table is computed from it later)."""
    import matplotlib.pyplot as plt

    task = "plot_convergence"
    rng = np.random.default_rng(661)
    values = [[float(rng.uniform(0.5, 1)) for _ in range(3)] for _ in range(5)]  # per epoch: train, val, test
    h = _history(*zip(*values), train_loss=[1.0 / e for e in range(1, 6)])
    before = _snapshot(h)
    fig, (ax, other) = plt.subplots(1, 2)
    plt.sca(other)  # the axes handed over is not the current one: drawing with plt.* lands elsewhere
    try:
        call_quietly(plot_convergence, ax, h, "Variant X")
        lines = {line.get_label().lower(): line for line in ax.get_lines()}
        title, xlabel, ylabel = ax.get_title(), ax.get_xlabel(), ax.get_ylabel()
    finally:
        plt.close(fig)
    _expect_untouched(task, "the history", before, h)
    for split in ("train", "test"):
        line = next((line for key, line in lines.items() if key.startswith(split)), None)
        if line is None:
            raise CheckFailed(f"{task}: no line labelled {split!r}; labels found: {sorted(lines)}")
        xd, yd = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        if xd.shape != (5,) or not np.allclose(xd, h.epoch):
            raise CheckFailed(f"{task}: the {split} line should be drawn against history.epoch.")
        if yd.shape != (5,) or not np.allclose(yd, 100 * np.asarray(getattr(h, f"{split}_acc"))):
            raise CheckFailed(f"{task}: the {split} line should show history.{split}_acc in percent.")
    if "Variant X" not in title:
        raise CheckFailed(f"{task}: the title should be the `title` argument.")
    if "epoch" not in xlabel.lower() or "acc" not in ylabel.lower():
        raise CheckFailed(f"{task}: the axis labels should be 'epoch' and 'accuracy (%)'.")


def grade_accuracy_table(accuracy_table: Callable[..., Any]) -> None:
    """The (train, test) accuracy of the first epoch of best validation accuracy, per history (a tie in 'a')."""
    task = "accuracy_table"
    histories = {"a": _history([0.81, 0.87, 0.91, 0.93, 0.95, 0.97], [0.80, 0.86, 0.90, 0.88, 0.90, 0.89],
                               [0.79, 0.85, 0.88, 0.87, 0.92, 0.91]),
                 "b": _history([0.72, 0.78, 0.79, 0.80, 0.81, 0.82], [0.70, 0.75, 0.74, 0.71, 0.72, 0.73],
                               [0.69, 0.74, 0.76, 0.70, 0.71, 0.72])}
    before = _snapshot(histories)
    table = call_quietly(accuracy_table, histories)
    _expect_untouched(task, "the histories", before, histories)
    if not isinstance(table, Mapping) or set(table) != {"a", "b"}:
        raise CheckFailed(f"{task} should return a dict with one entry per history.")
    expect_close(table["a"], [0.91, 0.88], f"{task}(...)['a'] (best validation at epochs 3 and 5: the first)")
    expect_close(table["b"], [0.78, 0.74], f"{task}(...)['b'] (best validation at epoch 2)")


# ---------------------------------------------------------------------------------------------------------------
# B.2 KMNISTCNN and B.3 its loss
# ---------------------------------------------------------------------------------------------------------------


def _kmnist_shapes(classes: int) -> dict[str, tuple[int, ...]]:
    return {"conv1": (8, 1, 5, 5), "conv2": (16, 8, 3, 3), "fc1": (600, 576), "fc2": (120, 600), "fc3": (classes, 120)}


def _kmnist_oracle(m: Any, x: torch.Tensor, p: float, train: bool) -> torch.Tensor:
    """The B.2 network's forward pass computed from ``m``'s layers."""
    h = F.max_pool2d(F.relu(F.conv2d(x, m.conv1.weight, m.conv1.bias, padding=2)), 2, 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, m.conv2.weight, m.conv2.bias)), 2, 2).flatten(1)
    h = F.dropout(F.relu(F.linear(h, m.fc1.weight, m.fc1.bias)), p, train)
    h = F.relu(F.linear(h, m.fc2.weight, m.fc2.bias))
    return F.log_softmax(F.linear(h, m.fc3.weight, m.fc3.bias), dim=1)


def grade_kmnist_cnn(KMNISTCNN: Callable[..., Any]) -> None:
    """``KMNISTCNN()`` and ``KMNISTCNN(num_classes=7, dropout=0.5)``: the layers and parameter count, conv1 keeping
    28 x 28, and the forward pass against an oracle in evaluation and in training mode (dropout after fc1)."""
    gen = torch.Generator().manual_seed(671)
    for kwargs in ({}, {"num_classes": 7, "dropout": 0.5}):
        classes, p = kwargs.get("num_classes", 10), kwargs.get("dropout", 0.3)
        label = f"KMNISTCNN({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
        torch.manual_seed(672)
        model = _construct(KMNISTCNN, label, "__init__(self, num_classes=10, dropout=0.3)", **kwargs)
        _expect_layers(model, label, _kmnist_shapes(classes))
        x = torch.rand(5, 1, 28, 28, generator=gen)
        x_before = _snapshot(x)
        with torch.no_grad():
            expect_shape(call_quietly(model.conv1, x.clone()), (5, 8, 28, 28),
                         f"{label}.conv1(x) (padding must preserve the size)")
            model.eval()
            got = call_quietly(model, x)
            _expect_untouched(f"{label}.forward", "its input x", x_before, x)
            expect_close(got, _kmnist_oracle(model, x, p, False), f"{label} in eval mode", rtol=1e-4, atol=1e-5)
            model.train()
            torch.manual_seed(673)
            out = call_quietly(model, x)
            torch.manual_seed(673)
            expect_close(out, _kmnist_oracle(model, x, p, True), f"{label} in training mode (dropout after fc1)",
                         rtol=1e-4, atol=1e-5)


def grade_kmnist_loss(kmnist_loss_fn: Callable[..., Any]) -> None:
    """The mean of -score[i, y_i] for scores that are not normalized (so a second log-softmax shows)."""
    gen = torch.Generator().manual_seed(681)
    scores = torch.randn(9, 10, generator=gen) * 3
    y = torch.randint(0, 10, (9,), generator=gen)
    before = _snapshot([scores, y])
    want = -scores[torch.arange(9), y].double().mean().item()
    got = call_quietly(kmnist_loss_fn, scores, y)
    _expect_untouched("kmnist_loss_fn", "the scores or the labels", before, [scores, y])
    expect_close(float(expect_shape(got, (), "kmnist_loss_fn(scores, y)")), want, "kmnist_loss_fn(scores, y)",
                 rtol=1e-5, hint="the scores are log-probabilities already: do not apply a (log-)softmax again.")


# ---------------------------------------------------------------------------------------------------------------
# B.4 best_learning_rate and B.5 first_conv_maps
# ---------------------------------------------------------------------------------------------------------------


def _run(train_loss: list[float], val: list[float], test: list[float]) -> AccuracyHistory:
    """A learning-rate run's history (training accuracy 1 - loss)."""
    return _history([1 - loss for loss in train_loss], val, test, train_loss=train_loss)


def grade_best_learning_rate(best_learning_rate: Callable[..., Any]) -> None:
    """The rate of the highest validation accuracy of any epoch (not the last epoch, not the training loss, not the
    test accuracy), the first on ties; the histories must not change."""
    task = "best_learning_rate"
    cases = [({1e-5: _run([2.0, 1.9, 1.8], [0.50, 0.55, 0.58], [0.51, 0.56, 0.59]),
               5e-4: _run([0.6, 0.3, 0.2], [0.90, 0.95, 0.93], [0.89, 0.93, 0.94]),
               1e-2: _run([0.5, 0.2, 0.1], [0.91, 0.92, 0.94], [0.92, 0.94, 0.96])},
              5e-4, "the highest validation accuracy (0.95) was reached with 0.0005"),
             ({0.1: _run([1.0, 0.5], [0.7, 0.8], [0.7, 0.9]), 0.2: _run([1.0, 0.4], [0.8, 0.7], [0.6, 0.6])},
              0.1, "on a tie of the best validation accuracies, return the first learning rate"),
             ({0.1: _run([1.0, 0.6, 0.5], [0.60, 0.96, 0.62], [0.6, 0.9, 0.6]),
               0.2: _run([1.0, 0.5, 0.4], [0.90, 0.93, 0.94], [0.9, 0.9, 0.9])},
              0.1, "the best validation accuracy of any epoch decides (0.96 with 0.1), not the mean or the sum")]
    for histories, want, why in cases:
        before = _snapshot(histories)
        got = call_quietly(best_learning_rate, histories)
        _expect_untouched(task, "the histories", before, histories)
        if not np.isclose(float(expect_shape(got, (), f"{task}(histories)")), want):
            raise CheckFailed(f"{task} returned {got}; {why}.")


def grade_first_conv_maps(first_conv_maps: Callable[..., Any]) -> None:
    """ReLU(conv1(image)) for a reference convolution, as an (8, 28, 28) tensor without a graph (the notebook shows
    it with imshow); the image and the model must not change."""
    task = "first_conv_maps"
    torch.manual_seed(691)
    model = nn.Module()
    model.conv1 = nn.Conv2d(1, 8, 5, padding=2)
    image = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(692))
    with torch.no_grad():
        want = F.relu(F.conv2d(image[None], model.conv1.weight, model.conv1.bias, padding=2))[0]
    before = _snapshot({"image": image, "model": model})
    maps = call_quietly(first_conv_maps, model, image)
    _expect_untouched(task, "the image or the model", before, {"image": image, "model": model})
    if not isinstance(maps, torch.Tensor):
        raise CheckFailed(f"{task} returns a {type(maps).__name__}; return the maps as a tensor (8, 28, 28).")
    if getattr(maps, "requires_grad", False):
        raise CheckFailed(f"{task} returns maps that still require gradients: compute them inside "
                          "`with torch.no_grad():` (plotting them fails otherwise).")
    expect_close(maps, want, f"{task}(model, image)", rtol=1e-5, atol=1e-6)
