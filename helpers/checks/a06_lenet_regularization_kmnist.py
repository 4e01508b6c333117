"""Public checks for notebook 06 (LeNet-5 regularization and a KMNIST CNN, in PyTorch).

They build their own tiny models and data and test properties every correct
answer has: output shapes, evaluation mode being deterministic, the loss going
down, a figure having a title and labels. The assignment's own numbers are
graded by hidden tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from helpers.checks import (  # noqa: F401 (bracket_points and describe_brackets: the notebook finds them here)
    CheckFailed,
    bracket_points,
    call_quietly,
    describe_brackets,
    expect_callable,
    expect_close,
    expect_shape,
    expect_type,
    passed,
)

VARIANTS = ("none", "dropout", "weight_decay", "batchnorm")


def _torch():
    import torch

    return torch


def _count(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())


def _build(factory: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> Any:
    torch = _torch()
    expect_callable(factory, name)
    model = call_quietly(factory, *args, **kwargs)
    expect_type(model, torch.nn.Module, f"{name}(...)")
    return model


def check_lenet5(LeNet5: Callable[..., Any]) -> None:  # noqa: N803 (a class is passed)
    """Shapes, the size-preserving first convolution and what each regularizer does to the forward pass."""
    torch = _torch()
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    counts = {}
    for variant in VARIANTS:
        model = _build(LeNet5, f"LeNet5({variant!r})", variant)
        for attr in ("conv1", "conv2", "fc1", "fc2", "fc3"):
            if not isinstance(getattr(model, attr, None), torch.nn.Module):
                raise CheckFailed(f"LeNet5({variant!r}) should have a layer `self.{attr}` (see the interface).")
        c1 = call_quietly(model.conv1, x)
        if tuple(c1.shape) != (4, 6, 28, 28):
            raise CheckFailed(f"conv1 should map (4, 1, 28, 28) to (4, 6, 28, 28) (padding 2 keeps the size), "
                              f"but it gives {tuple(c1.shape)}.")
        model.eval()
        with torch.no_grad():
            out = call_quietly(model, x)
            again = call_quietly(model, x)
        expect_shape(out, (4, 10), f"LeNet5({variant!r})(x) for x of shape (4, 1, 28, 28)")
        expect_close(again, out, f"LeNet5({variant!r}) in eval mode, second call",
                     hint="in evaluation mode the forward pass must be deterministic.")
        model.train()
        with torch.no_grad():
            torch.manual_seed(1)
            first = call_quietly(model, x)
            second = call_quietly(model, x)
        moves = not np.allclose(first.numpy(), second.numpy())
        if variant == "dropout" and not moves:
            raise CheckFailed("LeNet5('dropout') in training mode gives the same output twice: is dropout applied?")
        if variant in ("none", "weight_decay") and moves:
            raise CheckFailed(f"LeNet5({variant!r}) in training mode is random: only 'dropout' should drop units.")
        has_bn = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())
        if has_bn != (variant == "batchnorm"):
            raise CheckFailed(f"LeNet5({variant!r}) {'has no' if not has_bn else 'has a'} batch-normalization layer; "
                              "only the 'batchnorm' variant should have them.")
        counts[variant] = _count(model)
    passed("LeNet5: output shapes, conv1 keeps 28 x 28, eval mode deterministic, each regularizer where it belongs; "
           f"parameter counts {counts} (compare with your count by hand)")


def named_test_model() -> Any:
    """A fresh small network with layers named conv1, bn1, fc1, fc2 (an input for tests of optimizers)."""
    torch = _torch()
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 3, 3)
            self.bn1 = nn.BatchNorm2d(3)
            self.fc1 = nn.Linear(3 * 26 * 26, 12)
            self.fc2 = nn.Linear(12, 10)

        def forward(self, x):
            h = torch.relu(self.bn1(self.conv1(x))).flatten(1)
            return self.fc2(torch.relu(self.fc1(h)))

    return Net()


def check_make_optimizer(make_optimizer: Callable[..., Any]) -> None:
    """An Adam optimizer over every parameter, with weight decay only for the 'weight_decay' variant."""
    torch = _torch()
    expect_callable(make_optimizer, "make_optimizer")
    for variant in VARIANTS:
        model = named_test_model()
        opt = call_quietly(make_optimizer, model, variant, lr=0.003, weight_decay=0.01)
        expect_type(opt, torch.optim.Optimizer, f"make_optimizer(model, {variant!r}, ...)")
        covered = {id(p) for g in opt.param_groups for p in g["params"]}
        if covered != {id(p) for p in model.parameters()}:
            raise CheckFailed(f"make_optimizer(model, {variant!r}, ...) should update every parameter of the model.")
        lrs = {g["lr"] for g in opt.param_groups}
        if lrs != {0.003}:
            raise CheckFailed(f"the learning rate should be the `lr` argument (0.003), found {sorted(lrs)}.")
        decays = {g.get("weight_decay", 0.0) for g in opt.param_groups}
        if variant == "weight_decay" and 0.01 not in decays:
            raise CheckFailed("for 'weight_decay' the optimizer should use the `weight_decay` argument (0.01).")
        if variant != "weight_decay" and any(d != 0 for d in decays):
            raise CheckFailed(f"for {variant!r} the optimizer should have no weight decay, found {sorted(decays)}.")
    passed("make_optimizer: every parameter, the given learning rate, weight decay only where asked")


def _toy_model(torch: Any) -> Any:
    nn = torch.nn
    torch.manual_seed(3)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Dropout(0.7), nn.Linear(32, 10))


def check_evaluate_accuracy(evaluate_accuracy: Callable[..., Any]) -> None:
    """A float in [0, 1]; a constant classifier scores the share of its class; dropout is off while evaluating."""
    torch = _torch()
    from torch.utils.data import DataLoader, TensorDataset

    expect_callable(evaluate_accuracy, "evaluate_accuracy")

    class AlwaysThree(torch.nn.Module):
        def forward(self, x):
            out = torch.zeros(len(x), 10)
            out[:, 3] = 1.0
            return out

    y = torch.tensor([3, 1, 3, 3, 0, 9, 3, 2, 3, 3, 5])
    loader = DataLoader(TensorDataset(torch.rand(len(y), 1, 28, 28), y), batch_size=4)
    acc = call_quietly(evaluate_accuracy, AlwaysThree(), loader, torch.device("cpu"))
    expect_close(float(acc), 6 / 11, "the accuracy of a classifier that always says 3 (6 of 11 labels are 3)",
                 hint="count the correct predictions over every batch and divide by the number of examples.")
    model = _toy_model(torch)
    model.train()
    x = torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        model.eval()
        y = model(x).argmax(1)
        model.train()
    loader = DataLoader(TensorDataset(x, y), batch_size=64)
    acc = call_quietly(evaluate_accuracy, model, loader, torch.device("cpu"))
    expect_close(float(acc), 1.0, "the accuracy of a model on labels equal to its own eval-mode predictions",
                 hint="put the model in evaluation mode (model.eval()) so that dropout is switched off.")
    passed("evaluate_accuracy: counts over all batches, and evaluates with dropout off")


def check_train_one_epoch(train_one_epoch: Callable[..., Any]) -> None:
    """The mean loss is a number, the weights move and the loss goes down over a few epochs on an easy problem."""
    torch = _torch()
    from torch.utils.data import DataLoader, TensorDataset

    expect_callable(train_one_epoch, "train_one_epoch")
    g = torch.Generator().manual_seed(5)
    x = torch.randn(96, 1, 28, 28, generator=g)
    y = (x.mean(dim=(1, 2, 3)) > 0).long()  # class 1 when the image is bright on average
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=False)
    torch.manual_seed(6)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 2))
    start = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = [float(call_quietly(train_one_epoch, model, loader, opt, torch.nn.CrossEntropyLoss(),
                                 torch.device("cpu"))) for _ in range(4)]
    if all(torch.equal(a, b) for a, b in zip(start, model.parameters())):
        raise CheckFailed("train_one_epoch did not change the weights: call loss.backward() and optimizer.step().")
    if not np.all(np.isfinite(losses)):
        raise CheckFailed(f"train_one_epoch returned a loss that is not finite: {losses}.")
    if not losses[-1] < losses[0]:
        raise CheckFailed(f"the mean loss should fall over four epochs on this easy problem, got {losses}.")
    passed(f"train_one_epoch: the weights move and the mean loss falls ({losses[0]:.3f} -> {losses[-1]:.3f})")


def _fake_history(seed: int) -> Any:
    from helpers.training_torch import AccuracyHistory

    rng = np.random.default_rng(seed)
    h = AccuracyHistory()
    for epoch in range(1, 7):
        h.record(epoch=epoch, train_loss=float(rng.uniform(0.2, 1)), train_acc=float(rng.uniform(0.8, 1)),
                 val_acc=float(rng.uniform(0.8, 1)), test_acc=float(rng.uniform(0.8, 1)), seconds=1.0)
    return h


def check_plot_convergence(plot_convergence: Callable[..., Any]) -> None:
    """A title, axis labels, a legend and the two curves (in %) against the epochs."""
    import matplotlib.pyplot as plt

    expect_callable(plot_convergence, "plot_convergence")
    h = _fake_history(7)
    fig, ax = plt.subplots()
    try:
        call_quietly(plot_convergence, ax, h, "My title")
        if "My title" not in ax.get_title():
            raise CheckFailed("the axes' title should contain the `title` argument.")
        if not ax.get_xlabel() or not ax.get_ylabel():
            raise CheckFailed("label both axes (ax.set_xlabel, ax.set_ylabel).")
        if ax.get_legend() is None:
            raise CheckFailed("add a legend that says which curve is train and which is test.")
        ys = [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]
        for name in ("train_acc", "test_acc"):
            want = 100 * np.asarray(getattr(h, name))
            if not any(y.shape == want.shape and np.allclose(y, want) for y in ys):
                raise CheckFailed(f"no curve on the axes shows history.{name} in percent (100 * the fraction).")
    finally:
        plt.close(fig)
    passed("plot_convergence: title, labels, legend, train and test curves in %")


def check_accuracy_table(accuracy_table: Callable[..., Any]) -> None:
    """One (train, test) pair per variant, each an accuracy of one of the recorded epochs."""
    expect_callable(accuracy_table, "accuracy_table")
    histories = {v: _fake_history(10 + i) for i, v in enumerate(VARIANTS)}
    table = call_quietly(accuracy_table, histories)
    expect_type(table, dict, "accuracy_table(histories)")
    if set(table) != set(VARIANTS):
        raise CheckFailed(f"accuracy_table should have one entry per variant {VARIANTS}, found {sorted(table)}.")
    for v, h in histories.items():
        pair = expect_shape(table[v], (2,), f"accuracy_table(histories)[{v!r}]")
        index = [i for i in range(len(h)) if np.isclose(h.train_acc[i], pair[0])]
        if not index or not np.isclose(h.test_acc[index[0]], pair[1]):
            raise CheckFailed(f"accuracy_table(histories)[{v!r}] should be (train_acc, test_acc) of one epoch.")
    passed("accuracy_table: a (train, test) pair of one recorded epoch per variant")


def check_kmnist_cnn(KMNISTCNN: Callable[..., Any]) -> None:  # noqa: N803
    """Output log-probabilities of shape (N, 10), conv1 keeping 28 x 28, eval mode deterministic."""
    torch = _torch()
    model = _build(KMNISTCNN, "KMNISTCNN")
    if not isinstance(getattr(model, "conv1", None), torch.nn.Conv2d):
        raise CheckFailed("the first convolution must be an nn.Conv2d stored in `self.conv1`.")
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(8))
    model.eval()
    with torch.no_grad():
        c1 = call_quietly(model.conv1, x)
        out = call_quietly(model, x)
        again = call_quietly(model, x)
    if tuple(c1.shape) != (3, 8, 28, 28):
        raise CheckFailed(f"conv1 should map (3, 1, 28, 28) to (3, 8, 28, 28), but it gives {tuple(c1.shape)}.")
    out = expect_shape(out, (3, 10), "KMNISTCNN()(x) for x of shape (3, 1, 28, 28)")
    expect_close(np.exp(out).sum(axis=1), np.ones(3), "the sum of exp(output) over the classes",
                 hint="the network ends with LogSoftmax, so exp(output) is a probability vector.", rtol=1e-5)
    expect_close(again, out, "KMNISTCNN in eval mode, second call", hint="dropout must be off in eval mode.")
    passed(f"KMNISTCNN: shapes, log-probabilities, eval mode deterministic; {_count(model)} parameters")


def check_kmnist_loss(loss_fn: Any) -> None:
    """For log-probabilities, the loss is the mean of -log p(true class)."""
    torch = _torch()
    expect_callable(loss_fn, "kmnist_loss_fn")
    logp = torch.log(torch.tensor([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]))
    y = torch.tensor([0, 2])
    want = -(np.log(0.5) + np.log(0.8)) / 2
    expect_close(float(call_quietly(loss_fn, logp, y)), want, "kmnist_loss_fn on a worked example", rtol=1e-6)
    passed("kmnist_loss_fn: mean negative log-likelihood of the true classes")


def check_best_learning_rate(best_learning_rate: Callable[..., Any]) -> None:
    """Returns one of the learning rates it was given."""
    expect_callable(best_learning_rate, "best_learning_rate")
    histories = {lr: _fake_history(20 + i) for i, lr in enumerate((0.1, 0.01, 0.001))}
    lr = call_quietly(best_learning_rate, histories)
    if not any(np.isclose(float(lr), k) for k in histories):
        raise CheckFailed(f"best_learning_rate should return one of {sorted(histories)}, got {lr!r}.")
    passed("best_learning_rate: returns one of the candidate rates")


def check_activation_maps(first_conv_maps: Callable[..., Any]) -> None:
    """Eight non-negative 28 x 28 maps for one 28 x 28 image, from a model whose first convolution is conv1."""
    torch = _torch()
    expect_callable(first_conv_maps, "first_conv_maps")
    torch.manual_seed(9)
    model = torch.nn.Module()
    model.conv1 = torch.nn.Conv2d(1, 8, 5, padding=2)
    image = torch.rand(1, 28, 28, generator=torch.Generator().manual_seed(9))
    maps = expect_shape(call_quietly(first_conv_maps, model, image), (8, 28, 28), "first_conv_maps(model, image)")
    if maps.min() < 0:
        raise CheckFailed("activation maps are taken after the ReLU, so they cannot be negative.")
    passed("first_conv_maps: 8 maps of 28 x 28, non-negative")
