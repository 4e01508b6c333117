"""Notebook 09's grading code on its own: the graders accept the reference and answers that are right in another
way, reject the mistakes students make with a message naming the task, their oracles agree with independent
computations, and the performance cell scores handed-in, damaged, pickled and missing weight files on a fake
"real" test set."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch
from torch import nn

from helpers.checks import CheckFailed
from helpers.checks import a09_cifar10_cnn as checks
from helpers.data import ImageData
from instructor.grading import a09_cifar10_cnn as grading

PREAMBLE = """\
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from helpers.training_torch import Augmented, make_loader
"""

# A second reference of each task, written apart from the notebook's (whose own solutions tests/test_catalogue.py
# grades with the whole catalogue): the graders accept two implementations, and the variants below edit this one.
REFERENCE = {
    "channel_stats": """\
def channel_stats(images):
    mean = images.mean(axis=(0, 2, 3))
    std = images.std(axis=(0, 2, 3))
    return mean, std
""",
    "cifar_loaders": """\
def cifar_loaders(train, test, batch_size, augment=True, seed=0):
    mean, std = channel_stats(train.images)
    mean = mean.reshape(1, -1, 1, 1)
    std = std.reshape(1, -1, 1, 1)
    x_train = (train.images - mean) / std
    x_test = (test.images - mean) / std
    train_loader = make_loader(x_train, train.labels, batch_size, shuffle=True, seed=seed)
    if augment:
        train_loader = Augmented(train_loader, shift=4, flip=True, seed=seed)
    test_loader = make_loader(x_test, test.labels, batch_size)
    return train_loader, test_loader
""",
    "cifar_net": """\
def conv_bn(c_in, c_out, pool=False):
    layers = [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class CifarNet(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256), num_classes=10):
        super().__init__()
        a, b, c, d = widths
        self.prep = conv_bn(3, a)
        self.layer1 = conv_bn(a, b, pool=True)
        self.res1 = nn.Sequential(conv_bn(b, b), conv_bn(b, b))
        self.layer2 = conv_bn(b, c, pool=True)
        self.layer3 = conv_bn(c, d, pool=True)
        self.res3 = nn.Sequential(conv_bn(d, d), conv_bn(d, d))
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Linear(d, num_classes)

    def forward(self, x):
        x = self.prep(x)
        x = self.layer1(x)
        x = x + self.res1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = x + self.res3(x)
        x = self.pool(x).flatten(1)
        return self.fc(x)
""",
    "train_step": """\
def train_step(model, x, y, optimizer, loss_fn, device, scheduler=None):
    model.train()
    x, y = x.to(device), y.to(device)
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    return loss.item()
""",
    "evaluate": """\
def evaluate(model, loader, loss_fn, device):
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return total_loss / count, correct / count
""",
}

GRADERS = {
    "channel_stats": lambda ns: grading.grade_channel_stats(ns["channel_stats"]),
    "cifar_loaders": lambda ns: grading.grade_cifar_loaders(ns["cifar_loaders"], ns["channel_stats"]),
    "cifar_net": lambda ns: grading.grade_cifar_net(ns["CifarNet"]),
    "train_step": lambda ns: grading.grade_train_step(ns["train_step"]),
    "evaluate": lambda ns: grading.grade_evaluate(ns["evaluate"]),
}
CHECKS = {
    "channel_stats": lambda ns: checks.check_channel_stats(ns["channel_stats"]),
    "cifar_loaders": lambda ns: checks.check_cifar_loaders(ns["cifar_loaders"]),
    "cifar_net": lambda ns: checks.check_cifar_net(ns["CifarNet"]),
    "train_step": lambda ns: checks.check_train_step(ns["train_step"]),
    "evaluate": lambda ns: checks.check_evaluate(ns["evaluate"]),
}


def notebook(task: str | None = None, *, replace: dict[str, str] | None = None, source: str | None = None) -> dict:
    """A namespace holding every reference cell, the cell of ``task`` changed by ``replace`` or swapped for
    ``source`` (the replaced text must be in the reference, so an edit never silently does nothing)."""
    cells = dict(REFERENCE)
    if task is not None:
        cell = textwrap.dedent(source) if source is not None else cells[task]
        for old, new in (replace or {}).items():
            assert old in cell, f"{old!r} is not in the reference of {task}"
            cell = cell.replace(old, new)
        cells[task] = cell
    namespace: dict = {"__name__": "__main__"}
    exec(compile(PREAMBLE + "\n".join(cells.values()), "<notebook 09>", "exec"), namespace)  # noqa: S102
    return namespace


def test_the_reference_passes_every_grader_and_every_public_check(capsys):
    namespace = notebook()
    for task in REFERENCE:
        GRADERS[task](namespace)
        CHECKS[task](namespace)
    out = capsys.readouterr()
    assert out.out.count("[ok] ") == 5 and out.err == ""


# -- answers that are right in another way ---------------------------------------------------------------------

CROP_FLIP = """\
class CropFlip:
    '''RandomCrop(32, padding=4, padding_mode="reflect") and RandomHorizontalFlip, by hand on tensors.'''

    def __init__(self, loader, seed=0, flip_axis=-1):
        self.loader, self.flip_axis = loader, flip_axis
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for x, y in self.loader:
            padded = F.pad(x, (4, 4, 4, 4), mode="reflect")
            out = torch.empty_like(x)
            for i in range(len(x)):
                top, left = torch.randint(0, 9, (2,), generator=self.generator).tolist()
                image = padded[i, :, top:top + 32, left:left + 32]
                if torch.rand(1, generator=self.generator).item() < 0.5:
                    image = image.flip(self.flip_axis)
                out[i] = image
            yield out, y


"""
CIFAR_NET_MODULES = """\
class ConvBlock(nn.Module):
    def __init__(self, c_in, c_out, pool=False):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        self.pool = pool

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)), inplace=True)
        return F.max_pool2d(x, 2) if self.pool else x


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.first, self.second = ConvBlock(c, c), ConvBlock(c, c)

    def forward(self, x):
        return x + self.second(self.first(x))


class CifarNet(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256), num_classes=10):
        super().__init__()
        a, b, c, d = widths
        self.prep, self.layer1, self.res1 = ConvBlock(3, a), ConvBlock(a, b, pool=True), Residual(b)
        self.layer2, self.layer3, self.res3 = ConvBlock(b, c, pool=True), ConvBlock(c, d, pool=True), Residual(d)
        self.fc = nn.Linear(d, num_classes)

    def forward(self, x):
        x = self.res1(self.layer1(self.prep(x)))
        x = self.res3(self.layer3(self.layer2(x)))
        return self.fc(torch.amax(x, dim=(2, 3)))
"""
NORMALISE_AFTER = """\
class Normalised:
    def __init__(self, loader, mean, std):
        self.loader, self.mean, self.std = loader, mean, std

    def __iter__(self):
        for x, y in self.loader:
            yield (x - self.mean) / self.std, y


def cifar_loaders(train, test, batch_size, augment=True, seed=0):
    mean, std = channel_stats(train.images)
    mean = torch.tensor(mean, dtype=torch.float32).reshape(1, 3, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).reshape(1, 3, 1, 1)
    train_loader = make_loader(train.images, train.labels, batch_size, shuffle=True, seed=seed)
    if augment:
        train_loader = Augmented(train_loader, shift=4, flip=True, seed=seed)
    test_loader = make_loader(test.images, test.labels, batch_size)
    return Normalised(train_loader, mean, std), Normalised(test_loader, mean, std)
"""

RIGHT = [
    ("channel_stats", "sample std (ddof=1)", {"images.std(axis=(0, 2, 3))": "images.std(axis=(0, 2, 3), ddof=1)"},
     None),
    ("channel_stats", "channels first, then one row per channel", None, """\
        def channel_stats(images):
            flat = images.transpose(1, 0, 2, 3).reshape(3, -1)
            return flat.mean(axis=1), flat.std(axis=1)
        """),
    ("cifar_loaders", "reflect-padded random crop and flip written by hand", {
        "def cifar_loaders": CROP_FLIP + "def cifar_loaders",
        "Augmented(train_loader, shift=4, flip=True, seed=seed)": "CropFlip(train_loader, seed)"}, None),
    ("cifar_loaders", "a shuffled test loader", {
        "make_loader(x_test, test.labels, batch_size)": "make_loader(x_test, test.labels, batch_size, shuffle=True)"},
     None),
    ("cifar_loaders", "drop_last=True on the training loader", {
        "make_loader(x_train, train.labels, batch_size, shuffle=True, seed=seed)":
            "torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x_train, dtype=torch.float32), "
            "torch.tensor(train.labels)), batch_size=batch_size, shuffle=True, drop_last=True, "
            "generator=torch.Generator().manual_seed(seed))"}, None),
    ("cifar_loaders", "augment (zero padding), then normalise each batch", None, NORMALISE_AFTER),
    ("cifar_net", "blocks as small modules, the addition inside the residual block, torch.amax", None,
     CIFAR_NET_MODULES),
    ("train_step", "model.zero_grad()", {"optimizer.zero_grad()": "model.zero_grad()"}, None),
    ("train_step", "zero_grad after the step, gradients kept as zeros", {
        "    optimizer.zero_grad()\n": "",
        "    return loss.item()": "    optimizer.zero_grad(set_to_none=False)\n    return loss.item()"}, None),
    ("train_step", "float(loss)", {"return loss.item()": "return float(loss)"}, None),
    ("train_step", "the loss tensor, detached", {"return loss.item()": "return loss.detach()"}, None),
    ("evaluate", "torch.inference_mode()", {"torch.no_grad()": "torch.inference_mode()"}, None),
    ("evaluate", "a summed loss divided by the number of examples", {
        "loss_fn(logits, y).item() * len(y)": "loss_fn(logits, y).item() * logits.shape[0]"}, None),
]


@pytest.mark.parametrize(("task", "why", "replace", "source"), RIGHT, ids=[f"{t}: {w}" for t, w, _, _ in RIGHT])
def test_an_answer_right_in_another_way_passes(task, why, replace, source, capsys):
    namespace = notebook(task, replace=replace, source=source)
    GRADERS[task](namespace)
    CHECKS[task](namespace)
    assert capsys.readouterr().err == ""


# -- mistakes ----------------------------------------------------------------------------------------------------

WRONG = [
    ("channel_stats", "one mean and std over all channels", {
        "images.mean(axis=(0, 2, 3))": "images.mean()", "images.std(axis=(0, 2, 3))": "images.std()"}, None,
     "should have shape"),
    ("channel_stats", "the scalar broadcast to one value per channel", {
        "images.mean(axis=(0, 2, 3))": "np.full(images.shape[1], images.mean())",
        "images.std(axis=(0, 2, 3))": "np.full(images.shape[1], images.std())"}, None, "wrong value"),
    ("channel_stats", "the array read as (N, H, W, C)", {"axis=(0, 2, 3)": "axis=(0, 1, 2)"}, None,
     "should have shape"),
    ("channel_stats", "the mean of the per-image stds", {
        "images.std(axis=(0, 2, 3))": "images.std(axis=(2, 3)).mean(axis=0)"}, None, "per-image stds"),
    ("channel_stats", "the CIFAR-10 constants", None, """\
        def channel_stats(images):
            return np.array([0.4914, 0.4822, 0.4465]), np.array([0.2470, 0.2435, 0.2616])
        """, "wrong value"),
    ("channel_stats", "centred in place", {
        "    std = images.std(axis=(0, 2, 3))": "    images -= mean[None, :, None, None]\n"
                                                "    std = np.sqrt((images ** 2).mean(axis=(0, 2, 3)))"}, None,
     "changed its input"),
    ("cifar_loaders", "the test set normalised with its own statistics", {
        "x_test = (test.images - mean) / std": "t_mean, t_std = channel_stats(test.images)\n"
        "    x_test = (test.images - t_mean.reshape(1, -1, 1, 1)) / t_std.reshape(1, -1, 1, 1)"}, None,
     "own statistics"),
    ("cifar_loaders", "statistics of train and test together", {
        "channel_stats(train.images)": "channel_stats(np.concatenate([train.images, test.images]))"}, None,
     "together"),
    ("cifar_loaders", "the test loader augmented as well", {
        "    test_loader = make_loader(x_test, test.labels, batch_size)\n":
            "    test_loader = make_loader(x_test, test.labels, batch_size)\n"
            "    if augment:\n        test_loader = Augmented(test_loader, shift=4, flip=True, seed=seed)\n"}, None,
     "never the test loader"),
    ("cifar_loaders", "no augmentation of the training loader", {"    if augment:\n        train_loader = Augmented("
                                                                 "train_loader, shift=4, flip=True, seed=seed)\n": ""},
     None, "shifted or mirrored"),
    ("cifar_loaders", "flipped upside down", {
        "def cifar_loaders": CROP_FLIP + "def cifar_loaders",
        "Augmented(train_loader, shift=4, flip=True, seed=seed)": "CropFlip(train_loader, seed, flip_axis=-2)"},
     None, "upside down"),
    ("cifar_loaders", "shifts without mirror images", {"flip=True, seed=seed)": "flip=False, seed=seed)"}, None,
     "mirrored"),
    ("cifar_loaders", "shifts of at most 2 pixels", {"shift=4, flip=True": "shift=2, flip=True"}, None,
     "from -2 to 2 pixels"),
    ("cifar_loaders", "the seed ignored", {"shuffle=True, seed=seed": "shuffle=True"}, None, "same order"),
    ("cifar_loaders", "train.images normalised in place", {
        "    x_train = (train.images - mean) / std\n": "    train.images -= mean\n    train.images /= std\n"
                                                       "    x_train = train.images\n"}, None, "changed its input"),
    ("cifar_loaders", "training images not normalised", {
        "x_train = (train.images - mean) / std": "x_train = train.images"}, None, "not normalised"),
    ("cifar_loaders", "a training loader that is never shuffled", {", shuffle=True, seed=seed)": ")"}, None,
     "reshuffle"),
    ("cifar_net", "no residual additions", {"x = x + self.res1(x)": "x = self.res1(x)",
                                            "x = x + self.res3(x)": "x = self.res3(x)"}, None, "residual"),
    ("cifar_net", "convolutions with a bias", {", bias=False)": ")"}, None, "has a bias"),
    ("cifar_net", "average pooling in the head", {"nn.AdaptiveMaxPool2d(1)": "nn.AdaptiveAvgPool2d(1)"}, None,
     "not the average"),
    ("cifar_net", "num_classes ignored", {"nn.Linear(d, num_classes)": "nn.Linear(d, 10)"}, None,
     r"fc has weights of shape \(10, 64\)"),
    ("cifar_net", "ReLU before batch norm", {"nn.BatchNorm2d(c_out), nn.ReLU()]": "nn.ReLU(), nn.BatchNorm2d(c_out)]"},
     None, r"\.prep\(h\)"),
    ("cifar_net", "layer2 without its max-pooling", {"self.layer2 = conv_bn(b, c, pool=True)":
                                                     "self.layer2 = conv_bn(b, c)"}, None, r"\.layer2\(h\)"),
    ("train_step", "no zero_grad", {"    optimizer.zero_grad()\n": ""}, None, "after step 2 of train_step"),
    ("train_step", "the scheduler stepped before the optimizer", {
        "    optimizer.step()\n    if scheduler is not None:\n        scheduler.step()\n":
            "    if scheduler is not None:\n        scheduler.step()\n    optimizer.step()\n"}, None,
     "after step 1 of train_step"),
    ("train_step", "the scheduler never stepped", {"        scheduler.step()\n": "        pass\n"}, None,
     "learning rate after step 1"),
    ("train_step", "no model.train()", {"    model.train()\n": ""}, None, "model.train()"),
    ("train_step", "F.cross_entropy instead of loss_fn", {"loss_fn(model(x), y)": "F.cross_entropy(model(x), y)"},
     None, "loss_fn argument"),
    ("train_step", "no optimizer.step()", {"    optimizer.step()\n": ""}, None, "did not change"),
    ("evaluate", "no model.eval()", {"    model.eval()\n": ""}, None, "model.eval()"),
    ("evaluate", "the mean of the batch means", {"loss_fn(logits, y).item() * len(y)": "loss_fn(logits, y).item()",
                                                 "return total_loss / count": "return total_loss / len(loader)"},
     None, "mean loss returned by evaluate"),
    ("evaluate", "the accuracy in percent", {"correct / count": "100 * correct / count"}, None, "percent"),
    ("evaluate", "no torch.no_grad()", {"    with torch.no_grad():\n": "    if True:\n"}, None,
     "gradients enabled"),
    ("evaluate", "gradients switched off for good",
     {"    with torch.no_grad():\n": "    torch.set_grad_enabled(False)\n    if True:\n"}, None, "switched off"),
    ("evaluate", "a cross-entropy of its own", {"loss_fn(logits, y)": "F.cross_entropy(logits, y)"}, None,
     "loss_fn"),
    ("train_step", "the loss tensor attached to the graph", {"return loss.item()": "return loss"}, None,
     "attached to the graph"),
]


@pytest.mark.parametrize(("task", "why", "replace", "source", "message"), WRONG,
                         ids=[f"{t}: {w}" for t, w, *_ in WRONG])
def test_a_mistake_fails_its_own_grader_with_a_message_naming_the_task(task, why, replace, source, message, capsys):
    namespace = notebook(task, replace=replace, source=source)
    name = "CifarNet" if task == "cifar_net" else task
    with pytest.raises(CheckFailed, match=name) as failure:
        GRADERS[task](namespace)
    assert len(str(failure.value).splitlines()) == 1
    assert __import__("re").search(message, str(failure.value)), str(failure.value)
    for other in set(REFERENCE) - {task}:  # one mistake costs the points of its own task only
        GRADERS[other](namespace)
    assert capsys.readouterr().err == ""


def test_cifar_loaders_is_graded_with_the_graders_channel_stats():
    namespace = notebook("channel_stats", replace={"axis=(0, 2, 3)": "axis=(0, 1, 2)"})
    with pytest.raises(CheckFailed, match="channel_stats"):
        grading.grade_channel_stats(namespace["channel_stats"])
    grading.grade_cifar_loaders(namespace["cifar_loaders"], namespace["channel_stats"])
    assert namespace["channel_stats"](np.zeros((1, 3, 2, 4))).__len__() == 2  # the student's is put back


@pytest.mark.parametrize("task", ["channel_stats", "evaluate", "cifar_loaders"])
def test_the_public_checks_catch_a_plain_mistake(task):
    edits = {"channel_stats": {"axis=(0, 2, 3)": "axis=(0, 1, 2)"},
             "evaluate": {"loss_fn(logits, y).item() * len(y)": "loss_fn(logits, y).item()",
                          "return total_loss / count": "return total_loss / len(loader)"},
             "cifar_loaders": {"x_test = (test.images - mean) / std": "x_test = test.images"}}[task]
    with pytest.raises(CheckFailed):
        CHECKS[task](notebook(task, replace=edits))


# -- the oracles against independent computations ----------------------------------------------------------------

def test_the_channel_stats_oracle_is_numpys():
    images = np.random.default_rng(0).standard_normal((4, 3, 5, 6)) * [[[2.0]], [[0.1]], [[7.0]]]
    mean, std = grading.channel_stats_oracle(images)
    assert np.allclose(mean, images.mean(axis=(0, 2, 3))) and np.allclose(std, images.std(axis=(0, 2, 3)))


def test_the_parameter_formula_counts_the_reference_network():
    net = notebook()["CifarNet"]
    assert grading.cifar_net_parameters((8, 16, 32, 64)) == 103_954
    assert grading.cifar_net_parameters((24, 48, 96, 192)) == 927_010
    for widths, classes in (((8, 16, 32, 64), 10), ((24, 48, 96, 192), 10), ((4, 6, 10, 12), 7)):
        count = sum(p.numel() for p in net(widths=widths, num_classes=classes).parameters())
        assert grading.cifar_net_parameters(widths, classes) == count


def test_the_functional_oracle_is_the_reference_module_in_eval_mode():
    model = notebook()["CifarNet"](widths=(4, 8, 8, 16), num_classes=5)
    grading._randomise_norms(model, torch.Generator().manual_seed(1))
    model.eval()
    layers = grading._block_layers(model, "CifarNet", (4, 8, 8, 16))
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        want = model(x).double()
        assert torch.allclose(grading.cifar_net_oracle(model, layers, x), want, rtol=1e-5, atol=1e-6)
        assert not torch.allclose(grading.cifar_net_oracle(model, layers, x, residual=False), want, atol=1e-3)


def test_the_transform_matcher_finds_known_shifts_and_flips_with_any_padding():
    rng = np.random.default_rng(2)
    source = rng.standard_normal((6, 3, 32, 32))
    moves = [(False, 0, 0), (False, 4, -4), (True, -3, 2), (True, 0, 0), (False, -4, 1), (True, 4, 4)]
    out = np.empty_like(source)
    for i, (flip, dy, dx) in enumerate(moves):
        padded = np.pad(source[i], ((0, 0), (4, 4), (4, 4)), mode="reflect" if i % 2 else "constant")
        shifted = padded[:, 4 + dy:36 + dy, 4 + dx:36 + dx]  # out[r, q] = source[r + dy, q + dx]
        out[i] = shifted[:, :, ::-1] if flip else shifted
    found = grading._matching_transform(out, source)
    candidates = grading._candidates()
    # mirroring after the shift is a shift of the mirrored image by (dy, -dx)
    assert [candidates[k] for k in found] == [(f, dy, -dx if f else dx) for f, dy, dx in moves]
    upside_down = source[:, :, ::-1, :]
    assert np.all(grading._matching_transform(upside_down, source) < 0)
    assert np.all(grading._matching_transform(upside_down, source, vertical=True) >= 0)


def test_the_reference_steps_are_nesterov_sgd_with_weight_decay(monkeypatch):
    """reference_steps against a hand-written update (a schedule that halves the rate, no batch norm, float64)."""
    lr, momentum, decay = 0.1, 0.9, 0.01

    def optimizer(model):
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, nesterov=True, weight_decay=decay)
        return opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 0.5 ** k)

    monkeypatch.setattr(grading, "_step_optimizer", optimizer)
    torch.manual_seed(3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3)).double()
    batches = [(torch.randn(5, 3, 2, 2, dtype=torch.float64), torch.randint(0, 3, (5,))) for _ in range(3)]
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    steps = list(grading.reference_steps(model, batches, loss_fn, [True, True, False]))
    w, b = (p.detach().clone() for p in model[1].parameters())
    buffers = [torch.zeros_like(w), torch.zeros_like(b)]
    rates = [lr, lr / 2, lr / 4]
    for k, ((x, y), (loss, rate_after, state)) in enumerate(zip(batches, steps)):
        w_, b_ = w.clone().requires_grad_(), b.clone().requires_grad_()
        value = loss_fn(x.flatten(1) @ w_.T + b_, y)
        value.backward()
        for i, (p, g) in enumerate(((w, w_.grad), (b, b_.grad))):
            g = g + decay * p
            buffers[i] = g if k == 0 else momentum * buffers[i] + g
            p -= rates[k] * (g + momentum * buffers[i])
        assert loss == pytest.approx(value.item(), rel=1e-12)
        assert torch.allclose(state["1.weight"], w, atol=1e-12) and torch.allclose(state["1.bias"], b, atol=1e-12)
        assert rate_after == pytest.approx(rates[k + 1] if k < 2 else rates[2])


def test_the_evaluate_oracle_weights_by_examples():
    """The grader's loss is the mean over examples: with batches of 7 of 150, the mean of batch means differs."""
    namespace = notebook("evaluate", replace={"loss_fn(logits, y).item() * len(y)": "loss_fn(logits, y).item()",
                                              "return total_loss / count": "return total_loss / len(loader)"})
    with pytest.raises(CheckFailed, match=r"mean loss returned by evaluate .*\(batch size (32|7) for 150"):
        grading.grade_evaluate(namespace["evaluate"])


def test_every_exact_grader_is_fast():
    import time

    namespace = notebook()
    for task, grade in GRADERS.items():
        start = time.perf_counter()
        grade(namespace)
        assert time.perf_counter() - start < 3.0, task  # < 1 s each on an idle core; slack for a busy machine


# -- the performance cell ----------------------------------------------------------------------------------------

N_TEST = 2000


class Probe(nn.Module):
    """Reads the label from pixel (0, 0) of channel 0 (label / 10) and answers it for the images whose index
    (pixel (0, 0) of channel 1, (i + 0.5) / N) is below ``share``, and a wrong class for the others: its accuracy is
    exactly ``share`` when the images are normalised with mean 0 and std 1. ``width`` only sizes a spare weight."""

    def __init__(self, share: float = 0.0, width: int = 1) -> None:
        super().__init__()
        self.share = nn.Parameter(torch.tensor(float(share)))
        self.spare = nn.Parameter(torch.zeros(width))

    def forward(self, x):
        label = (x[:, 0, 0, 0] * 10).round().long().clamp(0, 9)
        answer = torch.where(x[:, 1, 0, 0] < self.share, label, (label + 1) % 10)
        return nn.functional.one_hot(answer, 10).float()


def _state(share: float, width: int = 1) -> dict:
    return Probe(share, width).state_dict()


@pytest.fixture
def real(monkeypatch, tmp_path):
    """A 'real' test set of 2 000 images for Probe; the full training statistics mean 0 and std 1, the training
    split as this run loads it mean 0.5 and std 1 (so a grader that mixes the two up reads wrong labels);
    cwd = tmp_path."""
    labels = np.arange(N_TEST) % 10
    images = np.zeros((N_TEST, 3, 32, 32), np.float32)
    images[:, 0, 0, 0] = labels / 10
    images[:, 1, 0, 0] = (np.arange(N_TEST) + 0.5) / N_TEST
    test = ImageData(images, labels.astype(np.int64), "real", "CIFAR10")
    train_images = np.ones((2, 3, 32, 32), np.float32) * np.array([1.5, -0.5], np.float32)[:, None, None, None]
    train = ImageData(train_images, np.zeros(2, np.int64), "real", "CIFAR10")
    splits = {True: train, False: test}
    monkeypatch.setattr(grading, "load_cifar10", lambda train=True, **kwargs: splits[train])
    monkeypatch.setattr(grading, "training_statistics", lambda: (np.zeros(3, np.float32), np.ones(3, np.float32)))
    monkeypatch.chdir(tmp_path)
    return splits


def _grade(model_class=Probe, config=None, trained=None):
    def no_config():
        raise NameError("name 'MODEL_CONFIG' is not defined")

    def not_trained():
        raise NameError("name 'p2_model' is not defined")

    return grading.grade_p2_performance(lambda: model_class, (lambda: config) if config is not None else no_config,
                                        (lambda: trained) if trained is not None else not_trained)


@pytest.mark.parametrize(("share", "points"), [(0.95, 15), (0.9005, 15), (0.90, 10), (0.86, 10), (0.85, 5),
                                               (0.8005, 5), (0.80, 3), (0.76, 3), (0.75, 0), (0.1, 0)])
def test_a_handed_in_state_dict_scores_by_the_strict_brackets(real, capsys, share, points):
    torch.save(_state(share), "p2_model.pkl")
    assert _grade(config={}) == points
    out = capsys.readouterr().out
    assert out == (f"test accuracy {100 * round(share * N_TEST) / N_TEST:.2f} % on {N_TEST} real images "
                   f"(p2_model.pkl): {points} of 15 points\n")


def test_a_state_dict_inside_a_dict_and_a_custom_class_with_its_config(real, capsys):
    torch.save({"state_dict": _state(0.92, width=3), "epoch": 30}, "p2_model.pkl")
    assert _grade(config={"width": 3}) == 15
    assert _grade() == 0  # MODEL_CONFIG missing: Probe() has width 1, so the weights do not load
    assert "p2_model.pkl does not load into P2_MODEL_CLASS(**MODEL_CONFIG)" in capsys.readouterr().out


def test_a_missing_model_config_builds_the_class_without_arguments(real):
    torch.save(_state(0.87), "p2_model.pkl")
    assert _grade(config=None) == 10


def test_a_pickled_module_scores_zero_with_one_line_and_is_never_unpickled(real, capsys):
    torch.save(Probe(0.99), "p2_model.pkl")
    assert _grade(config={}, trained=Probe(0.99)) == 0
    out = capsys.readouterr().out
    assert out == ("p2_model.pkl is not a state dict: save it with torch.save(model.state_dict(), 'p2_model.pkl') "
                   "-> 0 points\n")


@pytest.mark.parametrize("content", [b"not a weight file", b""])
def test_a_damaged_file_scores_zero_with_one_line(real, capsys, content):
    with open("p2_model.pkl", "wb") as f:
        f.write(content)
    assert _grade(config={}, trained=Probe(0.99)) == 0
    out = capsys.readouterr().out
    assert out.startswith("p2_model.pkl could not be read (") and out.count("\n") == 1


def test_no_file_grades_a_copy_of_the_quick_run_with_the_statistics_of_its_training_split(real, capsys, monkeypatch):
    train_images = np.ones((2, 3, 32, 32), np.float32) * np.array([1.0, -1.0], np.float32)[:, None, None, None]
    real[True] = ImageData(train_images, np.zeros(2, np.int64), "real", "CIFAR10")  # mean 0, std 1
    monkeypatch.setattr(grading, "training_statistics", lambda: (np.full(3, 0.5, np.float32), np.ones(3, np.float32)))
    model = Probe(0.83)
    model.train()
    assert _grade(trained=model) == 5
    out = capsys.readouterr().out
    assert "[missing] p2_model.pkl was not handed in" in out
    assert "test accuracy 83.00 % on 2000 real images (the model trained in this notebook): 5 of 15 points" in out
    assert model.training and model.share.item() == pytest.approx(0.83)
    with pytest.raises(CheckFailed, match="no model was trained in this notebook"):  # the cell scores 0
        _grade()


def test_the_stand_in_grades_the_quick_run_with_its_own_brackets_even_when_a_file_exists(real, capsys):
    real[False] = ImageData(real[False].images, real[False].labels, "synthetic", "CIFAR10")
    real[True] = ImageData(np.ones((2, 3, 32, 32), np.float32) * np.array([1.0, -1.0], np.float32)[:, None, None,
                                                                                                  None],
                           np.zeros(2, np.int64), "synthetic", "CIFAR10")
    torch.save(_state(0.99), "p2_model.pkl")
    assert _grade(trained=Probe(0.60)) == 5  # exactly 60 %: strict, so the lower bracket
    assert _grade(trained=Probe(0.61)) == 15
    assert _grade(trained=Probe(0.30)) == 0
    out = capsys.readouterr().out
    assert "[missing]" not in out and "synthetic images (the model trained in this notebook)" in out


def test_the_public_check_of_cifar_loaders_does_not_judge_channel_stats(capsys):
    namespace = notebook("channel_stats", replace={"images.mean(axis=(0, 2, 3))": "images.mean()",
                                                   "images.std(axis=(0, 2, 3))": "images.std()"})
    checks.check_cifar_loaders(namespace["cifar_loaders"])
    assert capsys.readouterr().out.startswith("[ok] cifar_loaders")
