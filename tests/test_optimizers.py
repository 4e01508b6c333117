"""Tests of helpers.optimizers: Adam against torch.optim.Adam, and the warm-up cosine schedule."""

import math

import numpy as np
import pytest
import torch

from helpers.optimizers import Adam, warmup_cosine

SHAPES = {"W": (4, 3), "b": (3,), "E": (2, 2, 5)}
LRS = [0.1, 0.05, 0.3, 0.01, 0.2, 0.07]


def _params(seed):
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal(shape) for name, shape in SHAPES.items()}


def _grads(rng):
    return {name: rng.standard_normal(shape) * rng.uniform(0.1, 3.0) for name, shape in SHAPES.items()}


def _compare_with_torch(ours, make_torch, seed):
    """Run our optimizer and torch's side by side for len(LRS) steps with random gradients and changing lr."""
    params = _params(seed)
    opt = ours(params)
    tensors = {name: torch.nn.Parameter(torch.tensor(value.copy())) for name, value in params.items()}
    reference = make_torch(list(tensors.values()))
    rng = np.random.default_rng(seed + 1)
    for lr in LRS:
        grads = _grads(rng)
        opt.lr = lr
        for group in reference.param_groups:
            group["lr"] = lr
        for name, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[name].copy())
        opt.step(params, grads)
        reference.step()
        for name, tensor in tensors.items():
            np.testing.assert_allclose(params[name], tensor.detach().numpy(), rtol=1e-12, atol=1e-14,
                                       err_msg=name)
    return params


@pytest.mark.parametrize("betas, eps", [((0.9, 0.999), 1e-8), ((0.8, 0.99), 1e-3)])
def test_adam_steps_like_torch(betas, eps):
    _compare_with_torch(lambda p: Adam(p, lr=LRS[0], beta1=betas[0], beta2=betas[1], eps=eps),
                        lambda p: torch.optim.Adam(p, lr=LRS[0], betas=betas, eps=eps), seed=7)


def test_adam_defaults_are_torchs():
    _compare_with_torch(lambda p: Adam(p), lambda p: torch.optim.Adam(p, lr=LRS[0]), seed=11)


def test_steps_update_the_arrays_in_place_and_leave_the_gradients():
    params = _params(3)
    before = {name: value.copy() for name, value in params.items()}
    arrays = dict(params)
    opt = Adam(params, lr=0.1)
    rng = np.random.default_rng(4)
    for _ in range(3):
        grads = _grads(rng)
        kept = {name: g.copy() for name, g in grads.items()}
        opt.step(params, grads)
        for name, g in grads.items():
            np.testing.assert_array_equal(g, kept[name])
    for name, value in params.items():
        assert value is arrays[name]
        assert not np.allclose(value, before[name])


def test_float32_parameters_stay_float32():
    params = {name: value.astype(np.float32) for name, value in _params(5).items()}
    opt = Adam(params, lr=0.1)
    opt.step(params, {name: np.ones_like(value) for name, value in params.items()})
    assert all(value.dtype == np.float32 for value in params.values())


# -- the schedule ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("total, warmup, lr, lr_min", [(100, 10, 1.0, 0.1), (57, 5, 3e-3, 1e-4), (40, 0, 0.5, 0.0),
                                                       (21, 1, 2.0, 0.5)])
def test_warmup_cosine(total, warmup, lr, lr_min):
    values = [warmup_cosine(step, total, lr, lr_min, warmup) for step in range(total + 10)]
    for step in range(warmup):
        assert values[step] == pytest.approx((step + 1) / warmup * lr, rel=1e-12)
    assert values[warmup] == pytest.approx(lr, rel=1e-12)
    assert all(v == pytest.approx(lr_min, rel=1e-12, abs=1e-15) for v in values[total:])
    after = values[warmup:]
    assert all(b <= a for a, b in zip(after, after[1:]))
    assert all(lr_min <= v <= lr for v in values)
    middle = (warmup + total) / 2  # the midpoint of the cosine (maybe between two steps)
    assert warmup_cosine(middle, total, lr, lr_min, warmup) == pytest.approx((lr + lr_min) / 2, rel=1e-12)
    for step in range(warmup, total + 1):  # the closed form of torch's CosineAnnealingLR
        fraction = (step - warmup) / (total - warmup)
        assert values[step] == pytest.approx(lr_min + (lr - lr_min) * (1 + math.cos(math.pi * fraction)) / 2,
                                             rel=1e-12, abs=1e-15)


def test_warmup_cosine_matches_torchs_schedulers():
    """Linear warm-up then cosine annealing, as torch's LinearLR and CosineAnnealingLR chain them."""
    lr, lr_min, warmup, total = 0.4, 0.02, 4, 30
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    schedule = torch.optim.lr_scheduler.SequentialLR(
        opt, [torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / warmup, total_iters=warmup - 1),
              torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=lr_min)],
        milestones=[warmup])
    for step in range(total + 1):
        assert warmup_cosine(step, total, lr, lr_min, warmup) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9)
        opt.step()
        schedule.step()
