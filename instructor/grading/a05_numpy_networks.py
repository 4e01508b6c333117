"""Hidden tests of notebook 05 (a neural network in NumPy, layer by layer).

Every layer is graded against PyTorch on seeded random inputs: its forward pass by ``torch.nn.functional``, its
backward pass by autograd, each with the student's forward pass making the cache that the student's backward pass
reads (the cache is the student's own format). Inputs are copies, and a forward pass that writes into one of them
is named.

The models (``MLP``, ``LeNet5``) are graded alone: the student's class is re-created with the grader's reference
layers (:data:`REFERENCE_PIECES`, PyTorch autograd behind the notebook's ``(out, cache)`` interface) in place of
every earlier task it reaches through the notebook's globals, so a wrong layer costs points in its own cell only.
Should that fail while the student's own layers pass (a model that reads its own layers' cache format, say), the
model keeps its points. Every method of the models' interface is graded for both: the constructor (shapes, He or
standard normal weights, zero biases, the seed), ``forward``, ``get_loss``, ``get_error``, ``backward`` (which
adds), ``zero_grads`` and ``step`` (torch's momentum, with a learning rate that changes between steps).
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable, Iterator
from copy import deepcopy
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from helpers.checks import CheckFailed, call_quietly, expect_close, expect_shape, expect_type, unchanged
from helpers.checks import a05_numpy_networks as checks
from helpers.data import load_images
from instructor.grading import one_thread

Fn = Callable[..., Any]
Op = Callable[..., torch.Tensor]


# -- The oracles: each layer as a PyTorch function of float64 tensors --------------------------------------------

def _fc(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return x.flatten(1) @ w + b


def _conv(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, stride: int = 1, pad: int = 0) -> torch.Tensor:
    return F.conv2d(x, w, b, stride=stride, padding=pad)


def _maxpool(x: torch.Tensor, size: int = 2, stride: int = 2) -> torch.Tensor:
    return F.max_pool2d(x, size, stride)


ACTIVATIONS: dict[str, Op] = {"relu": lambda x: torch.relu(x), "sigmoid": lambda x: torch.sigmoid(x),
                               "tanh": lambda x: torch.tanh(x)}
LAYERS: dict[str, tuple[Op, tuple[str, ...]]] = {  # layer: (oracle, the arrays it differentiates)
    **{name: (op, ("x",)) for name, op in ACTIVATIONS.items()},
    "fc": (_fc, ("x", "w", "b")),
    "conv": (_conv, ("x", "w", "b")),
    "maxpool": (_maxpool, ("x",)),
}


def _tensor(array: Any, grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.array(array, dtype=np.float64), requires_grad=grad)


def _labels(y: Any) -> torch.Tensor:
    return torch.as_tensor(np.asarray(y), dtype=torch.long)


# -- Reference pieces, for grading the models alone ----------------------------------------------------------------

def _reference_pair(op: Op, differentiated: tuple[str, ...]) -> tuple[Fn, Fn]:
    """``(forward, backward)`` with the notebook's interface (the arguments of ``op``), computed by ``op`` and
    autograd; the cache holds the graph."""
    signature = inspect.signature(op)

    def forward(*args: Any, **kwargs: Any) -> tuple[np.ndarray, Any]:
        arguments = signature.bind(*args, **kwargs).arguments
        tensors = [_tensor(arguments[name], grad=True) for name in differentiated]
        out = op(*tensors, **{k: v for k, v in arguments.items() if k not in differentiated})
        return out.detach().numpy().copy(), (tensors, out)

    def backward(dout: Any, cache: Any) -> Any:
        tensors, out = cache
        grads = torch.autograd.grad(out, tensors, _tensor(dout).reshape(out.shape), retain_graph=True)
        grads = tuple(g.numpy().copy() for g in grads)
        return grads[0] if len(grads) == 1 else grads

    return forward, backward


def _reference_softmax_cross_entropy(logits: Any, y: Any) -> tuple[float, np.ndarray]:
    z = _tensor(logits, grad=True)
    loss = F.cross_entropy(z, _labels(y))
    loss.backward()
    return loss.item(), z.grad.numpy().copy()


def _reference_normal(shape: Any, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(shape)


def _reference_he(shape: Any, fan_in: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)


def _reference_zeros(n: int) -> np.ndarray:
    return np.zeros(n)


def _reference_pieces() -> dict[str, Fn]:
    pieces: dict[str, Fn] = {"softmax_cross_entropy": _reference_softmax_cross_entropy,
                             "random_normal_weight_init": _reference_normal, "he_weight_init": _reference_he,
                             "zeros_bias_init": _reference_zeros}
    for name, (op, differentiated) in LAYERS.items():
        pieces[f"{name}_forward"], pieces[f"{name}_backward"] = _reference_pair(op, differentiated)
    return pieces


REFERENCE_PIECES = _reference_pieces()  # every task the models use, by its name in the notebook


def _notebook_globals(obj: Any) -> dict | None:
    """The namespace the student's class or function was defined in (the notebook's globals)."""
    if isinstance(obj, types.FunctionType):
        return obj.__globals__
    for klass in getattr(obj, "__mro__", ()):
        for value in vars(klass).values():
            value = getattr(value, "fget", None) or getattr(value, "__func__", value)
            if isinstance(value, types.FunctionType):
                return value.__globals__
    return None


class _Rebinder:
    """Copies of the notebook's functions and classes that look their globals up in ``new_globals``.

    The student's pieces (found by identity, also inside dicts, lists and tuples such as the notebook's
    ``ACTIVATIONS``, default arguments and closures) are replaced by ``swap``; everything else is kept.
    """

    def __init__(self, namespace: dict, swap: dict[int, Any]) -> None:
        self.namespace, self.swap = namespace, swap
        self.new_globals: dict = {}
        self.memo: dict[int, Any] = {}

    def __call__(self, value: Any, depth: int = 0) -> Any:
        if id(value) in self.swap:
            return self.swap[id(value)]
        if id(value) in self.memo:
            return self.memo[id(value)]
        if isinstance(value, types.FunctionType) and value.__globals__ is self.namespace:
            return self._function(value)
        if isinstance(value, type) and _notebook_globals(value) is self.namespace:
            return self._class(value)
        if isinstance(value, staticmethod | classmethod):
            inner = self(value.__func__, depth)
            return value if inner is value.__func__ else type(value)(inner)
        if isinstance(value, property):
            parts = [self(part, depth) if part is not None else None for part in (value.fget, value.fset, value.fdel)]
            same = all(new is old for new, old in zip(parts, (value.fget, value.fset, value.fdel)))
            return value if same else property(*parts, value.__doc__)
        if isinstance(value, dict | list | tuple) and depth < 4 and len(value) <= 10_000:
            return self._container(value, depth)
        return value

    def _function(self, fn: types.FunctionType) -> types.FunctionType:
        closure = None if fn.__closure__ is None else tuple(self._cell(c) for c in fn.__closure__)
        new = types.FunctionType(fn.__code__, self.new_globals, fn.__name__, None, closure)
        self.memo[id(fn)] = new
        new.__defaults__ = None if fn.__defaults__ is None else tuple(self(d) for d in fn.__defaults__)
        new.__kwdefaults__ = None if fn.__kwdefaults__ is None else {k: self(v) for k, v in fn.__kwdefaults__.items()}
        new.__qualname__, new.__module__, new.__doc__ = fn.__qualname__, fn.__module__, fn.__doc__
        new.__dict__.update(fn.__dict__)
        return new

    def _cell(self, cell: Any) -> Any:
        try:
            contents = cell.cell_contents
        except ValueError:  # an empty cell
            return cell
        new = self(contents)
        return cell if new is contents else types.CellType(new)

    def _class(self, klass: type) -> type:
        bases = tuple(self(b) for b in klass.__bases__)
        attributes = {k: v for k, v in vars(klass).items()
                      if k not in ("__dict__", "__weakref__") and not isinstance(v, types.MemberDescriptorType)}
        try:
            new = type(klass)(klass.__name__, bases, attributes)
        except Exception:  # noqa: BLE001 - an unusual class (a metaclass, slots): graded with the student's layers
            return klass
        self.memo[id(klass)] = new
        for key, value in attributes.items():
            rebound = self(value)
            if rebound is not value:
                setattr(new, key, rebound)
        return new

    def _container(self, value: dict | list | tuple, depth: int) -> Any:
        self.memo[id(value)] = value  # a container holding itself stays as it is
        if isinstance(value, dict):
            items = {k: self(v, depth + 1) for k, v in value.items()}
            changed = any(items[k] is not v for k, v in value.items())
            new = type(value)(items) if changed and type(value) is dict else value
        else:
            items = [self(v, depth + 1) for v in value]
            changed = any(a is not b for a, b in zip(items, value))
            new = type(value)(items) if changed and type(value) in (list, tuple) else value
        self.memo[id(value)] = new
        return new


def with_reference_pieces(student: Any) -> Any:
    """The student's class (or function) re-created so that every earlier task it uses is the grader's reference.

    The layers, the loss and the initialisations are found under their task names in the notebook's globals; the
    student's other functions and classes (helpers, ``ACTIVATIONS``) are re-created around the references too.
    """
    namespace = _notebook_globals(student)
    if namespace is None:
        return student
    swap = {id(namespace[name]): ref for name, ref in REFERENCE_PIECES.items() if name in namespace}
    rebind = _Rebinder(namespace, swap)
    for key, value in namespace.items():
        rebind.new_globals[key] = rebind(value)
    rebind.new_globals.update(REFERENCE_PIECES)
    return rebind(student)


def _graded_alone(task: str, grade: Callable[[Any], None], student: Any) -> None:
    """``grade`` the student's model class with the reference layers; with the student's own if that fails."""
    try:
        grade(with_reference_pieces(student))
    except Exception as alone:  # noqa: BLE001 - any failure: try the student's own layers before failing
        try:
            grade(student)
        except Exception as own:  # noqa: BLE001
            message = f"{task}, run by the grader with reference layers in place of yours: {_describe(alone)}"
            if _describe(own) != _describe(alone):
                message += f" (With your own layers: {_describe(own)})"
            raise CheckFailed(message) from alone


def _describe(error: Exception) -> str:
    return str(error) if isinstance(error, CheckFailed) else f"{type(error).__name__}: {error}"


# -- Calling the student's code ------------------------------------------------------------------------------------

def _call(fn: Fn, label: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` quietly on copies of its array arguments; name an argument that it changed in place."""
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    result = call_quietly(fn, *copies, **kwargs)
    for position, (copy, original) in enumerate(zip(copies, args)):
        if isinstance(original, np.ndarray) and not (
                copy.shape == original.shape and np.array_equal(copy, original, equal_nan=True)):
            raise CheckFailed(f"`{label}` changed its argument number {position + 1} in place. It must leave its "
                              "inputs unchanged: compute into new arrays (h = x.reshape(N, -1) / 2, not x /= 2).")
    return result


def _forward(forward: Fn, task: str, inputs: dict[str, np.ndarray], kwargs: dict[str, Any]) -> tuple[np.ndarray, Any]:
    """The student's forward pass on copies of ``inputs`` (``checks._forward`` names an input changed in place)."""
    return checks._forward(forward, f"{task}_forward", *(np.copy(a) for a in inputs.values()), **kwargs)


def _cache(forward: Fn, task: str, inputs: dict[str, np.ndarray], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """The student's forward pass on copies, for its cache: a forward that writes into its input loses points in
    its own cell, not in the backward pass's."""
    return checks._pair(call_quietly(forward, *(np.copy(a) for a in inputs.values()), **kwargs), f"{task}_forward")


def _shapes(inputs: dict[str, np.ndarray], kwargs: dict[str, Any]) -> str:
    described = [f"{name} {value.shape}" for name, value in inputs.items()] + [f"{k}={v}" for k, v in kwargs.items()]
    return " with " + ", ".join(described)


def _grade_layer_forward(task: str, forward: Fn, inputs: dict[str, np.ndarray], kwargs: dict[str, Any] | None = None,
                         **tolerance: float) -> None:
    kwargs = kwargs or {}
    op, _ = LAYERS[task]
    want = op(*(_tensor(a) for a in inputs.values()), **kwargs).numpy()
    out, _ = _forward(forward, task, inputs, kwargs)
    expect_close(out, want, f"{task}_forward(...)[0]" + _shapes(inputs, kwargs), **tolerance)


def _grade_layer_backward(task: str, forward: Fn, backward: Fn, inputs: dict[str, np.ndarray],
                          kwargs: dict[str, Any] | None = None, *, rng: np.random.Generator) -> None:
    """The student's gradients against autograd, for a normal ``dout`` drawn from ``rng``; the cache must come out
    of the backward pass as it went in (a second backward pass from it must give the same gradients)."""
    kwargs = kwargs or {}
    op, differentiated = LAYERS[task]
    tensors = {name: _tensor(value, grad=name in differentiated) for name, value in inputs.items()}
    out = op(*tensors.values(), **kwargs)
    dout = rng.normal(size=tuple(out.shape))
    out.backward(torch.from_numpy(dout))
    _, cache = _cache(forward, task, inputs, kwargs)
    kept = deepcopy(cache)
    got = checks._grads(call_quietly(backward, dout.copy(), cache), len(differentiated), f"{task}_backward")
    if not unchanged(kept, cache):
        raise CheckFailed(f"{task}_backward changes the cache that {task}_forward returned (it writes into it in "
                          "place, e.g. s *= 1 - s): a second backward pass from the same cache would be wrong. Compute "
                          "new arrays instead (s * (1 - s)).")
    for name, grad in zip(differentiated, got):
        expect_close(grad, tensors[name].grad.numpy(), f"d{name} from {task}_backward" + _shapes(inputs, kwargs))


# -- 1. Activations ------------------------------------------------------------------------------------------------

_ACTIVATION_SEEDS = {"relu": (501, 502), "sigmoid": (503, 504), "tanh": (505, 506)}  # (forward, backward)


def _activation_input(task: str, backward: bool) -> tuple[np.ndarray, np.random.Generator]:
    """The seeded input of a hidden test (relu with exact zeros, sigmoid and tanh up to +-900) and its generator."""
    rng = np.random.default_rng(_ACTIVATION_SEEDS[task][backward])
    if task == "relu":
        x = rng.normal(size=(4, 6)) if backward else rng.normal(size=(3, 4, 5)) * 3
        x[:, 0] = 0.0  # the boundary: relu(0) = 0, and the gradient at 0 is 0 (as the text says)
    elif backward:
        x = rng.normal(size=(5, 3)) * 3 if task == "sigmoid" else rng.normal(size=(3, 2, 4)) * 2
    elif task == "sigmoid":
        x = np.concatenate([rng.normal(size=20) * 4, rng.uniform(-900, 900, size=20), [-745.5, 710.0]]).reshape(6, 7)
    else:
        x = np.concatenate([rng.normal(size=10) * 2, rng.uniform(-800, 800, size=10)]).reshape(4, 5)
    return x, rng


@one_thread
def grade_activation_forward(task: str, forward: Fn) -> None:
    """``<task>_forward`` (relu, sigmoid or tanh) against torch, extreme inputs included, input left unchanged."""
    tolerance = {} if task == "relu" else {"rtol": 1e-9, "atol": 1e-12}
    _grade_layer_forward(task, forward, {"x": _activation_input(task, backward=False)[0]}, **tolerance)


@one_thread
def grade_activation_backward(task: str, forward: Fn, backward: Fn) -> None:
    """``<task>_backward`` against autograd (for relu at exactly 0 too: gradient 0)."""
    x, rng = _activation_input(task, backward=True)
    _grade_layer_backward(task, forward, backward, {"x": x}, rng=rng)


# -- 2. Fully connected --------------------------------------------------------------------------------------------

def _fc_inputs(rng: np.random.Generator, shape: tuple[int, ...], m: int) -> dict[str, np.ndarray]:
    return {"x": rng.normal(size=shape), "w": rng.normal(size=(int(np.prod(shape[1:])), m)), "b": rng.normal(size=m)}


@one_thread
def grade_fc_forward(fc_forward: Fn) -> None:
    """Matrices and images (flattened), against ``x.flatten(1) @ w + b``."""
    rng = np.random.default_rng(507)
    for shape in [(4, 6), (3, 2, 3, 2)]:
        _grade_layer_forward("fc", fc_forward, _fc_inputs(rng, shape, 5))


@one_thread
def grade_fc_backward(fc_forward: Fn, fc_backward: Fn) -> None:
    """dx (in the shape of x), dw and db against autograd, for matrices and images."""
    rng = np.random.default_rng(508)
    for shape in [(5, 7), (2, 3, 2, 2)]:
        _grade_layer_backward("fc", fc_forward, fc_backward, _fc_inputs(rng, shape, 4), rng=rng)


# -- 3. Convolution ------------------------------------------------------------------------------------------------

def _conv_cases(rng: np.random.Generator, cases: list[tuple[int, ...]]) -> Iterator[tuple[dict, dict]]:
    """(inputs, stride and padding) for each (N, C, H, W, F, k, stride, pad) (a square k x k kernel) or
    (N, C, H, W, F, kh, kw, stride, pad), drawn one case at a time."""
    for case in cases:
        n, c, h, w, f, *kernel, s, p = case
        kh, kw = kernel * 2 if len(kernel) == 1 else kernel
        yield ({"x": rng.normal(size=(n, c, h, w)), "w": rng.normal(size=(f, c, kh, kw)), "b": rng.normal(size=f)},
               {"stride": s, "pad": p})


@one_thread
def grade_conv_forward(conv_forward: Fn) -> None:
    """Strides 1 to 3, paddings 0 to 2, kernels 2 to 5 and a 2 x 3 one, against ``F.conv2d``."""
    for inputs, kwargs in _conv_cases(np.random.default_rng(509), [(2, 3, 7, 6, 4, 3, 1, 1), (1, 2, 8, 9, 3, 3, 2, 2),
                                                                   (2, 1, 6, 6, 2, 5, 1, 0), (1, 2, 7, 7, 2, 2, 3, 1),
                                                                   (2, 2, 6, 7, 3, 2, 3, 1, 1)]):
        _grade_layer_forward("conv", conv_forward, inputs, kwargs)


@one_thread
def grade_conv_backward(conv_forward: Fn, conv_backward: Fn) -> None:
    """dx, dw and db against autograd, with overlapping windows, strides and padding, and a 3 x 2 kernel."""
    rng = np.random.default_rng(510)
    for inputs, kwargs in _conv_cases(rng, [(2, 3, 6, 7, 4, 3, 1, 1), (2, 2, 8, 7, 3, 3, 2, 2),
                                            (1, 2, 7, 7, 2, 2, 3, 1), (2, 1, 6, 6, 2, 5, 1, 0),
                                            (2, 2, 7, 6, 3, 3, 2, 1, 1)]):
        _grade_layer_backward("conv", conv_forward, conv_backward, inputs, kwargs, rng=rng)


# -- 4. Max pooling ------------------------------------------------------------------------------------------------

_POOLS = [((2, 3, 8, 8), 2, 2), ((1, 2, 7, 9), 3, 2), ((2, 2, 6, 7), 2, 1)]  # (x shape, size, stride)


@one_thread
def grade_maxpool_forward(maxpool_forward: Fn) -> None:
    """Non-overlapping and overlapping windows against ``F.max_pool2d``."""
    rng = np.random.default_rng(511)
    for shape, size, stride in _POOLS:
        _grade_layer_forward("maxpool", maxpool_forward, {"x": rng.normal(size=shape)},
                             {"size": size, "stride": stride})


@one_thread
def grade_maxpool_backward(maxpool_forward: Fn, maxpool_backward: Fn) -> None:
    """Against autograd on distinct values; then with tied maxima, one window at a time, where the whole gradient
    of a window must go to exactly one of its tied maxima (any one), as the text says."""
    rng = np.random.default_rng(512)
    for shape, size, stride in _POOLS:
        _grade_layer_backward("maxpool", maxpool_forward, maxpool_backward, {"x": rng.normal(size=shape)},
                              {"size": size, "stride": stride}, rng=rng)
    x = np.random.default_rng(520).integers(0, 3, size=(1, 2, 6, 6)).astype(float)
    x[0, 1] = 0.0  # a whole map of zeros (as after a ReLU): every window ties
    for size, stride in ((2, 2), (3, 2), (2, 1)):
        _grade_maxpool_ties(maxpool_forward, maxpool_backward, x, size, stride)


def _grade_maxpool_ties(maxpool_forward: Fn, maxpool_backward: Fn, x: np.ndarray, size: int, stride: int) -> None:
    where = f"maxpool_backward with tied maxima (x {x.shape}, size={size}, stride={stride})"
    out, cache = _cache(maxpool_forward, "maxpool", {"x": x}, {"size": size, "stride": stride})
    out = expect_shape(out, (None,) * 4, "maxpool_forward(x)[0]")
    for window in np.ndindex(out.shape):
        n, c, i, j = window
        rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
        tied = x[n, c, rows, cols] == x[n, c, rows, cols].max()
        dout = np.zeros(out.shape)
        dout[window] = 1.5
        dx = expect_shape(call_quietly(maxpool_backward, dout, cache), x.shape, where)
        inside = np.zeros(x.shape, dtype=bool)
        inside[n, c, rows, cols] = True
        receivers = np.argwhere(dx != 0)
        if (np.any(dx[~inside] != 0) or len(receivers) != 1 or not np.isclose(dx[tuple(receivers[0])], 1.5)
                or not tied[tuple(receivers[0][2:] - [i * stride, j * stride])]):
            raise CheckFailed(
                f"`{where}`: the gradient 1.5 of window {window} alone, whose maximum {int(tied.sum())} of its "
                f"{size * size} inputs share, came back as {int(len(receivers))} nonzero value(s) "
                f"{np.round(dx[dx != 0], 4).tolist()}. The whole gradient of a window goes to one of its tied "
                "maxima (any one; argmax picks the first), and nothing to the other inputs.")


# -- 5. Softmax cross-entropy --------------------------------------------------------------------------------------

@one_thread
def grade_softmax_cross_entropy(softmax_cross_entropy: Fn) -> None:
    """Loss and dlogits against ``F.cross_entropy`` and autograd, logits up to +-1200, and rows whose scores lie
    near +1000 and near -1000 (one maximum for the whole array underflows a row); logits left unchanged."""
    rng = np.random.default_rng(513)
    for n, c, scale, offset in [(6, 4, 1.0, 0.0), (5, 10, 3.0, 0.0), (4, 3, 400.0, 0.0), (4, 5, 2.0, 1000.0)]:
        z, y = rng.normal(size=(n, c)) * scale, rng.integers(0, c, size=n)
        z += offset * np.resize([1.0, -1.0], n)[:, None]
        want_loss, want_grad = _reference_softmax_cross_entropy(z, y)
        logits = z.copy()
        mine = checks._grads(call_quietly(softmax_cross_entropy, logits, y.copy()), 2, "softmax_cross_entropy")
        expect_close(logits, z, "logits after softmax_cross_entropy(logits, y)",
                     hint="subtract the row maximum into a new array (z - z.max(...)), not in place (z -= ...).")
        expect_close(mine[0], want_loss, f"the loss for logits of shape {(n, c)} (scale {scale})", rtol=1e-8)
        expect_close(mine[1], want_grad, f"dlogits for logits of shape {(n, c)} (scale {scale})",
                     rtol=1e-7, atol=1e-12)


# -- 6. Initialisation ---------------------------------------------------------------------------------------------

def _expect_std(w: np.ndarray, std: float, name: str, rtol: float) -> None:
    expect_close(w.mean(), 0.0, f"the mean of {name}", atol=5 * std / np.sqrt(w.size))
    expect_close(w.std(), std, f"the standard deviation of {name}", rtol=rtol)


@one_thread
def grade_random_normal_weight_init(random_normal_weight_init: Fn) -> None:
    """Shape, mean, standard deviation and the one-sigma fraction of 24 000 weights; drawn from the given generator."""
    w = expect_shape(call_quietly(random_normal_weight_init, (20, 30, 40), np.random.default_rng(514)),
                     (20, 30, 40), "w")
    _expect_from_rng("random_normal_weight_init", w, call_quietly(random_normal_weight_init, (20, 30, 40),
                                                                  np.random.default_rng(1514)))
    expect_close(w.mean(), 0.0, "the mean", atol=0.01)
    expect_close(w.std(), 1.0, "the standard deviation", rtol=0.01)
    expect_close(np.mean(np.abs(w) < 1), 0.6827, "the fraction of weights within one standard deviation", atol=0.01)


def _expect_from_rng(task: str, first: np.ndarray, second: Any) -> None:
    """``second``, drawn with another generator than ``first``, must differ from it."""
    if np.array_equal(first, np.asarray(second)):
        raise CheckFailed(f"{task} gives the same weights for two different generators: draw every random number "
                          "from the generator `rng` it is given (rng.standard_normal(shape)), so that the seed of a "
                          "model decides its weights.")


@one_thread
def grade_zeros_bias_init(zeros_bias_init: Fn) -> None:
    """Zeros of shape (n,) as a float NumPy array (the layers add float updates to it in place)."""
    for n in (1, 13, 120):
        b = call_quietly(zeros_bias_init, n)
        if not isinstance(b, np.ndarray) or b.dtype.kind != "f":
            kind = f"an array of dtype {b.dtype}" if isinstance(b, np.ndarray) else f"a {type(b).__name__}"
            raise CheckFailed(f"zeros_bias_init({n}) returns {kind}; return a float NumPy array (np.zeros(n)): "
                              "training adds float updates to the biases in place.")
        expect_close(b, np.zeros(n), f"zeros_bias_init({n})", atol=0)


@one_thread
def grade_he_weight_init(he_weight_init: Fn) -> None:
    """Standard deviation sqrt(2 / fan_in) and the one-sigma fraction, for matrices and a convolution kernel;
    drawn from the given generator."""
    for shape, fan_in in [((600, 100), 600), ((64, 3, 7, 7), 147), ((50, 2000), 50)]:
        w = expect_shape(call_quietly(he_weight_init, shape, fan_in, np.random.default_rng(515)), shape, "w")
        _expect_from_rng("he_weight_init", w, call_quietly(he_weight_init, shape, fan_in, np.random.default_rng(1515)))
        expect_close(w.std(), np.sqrt(2 / fan_in), f"the standard deviation for fan_in={fan_in}", rtol=0.02)
        expect_close(np.mean(np.abs(w) < np.sqrt(2 / fan_in)), 0.6827, "the fraction within one standard deviation",
                     atol=0.01)


# -- 7-9. The models: oracles and the checks both share ------------------------------------------------------------

LENET_SHAPES = {"conv1_w": (6, 1, 5, 5), "conv1_b": (6,), "conv2_w": (16, 6, 5, 5), "conv2_b": (16,),
                "fc1_w": (256, 120), "fc1_b": (120,), "fc2_w": (120, 84), "fc2_b": (84,), "fc3_w": (84, 10),
                "fc3_b": (10,)}


def mlp_logits(params: dict[str, Any], x: Any, activation: str) -> torch.Tensor:
    """The logits of an MLP with parameters W1, b1, W2, ... (arrays or tensors) for inputs x (N, ...)."""
    p = {k: v if isinstance(v, torch.Tensor) else _tensor(v) for k, v in params.items() if re.fullmatch(r"[Wb]\d+", k)}
    layers = len([k for k in p if k.startswith("W")])
    h = _tensor(x).flatten(1)
    for i in range(1, layers + 1):
        h = h @ p[f"W{i}"] + p[f"b{i}"]
        if i < layers:
            h = ACTIVATIONS[activation](h)
    return h


def lenet_logits(p: dict[str, torch.Tensor], x: Any) -> torch.Tensor:
    """The logits of the notebook's LeNet-5 (section 9) for inputs (N, 1, 28, 28)."""
    h = _maxpool(torch.relu(_conv(_tensor(x), p["conv1_w"], p["conv1_b"])))
    h = _maxpool(torch.relu(_conv(h, p["conv2_w"], p["conv2_b"])))
    h = torch.relu(_fc(h, p["fc1_w"], p["fc1_b"]))
    h = torch.relu(_fc(h, p["fc2_w"], p["fc2_b"]))
    return _fc(h, p["fc3_w"], p["fc3_b"])


def _fill_params(model: Any, rng: np.random.Generator, scale: float = 1.0) -> dict[str, torch.Tensor]:
    """Write normal values into ``model.params`` (in place, as the text announces); leaf tensors holding them."""
    tensors = {}
    for key in list(model.params):
        model.params[key][...] = rng.normal(size=np.shape(model.params[key])) * scale
        tensors[key] = _tensor(model.params[key], grad=True)
    return tensors


def _check_init(make: Callable[[int], Any], name: str, shapes: dict[str, tuple[int, ...]],
                stds: dict[str, float], seeds: int = 1) -> None:
    """Constructor: float64 parameters of the given shapes, grads alike, zero biases, weights of standard
    deviation ``stds`` (pooled over ``seeds`` seeds), and the seed reproduces the parameters."""
    pooled: dict[str, list[np.ndarray]] = {key: [] for key in stds}
    for seed in range(seeds):
        model = make(seed)
        for attribute in ("params", "grads"):
            expect_type(getattr(model, attribute, None), dict, f"{name}.{attribute}")
        for key, shape in shapes.items():
            if key not in model.params or key not in model.grads:
                raise CheckFailed(f"`{name}.params` and `.grads` should both have the entry '{key}'; they have "
                                  f"{sorted(model.params)} and {sorted(model.grads)}.")
            value = expect_shape(model.params[key], shape, f"{name}.params['{key}']")
            expect_shape(model.grads[key], shape, f"{name}.grads['{key}']")
            dtype = getattr(model.params[key], "dtype", None)
            if dtype != np.float64:
                raise CheckFailed(f"`{name}.params['{key}']` should be a float64 array; it is "
                                  f"{type(model.params[key]).__name__} of dtype {dtype}.")
            if key in stds:
                pooled[key].append(value.ravel())
            else:
                expect_close(value, np.zeros(shape), f"{name}.params['{key}'] (a bias) after the constructor", atol=0,
                             hint="biases start at zero.")
    for key, std in stds.items():
        w = np.concatenate(pooled[key])
        _expect_std(w, std, f"{name}.params['{key}'] after the constructor ({w.size} weights, {seeds} seed(s))",
                    rtol=max(0.03, 6 / np.sqrt(2 * w.size)))
    first, again, other = make(0), make(0), make(1)
    for key in stds:
        expect_close(again.params[key], first.params[key], f"{name}.params['{key}'] for the same seed twice",
                     hint="seed np.random.default_rng(seed) and draw every weight from it.")
    key = next(iter(stds))
    if np.allclose(other.params[key], first.params[key]):
        raise CheckFailed(f"`{name}.params['{key}']` is the same for seeds 0 and 1: seed the generator with `seed`.")


def _check_outputs(model: Any, name: str, x: np.ndarray, y: np.ndarray, logits: torch.Tensor) -> None:
    """forward (input left unchanged), get_loss and get_error of the last forward pass."""
    want = logits.detach()
    expect_close(_call(model.forward, f"{name}.forward", x), want.numpy(), f"the logits of {name}")
    expect_close(_call(model.get_loss, f"{name}.get_loss", y), F.cross_entropy(want, _labels(y)).item(),
                 f"{name}.get_loss(y)")
    predicted = want.argmax(1).numpy()
    expect_close(_call(model.get_error, f"{name}.get_error", y), int(np.sum(predicted != y)), f"{name}.get_error(y)")
    half = np.where(np.arange(len(y)) < len(y) // 2, predicted, (predicted + 1) % want.shape[1])
    expect_close(_call(model.get_error, f"{name}.get_error", half), len(y) - len(y) // 2,
                 f"{name}.get_error(y) with {len(y) - len(y) // 2} of {len(y)} predictions wrong (the number of "
                 "mistakes)")


def _check_gradients(model: Any, name: str, x: np.ndarray, y: np.ndarray, logits: torch.Tensor,
                     tensors: dict[str, torch.Tensor], **tolerance: float) -> None:
    """backward against autograd; a second backward adds to grads; zero_grads sets every gradient to 0."""
    F.cross_entropy(logits, _labels(y)).backward()
    call_quietly(model.zero_grads)
    _call(model.forward, f"{name}.forward", x)
    _call(model.backward, f"{name}.backward", y)
    for key, t in tensors.items():
        expect_close(model.grads[key], t.grad.numpy(), f"grads['{key}'] of {name}", **tolerance)
    _call(model.forward, f"{name}.forward", x)
    _call(model.backward, f"{name}.backward", y)
    for key, t in tensors.items():
        expect_close(model.grads[key], 2 * t.grad.numpy(), f"grads['{key}'] of {name} after two backward passes",
                     hint="backward adds to the gradients, as in PyTorch; zero_grads resets them.", **tolerance)
    call_quietly(model.zero_grads)
    for key, t in tensors.items():
        expect_close(model.grads[key], np.zeros(t.shape), f"grads['{key}'] of {name} after zero_grads", atol=0)


def _check_steps(model: Any, name: str, logits: Callable[[dict[str, torch.Tensor], np.ndarray], torch.Tensor],
                 batches: list[tuple[np.ndarray, np.ndarray]], lr: float, momentum: float) -> None:
    """Three training steps, the learning rate changing between them, against ``torch.optim.SGD``."""
    tensors = {k: _tensor(v, grad=True) for k, v in model.params.items()}
    optimiser = torch.optim.SGD(list(tensors.values()), lr=lr, momentum=momentum)
    rates = (lr, lr * 0.4, lr * 0.1)  # as drop_learning_rate does between epochs
    for rate, (x, y) in zip(rates, batches):
        model.lr = optimiser.param_groups[0]["lr"] = rate
        optimiser.zero_grad()
        F.cross_entropy(logits(tensors, x), _labels(y)).backward()
        optimiser.step()
        call_quietly(model.zero_grads)
        _call(model.forward, f"{name}.forward", x)
        _call(model.backward, f"{name}.backward", y)
        call_quietly(model.step)
    for key, t in tensors.items():
        expect_close(model.params[key], t.detach().numpy(),
                     f"params['{key}'] of {name} after 3 steps with momentum={momentum} and lr {rates}",
                     hint="v = momentum * v + grad; param -= lr * v, with the learning rate model.lr of each step.")


# -- 7. The MLP ----------------------------------------------------------------------------------------------------

def _mlp_init(MLP: Fn) -> None:
    sizes = [400, 300, 50]
    shapes = {"W1": (400, 300), "b1": (300,), "W2": (300, 50), "b2": (50,)}
    for init, stds in (("he", {"W1": np.sqrt(2 / 400), "W2": np.sqrt(2 / 300)}), ("normal", {"W1": 1.0, "W2": 1.0})):
        _check_init(lambda seed, init=init: call_quietly(MLP, sizes, activation="tanh", init=init, lr=0.1,
                                                         momentum=0.0, seed=seed),
                    f"MLP({sizes}, init='{init}')", shapes, stds)


def _mlp_forward(MLP: Fn) -> None:
    checks.check_mlp_forward(MLP, in_grader=True)
    _mlp_init(MLP)
    rng = np.random.default_rng(516)
    for act, sizes, shape in [("relu", [8, 6, 5, 4], (5, 8)), ("sigmoid", [12, 7, 3], (4, 3, 2, 2)),
                              ("tanh", [6, 4], (3, 6))]:
        model = call_quietly(MLP, sizes, activation=act, lr=0.1, momentum=0.0, seed=5)
        tensors = _fill_params(model, rng)
        x, y = rng.normal(size=shape), rng.integers(0, sizes[-1], size=shape[0])
        _check_outputs(model, f"MLP({sizes}, activation='{act}')", x, y, mlp_logits(tensors, x, act))


def _mean_cross_entropy(logits: Any, y: np.ndarray) -> float:
    """The mean softmax cross-entropy of ``logits`` (N, C), by PyTorch: the loss whose gradient backward returns,
    independent of the student's get_loss (graded with the forward pass)."""
    return float(F.cross_entropy(_tensor(logits), torch.as_tensor(np.asarray(y), dtype=torch.long)))


def _mlp_backward(MLP: Fn) -> None:
    checks.check_mlp_backward(MLP, in_grader=True, loss=_mean_cross_entropy)
    rng = np.random.default_rng(517)
    for act, sizes in [("relu", [9, 7, 5, 4]), ("tanh", [6, 5, 3]), ("sigmoid", [4, 6, 3])]:
        model = call_quietly(MLP, sizes, activation=act, lr=0.1, momentum=0.0, seed=6)
        tensors = _fill_params(model, rng)
        x, y = rng.normal(size=(6, sizes[0])), rng.integers(0, sizes[-1], size=6)
        _check_gradients(model, f"MLP({sizes}, activation='{act}')", x, y, mlp_logits(tensors, x, act), tensors)


def _mlp_step(MLP: Fn) -> None:
    checks.check_mlp_step(MLP, in_grader=True)
    rng = np.random.default_rng(518)
    for momentum in (0.0, 0.9):
        model = call_quietly(MLP, [5, 4, 3], activation="relu", lr=0.05, momentum=momentum, seed=7)
        batches = [(rng.normal(size=(8, 5)), rng.integers(0, 3, size=8)) for _ in range(3)]
        _check_steps(model, "MLP([5, 4, 3])", lambda p, x: mlp_logits(p, x, "relu"), batches, 0.05, momentum)


@one_thread
def grade_mlp_forward(MLP: Fn) -> None:
    """The constructor (shapes, He and normal initialisation, zero biases, the seed), forward on matrices and
    images for each activation, get_loss and get_error: the class run with reference layers."""
    _graded_alone("MLP (forward, get_loss, get_error, the constructor)", _mlp_forward, MLP)


@one_thread
def grade_mlp_backward(MLP: Fn) -> None:
    """backward against autograd for each activation, gradients adding up, zero_grads."""
    _graded_alone("MLP (backward, zero_grads)", _mlp_backward, MLP)


@one_thread
def grade_mlp_step(MLP: Fn) -> None:
    """Three SGD steps without and with momentum, the learning rate changing between steps, against torch."""
    _graded_alone("MLP (step)", _mlp_step, MLP)


# -- 8. The MLP's performance --------------------------------------------------------------------------------------

@one_thread
def grade_mlp_performance(saved: dict[str, Any]) -> int:
    """Points for the test error of the saved MLP (W1, b1, ..., activation) on all MNIST test images: 10 below
    5 %, 5 below 10 %, 3 below 20 %, else 0. Prints what it graded; the call is the cell's last line."""
    activation = str(saved["activation"])
    test = load_images("MNIST", train=False)
    with torch.no_grad():
        logits = mlp_logits({k: np.asarray(v, dtype=np.float64) for k, v in saved.items() if k != "activation"},
                            test.images.reshape(len(test), -1), activation)
    error = float(np.mean(logits.argmax(1).numpy() != test.labels))
    points = 10 if error < 0.05 else 5 if error < 0.10 else 3 if error < 0.20 else 0
    which = "p1_model.npz" if Path("p1_model.npz").exists() else "the quick MLP"
    print(f"test error of {which}: {100 * error:.2f} % on {len(test)} {test.source} images -> {points} points")
    return points


# -- 9. LeNet-5 ----------------------------------------------------------------------------------------------------

def _lenet(LeNet5: Fn) -> None:
    checks.check_lenet(LeNet5, in_grader=True)
    fan_in = {"conv1_w": 25, "conv2_w": 150, "fc1_w": 256, "fc2_w": 120, "fc3_w": 84}
    _check_init(lambda seed: call_quietly(LeNet5, lr=0.1, momentum=0.0, seed=seed), "LeNet5()", LENET_SHAPES,
                {key: np.sqrt(2 / n) for key, n in fan_in.items()}, seeds=10)
    rng = np.random.default_rng(519)
    model = call_quietly(LeNet5, lr=0.1, momentum=0.0, seed=8)
    tensors = _fill_params(model, rng, scale=0.3)
    x, y = rng.uniform(size=(3, 1, 28, 28)), np.array([1, 4, 9])
    logits = lenet_logits(tensors, x)
    _check_outputs(model, "LeNet5", x, y, logits)
    _check_gradients(model, "LeNet5", x, y, logits, tensors, rtol=1e-6, atol=1e-9)
    rng = np.random.default_rng(521)
    model = call_quietly(LeNet5, lr=0.02, momentum=0.9, seed=9)
    batches = [(rng.uniform(size=(2, 1, 28, 28)), rng.integers(0, 10, size=2)) for _ in range(3)]
    _check_steps(model, "LeNet5", lenet_logits, batches, 0.02, 0.9)


@one_thread
def grade_lenet(LeNet5: Fn) -> None:
    """The whole interface of LeNet5, run with reference layers: constructor (shapes, He initialisation with the
    fan-in C kh kw of a convolution, zero biases, the seed), forward, get_loss, get_error, backward (adding),
    zero_grads and step (momentum, changing learning rate), against PyTorch."""
    _graded_alone("LeNet5", _lenet, LeNet5)
