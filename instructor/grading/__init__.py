"""The hidden tests' code: one module per assignment, ``instructor.grading.a<NN>_<assignment>``.

A hidden test cell of ``source/<NN>_<assignment>/`` imports its grading function from here and calls it in a line
or two, e.g. ``grade_bn_grad("beta", bn_grad_beta)``; the oracles (PyTorch autograd, finite differences, brute-force
loops) and the comparisons live here, where they are linted, unit-tested (``tests/test_catalogue.py`` runs them
on the reference, the blank release and every catalogue answer in seconds) and seen by ``duplicates``.

Never released: students receive ``helpers`` only, and ``helpers`` never imports ``instructor``. A grading function
raises ``helpers.checks.CheckFailed`` (or ``AssertionError``) with a message that names the task that is wrong, and
calls each task with the reference of the pieces it builds on, with copies of its inputs, so one mistake costs
points once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def one_thread(grade: Callable[..., Any]) -> Callable[..., Any]:
    """Run a grading function with one torch thread, the caller's setting restored afterwards: its tensors are
    tiny, and on a busy machine a pool of threads makes each small operation wait milliseconds for the others."""
    @functools.wraps(grade)
    def run(*args: Any, **kwargs: Any) -> Any:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return grade(*args, **kwargs)
        finally:
            torch.set_num_threads(before)
    return run


def GradRecorder(net: Any) -> Any:  # noqa: N802 (builds a module, named like one)
    """``net`` wrapped in a module that records, at each call, whether gradients were being tracked
    (``.grad_enabled``, a list of bools): an evaluation must run under ``torch.no_grad()``. Used by 06 and 09."""
    import torch
    from torch import nn

    class Recorder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net
            self.grad_enabled: list[bool] = []

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.grad_enabled.append(torch.is_grad_enabled())
            return self.net(x)

    return Recorder()
