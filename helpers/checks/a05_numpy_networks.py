"""Public checks for notebook 05 (a neural network in NumPy).

Every layer of the notebook is a pair ``*_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> gradients``. The checks test shapes first, then
small worked examples of their own (a kernel with a single 1 that must copy its
input, a 4 x 4 map to pool, logits with a known loss), then every backward pass
against centred finite differences of the student's *own* forward pass
(``helpers.checks.gradcheck``, threshold 1e-6). The assignment's numbers are graded by
hidden tests against PyTorch, never here.

The model checks (``check_mlp_*``, ``check_lenet``) run a model built from the student's own layers, so a wrong
layer would fail them too. Under ``nbgrader autograde`` they therefore only print a line: the hidden tests run
the same checks, and more, on the student's class with reference layers in place of the student's, so that a
mistake in a layer costs points in that layer's cell only.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from helpers.checks import (
    CheckFailed,
    as_float_array,
    call_quietly,
    expect_callable,
    expect_close,
    expect_shape,
    expect_type,
    not_handed_in,
    passed,
)
from helpers.checks.gradcheck import check_gradient, numerical_gradient

Fn = Callable[..., Any]


def _pair(result: Any, name: str) -> tuple[Any, Any]:
    """A forward pass must return (out, cache)."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(f"`{name}` should return a pair (out, cache), but it returned {type(result).__name__}"
                          + (f" of length {len(result)}" if isinstance(result, tuple) else "") + ".")
    return result


def _forward(forward: Fn, name: str, *args: Any, **kwargs: Any) -> tuple[np.ndarray, Any]:
    """Run a forward pass; fail if it returns no ``(out, cache)`` pair or writes into one of its input arrays."""
    before = [np.copy(a) if isinstance(a, np.ndarray) else None for a in args]
    out, cache = _pair(call_quietly(forward, *args, **kwargs), name)
    for position, (arg, copy) in enumerate(zip(args, before)):
        if copy is not None and not (arg.shape == copy.shape and np.array_equal(arg, copy, equal_nan=True)):
            raise CheckFailed(f"`{name}` changed its input number {position + 1} in place. A forward pass must "
                              "leave its inputs unchanged: compute the output into a new array (np.maximum(x, 0), "
                              "not np.maximum(x, 0, out=x) or x[x < 0] = 0).")
    return as_float_array(out, f"the output of {name}"), cache


def _grads(result: Any, count: int, name: str) -> tuple[Any, ...]:
    if count == 1:
        return (result,)
    if not isinstance(result, tuple) or len(result) != count:
        raise CheckFailed(f"`{name}` should return a tuple of {count} gradients, but it returned "
                          f"{type(result).__name__}" + (f" of length {len(result)}" if isinstance(result, tuple)
                                                         else "") + ".")
    return result


def _expect_written(backward: Fn) -> None:
    """Surface the "Task '...' is not done yet" error of an unwritten backward pass before its forward runs.

    The backward pass is called once on placeholder arguments: a stub raises NotImplementedError, which is
    passed on; any other outcome (a written function fails on placeholders) is ignored.
    """
    try:
        call_quietly(backward, None, None)
    except NotImplementedError:
        raise
    except Exception:  # noqa: BLE001 - a written backward pass cannot handle placeholders; that is expected
        pass


def _check_backward(forward: Fn, backward: Fn, inputs: dict[str, np.ndarray], fixed: dict[str, Any],
                    layer: str, rng: np.random.Generator) -> None:
    """Gradients of ``backward`` for every array in ``inputs`` against finite differences of ``forward``."""
    _expect_written(backward)
    # the forward pass gets copies: a forward that writes into its input is reported by its own check, and must
    # not make a correct backward pass look wrong here
    out, cache = _pair(call_quietly(forward, *(np.copy(v) for v in inputs.values()), **fixed), f"{layer}_forward")
    out = as_float_array(out, f"the output of {layer}_forward")
    dout = rng.normal(size=out.shape)
    got = _grads(call_quietly(backward, dout, cache), len(inputs), f"{layer}_backward")
    for (name, value), grad in zip(inputs.items(), got):
        def f(v: np.ndarray, name: str = name) -> np.ndarray:
            args = {**inputs, name: v}
            return _pair(forward(*(np.copy(a) for a in args.values()), **fixed), f"{layer}_forward")[0]

        analytic = expect_shape(grad, value.shape, f"d{name} from {layer}_backward")
        check_gradient(analytic, numerical_gradient(f, value, dout), f"{layer}_backward: d{name}")


# -- Activations -------------------------------------------------------------------------------------

_PROBE = np.array([[-2.5, -0.7, -0.1], [0.2, 1.3, 3.0]])


def _check_activation_forward(forward: Fn, name: str, want: Callable[[np.ndarray], np.ndarray]) -> None:
    expect_callable(forward, f"{name}_forward")
    out, _ = _forward(forward, f"{name}_forward", _PROBE.copy())
    expect_shape(out, _PROBE.shape, f"{name}_forward(x)[0] for x of shape (2, 3)")
    expect_close(out, want(_PROBE), f"{name}_forward(x)[0]")
    big = np.array([-1000.0, -50.0, 50.0, 1000.0])
    out, _ = _forward(forward, f"{name}_forward", big)
    expect_close(out, want(big), f"{name}_forward at +-50 and +-1000", atol=1e-12,
                 hint="for large |x| use a form that never computes exp of a large positive number.")
    passed(f"{name}_forward: shape, values and large inputs")


def _check_activation_backward(forward: Fn, backward: Fn, name: str) -> None:
    expect_callable(backward, f"{name}_backward")
    x = np.random.default_rng(5).uniform(0.1, 3.0, size=(3, 4)) * np.where(np.arange(12) % 2, 1, -1).reshape(3, 4)
    _check_backward(forward, backward, {"x": x}, {}, name, np.random.default_rng(6))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def check_relu_forward(relu_forward: Fn) -> None:
    """ReLU keeps positive inputs and zeroes the others."""
    _check_activation_forward(relu_forward, "relu", lambda x: np.where(x > 0, x, 0.0))


def check_relu_backward(relu_forward: Fn, relu_backward: Fn) -> None:
    _check_activation_backward(relu_forward, relu_backward, "relu")


def check_sigmoid_forward(sigmoid_forward: Fn) -> None:
    """Values of 1 / (1 + e^-x), finite and correct for inputs as large as +-1000."""
    _check_activation_forward(sigmoid_forward, "sigmoid", _sigmoid)


def check_sigmoid_backward(sigmoid_forward: Fn, sigmoid_backward: Fn) -> None:
    _check_activation_backward(sigmoid_forward, sigmoid_backward, "sigmoid")


def check_tanh_forward(tanh_forward: Fn) -> None:
    _check_activation_forward(tanh_forward, "tanh", lambda x: 2 * _sigmoid(2 * x) - 1)


def check_tanh_backward(tanh_forward: Fn, tanh_backward: Fn) -> None:
    _check_activation_backward(tanh_forward, tanh_backward, "tanh")


# -- Fully connected ---------------------------------------------------------------------------------

def check_fc_forward(fc_forward: Fn) -> None:
    """A worked example with D = 3, M = 2, and a 4-d input that must be flattened."""
    expect_callable(fc_forward, "fc_forward")
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]])
    w = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]])
    b = np.array([0.5, -0.5])
    out, _ = _forward(fc_forward, "fc_forward", x, w, b)
    expect_shape(out, (2, 2), "fc_forward(x, w, b)[0] for x (2, 3), w (3, 2)")
    expect_close(out, [[4.5, -1.5], [1.0, -2.0]], "fc_forward(x, w, b)[0]",
                 hint="out = x @ w + b, with w of shape (D, M).")
    images = np.arange(2 * 2 * 2 * 3, dtype=float).reshape(2, 2, 2, 3) / 10
    w = np.ones((12, 1))
    out, _ = _forward(fc_forward, "fc_forward", images, w, np.zeros(1))
    expect_close(out, images.reshape(2, -1).sum(axis=1, keepdims=True), "fc_forward on inputs of shape (2, 2, 2, 3)",
                 hint="flatten every example into one row: x.reshape(N, -1).")
    passed("fc_forward: worked example, and inputs of shape (N, C, H, W) are flattened")


def check_fc_backward(fc_forward: Fn, fc_backward: Fn) -> None:
    """dx (in the shape of x), dw and db against finite differences."""
    expect_callable(fc_backward, "fc_backward")
    rng = np.random.default_rng(7)
    inputs = {"x": rng.normal(size=(3, 2, 2)), "w": rng.normal(size=(4, 5)), "b": rng.normal(size=5)}
    _check_backward(fc_forward, fc_backward, inputs, {}, "fc", rng)


# -- Convolution -------------------------------------------------------------------------------------

def _conv_shape(h: int, w: int, k: int, stride: int, pad: int) -> tuple[int, int]:
    return (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1


def check_conv_forward(conv_forward: Fn) -> None:
    """Shapes for several strides and paddings; a kernel holding a single 1 copies (a shifted part of) x."""
    expect_callable(conv_forward, "conv_forward")
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, 3, 7, 6))
    for k, stride, pad in ((3, 1, 0), (3, 2, 1), (2, 3, 2)):
        w = rng.normal(size=(4, 3, k, k))
        out, _ = _forward(conv_forward, "conv_forward", x, w, np.zeros(4), stride=stride, pad=pad)
        expect_shape(out, (2, 4, *_conv_shape(7, 6, k, stride, pad)),
                     f"conv_forward(x, w, b, stride={stride}, pad={pad})[0] for x (2, 3, 7, 6), w (4, 3, {k}, {k})")
    # One filter that picks the centre of channel 1, and one that picks the top-left corner of channel 2.
    w = np.zeros((2, 3, 3, 3))
    w[0, 1, 1, 1] = 1.0
    w[1, 2, 0, 0] = 1.0
    b = np.array([0.0, 10.0])
    out, _ = _forward(conv_forward, "conv_forward", x, w, b, stride=1, pad=1)
    expect_close(out[:, 0], x[:, 1], "filter 0 (a centred 1 on channel 1) with pad=1",
                 hint="with pad=1 a 3x3 kernel whose only 1 is its centre copies its input channel. "
                      "Do not flip the kernel: this layer computes a cross-correlation, as PyTorch does.")
    shifted = np.pad(x[:, 2], ((0, 0), (1, 0), (1, 0)))[:, :7, :6] + 10
    expect_close(out[:, 1], shifted, "filter 1 (a top-left 1 on channel 2, bias 10) with pad=1",
                 hint="the top-left kernel entry sees the input one row up and one column left; "
                      "add the bias of each filter to all of its outputs.")
    out, _ = _forward(conv_forward, "conv_forward", x, w, b, stride=2, pad=1)
    expect_close(out[:, 0], x[:, 1, ::2, ::2], "filter 0 with stride=2, pad=1",
                 hint="stride 2 keeps every second output position, starting with the first.")
    passed("conv_forward: shapes for strides and paddings, and kernels that copy their input")


def check_conv_backward(conv_forward: Fn, conv_backward: Fn) -> None:
    """dx, dw and db against finite differences, with stride 2 and padding 1, then stride 1 without padding."""
    expect_callable(conv_backward, "conv_backward")
    rng = np.random.default_rng(9)
    for stride, pad in ((2, 1), (1, 0)):
        inputs = {"x": rng.normal(size=(2, 2, 5, 6)), "w": rng.normal(size=(3, 2, 3, 3)), "b": rng.normal(size=3)}
        _check_backward(conv_forward, conv_backward, inputs, {"stride": stride, "pad": pad}, "conv", rng)


# -- Max pooling -------------------------------------------------------------------------------------

def check_maxpool_forward(maxpool_forward: Fn) -> None:
    """A 4 x 4 worked example with 2 x 2 windows, and shapes for other windows and strides."""
    expect_callable(maxpool_forward, "maxpool_forward")
    x = np.array([[1.0, 5.0, 2.0, 0.0], [3.0, -1.0, 7.0, 4.0], [0.5, 0.0, -2.0, -3.0], [6.0, 1.0, -1.0, -4.0]])
    out, _ = _forward(maxpool_forward, "maxpool_forward", x[None, None], size=2, stride=2)
    expect_shape(out, (1, 1, 2, 2), "maxpool_forward of a (1, 1, 4, 4) input with size=2, stride=2")
    expect_close(out[0, 0], [[5.0, 7.0], [6.0, -1.0]], "the pooled 4 x 4 example",
                 hint="the maximum of each 2 x 2 block, negative numbers included.")
    x = np.random.default_rng(10).normal(size=(2, 3, 7, 8))
    for size, stride in ((3, 1), (3, 2), (2, 3)):
        out, _ = _forward(maxpool_forward, "maxpool_forward", x, size=size, stride=stride)
        expect_shape(out, (2, 3, (7 - size) // stride + 1, (8 - size) // stride + 1),
                     f"maxpool_forward(x, size={size}, stride={stride})[0] for x (2, 3, 7, 8)")
    passed("maxpool_forward: worked example and shapes")


def check_maxpool_backward(maxpool_forward: Fn, maxpool_backward: Fn) -> None:
    """dx against finite differences for non-overlapping and overlapping windows."""
    expect_callable(maxpool_backward, "maxpool_backward")
    rng = np.random.default_rng(11)
    for size, stride in ((2, 2), (3, 2)):
        x = rng.permutation(2 * 2 * 6 * 7).reshape(2, 2, 6, 7) / 10.0  # distinct values: no ties
        _check_backward(maxpool_forward, maxpool_backward, {"x": x}, {"size": size, "stride": stride},
                        "maxpool", rng)


# -- Loss --------------------------------------------------------------------------------------------

def check_softmax_cross_entropy(softmax_cross_entropy: Fn) -> None:
    """Equal logits give log C; shifting a row changes nothing; huge logits stay finite; dlogits by differences."""
    expect_callable(softmax_cross_entropy, "softmax_cross_entropy")
    result = call_quietly(softmax_cross_entropy, np.zeros((4, 5)), np.array([0, 1, 2, 4]))
    loss, grad = _grads(result, 2, "softmax_cross_entropy")
    expect_close(expect_shape(loss, (), "the loss"), np.log(5), "the loss of equal logits over 5 classes",
                 hint="every class then has probability 1/5; the loss is the mean over the batch of -log p.")
    expect_shape(grad, (4, 5), "dlogits for logits of shape (4, 5)")
    rng = np.random.default_rng(12)
    logits, y = rng.normal(size=(3, 4)), np.array([3, 0, 1])
    base = call_quietly(softmax_cross_entropy, logits, y)[0]
    shifted = call_quietly(softmax_cross_entropy, logits + np.array([[100.0], [-50.0], [7.0]]), y)[0]
    expect_close(shifted, base, "the loss after adding a constant to each row of logits",
                 hint="softmax over the classes (axis 1) does not change when a row is shifted.")
    loss, grad = call_quietly(softmax_cross_entropy, np.array([[1000.0, 0.0, -1000.0]]), np.array([1]))
    expect_close(loss, 1000.0, "the loss of logits [1000, 0, -1000] with label 1", rtol=1e-9,
                 hint="subtract the row maximum before exponentiating.")
    expect_close(grad, [[1.0, -1.0, 0.0]], "dlogits of logits [1000, 0, -1000] with label 1", atol=1e-9)
    grad = expect_shape(call_quietly(softmax_cross_entropy, logits, y)[1], (3, 4), "dlogits")
    numeric = numerical_gradient(lambda z: softmax_cross_entropy(z, y)[0], logits)
    check_gradient(grad, numeric, "softmax_cross_entropy: dlogits")


# -- Initialisation ----------------------------------------------------------------------------------

def _sample_stats(init: Fn, name: str, shape: tuple[int, ...], *args: Any) -> np.ndarray:
    w = expect_shape(call_quietly(init, shape, *args, rng=np.random.default_rng(13)), shape,
                     f"{name}({shape}, ...)")
    again = as_float_array(call_quietly(init, shape, *args, rng=np.random.default_rng(13)), name)
    if not np.array_equal(w, again):
        raise CheckFailed(f"`{name}` gave different weights for two generators with the same seed: "
                          "draw the numbers from the `rng` argument.")
    if np.unique(w).size < w.size // 2:
        raise CheckFailed(f"`{name}` repeats its values: every weight should be drawn independently.")
    return w


def check_random_normal_weight_init(random_normal_weight_init: Fn) -> None:
    """Shape, use of rng, mean 0 and standard deviation 1."""
    expect_callable(random_normal_weight_init, "random_normal_weight_init")
    w = _sample_stats(random_normal_weight_init, "random_normal_weight_init", (300, 200))
    expect_close(w.mean(), 0.0, "the mean of 60 000 weights", atol=0.02, hint="a standard normal has mean 0.")
    expect_close(w.std(), 1.0, "the standard deviation of 60 000 weights", rtol=0.02)
    passed("random_normal_weight_init: shape, seeded, mean 0 and standard deviation 1")


def check_zeros_bias_init(zeros_bias_init: Fn) -> None:
    expect_callable(zeros_bias_init, "zeros_bias_init")
    expect_close(call_quietly(zeros_bias_init, 7), np.zeros(7), "zeros_bias_init(7)")
    passed("zeros_bias_init: a vector of zeros")


def check_he_weight_init(he_weight_init: Fn) -> None:
    """Shape, use of rng, mean 0 and standard deviation sqrt(2 / fan_in), for a matrix and a conv kernel."""
    expect_callable(he_weight_init, "he_weight_init")
    for shape, fan_in in (((400, 150), 400), ((32, 8, 5, 5), 200)):
        w = _sample_stats(he_weight_init, "he_weight_init", shape, fan_in)
        expect_close(w.mean(), 0.0, f"the mean of he_weight_init({shape}, {fan_in})", atol=0.01)
        expect_close(w.std(), np.sqrt(2 / fan_in), f"the standard deviation of he_weight_init({shape}, {fan_in})",
                     rtol=0.03, hint="He initialisation has variance 2 / fan_in.")
    passed("he_weight_init: shape, seeded, mean 0 and standard deviation sqrt(2 / fan_in)")


# -- Models ------------------------------------------------------------------------------------------

def _graded_with_reference_layers(check: Callable[[Fn], None]) -> Callable[..., None]:
    """A model check that, under ``nbgrader autograde``, leaves the model to the hidden tests (see the top).

    ``in_grader=True`` is how the hidden tests call it: it then always runs (with the grader's ``options``). Under
    ``nbgrader validate`` (the student's own run, without hidden tests) it runs too.
    """
    @functools.wraps(check)
    def run(model_class: Fn, *, in_grader: bool = False, **options: Any) -> None:
        if not in_grader and os.environ.get("NBGRADER_EXECUTION", "").lower() == "autograde":
            print(f"[..] {check.__name__}: run by the grader below, on your class with the grader's layers "
                  "in place of yours")
            return
        check(model_class, **options)
    return run


def _model_gradients(model: Any, name: str, x: np.ndarray, y: np.ndarray, keys: list[str],
                     rng: np.random.Generator, entries: int | None = None,
                     loss: Callable[[Any, np.ndarray], float] | None = None) -> None:
    """model.backward against finite differences of model.forward + get_loss (or ``loss(logits, y)``, which the
    grader passes so that a mistake in get_loss is not counted again here), for the parameters ``keys``.

    The parameters are first set (in place) to normal values of standard deviation sqrt(1 / fan_in) for
    weights (fan_in: first axis of a matrix, C * kh * kw of a kernel) and 0.1 for biases, so that the check
    does not depend on how the student initialised them and the softmax is not saturated.
    """
    for param in model.params.values():
        shape = np.shape(param)
        fan_in = shape[0] if len(shape) == 2 else int(np.prod(shape[1:])) if len(shape) > 2 else 0
        param[...] = rng.normal(size=shape) * (np.sqrt(1.0 / fan_in) if fan_in else 0.1)
    call_quietly(model.zero_grads)
    call_quietly(model.forward, x)
    call_quietly(model.backward, y)
    for key in keys:
        param = model.params[key]
        analytic = expect_shape(model.grads[key], param.shape, f"{name}.grads['{key}']")
        size = int(np.prod(param.shape))
        chosen = np.arange(size) if entries is None else np.sort(rng.choice(size, min(entries, size), replace=False))
        numeric = np.empty(chosen.size)
        for j, i in enumerate(chosen):
            index = np.unravel_index(i, param.shape)
            saved = float(param[index])
            values = []
            for step in (1e-5, -1e-5):
                param[index] = saved + step
                logits = call_quietly(model.forward, x)
                values.append(float(call_quietly(model.get_loss, y) if loss is None else loss(logits, y)))
            param[index] = saved
            numeric[j] = (values[0] - values[1]) / 2e-5
        check_gradient(analytic.reshape(-1)[chosen], numeric, f"{name}: d loss / d {key}")


def _expect_params(model: Any, name: str, shapes: dict[str, tuple[int, ...]]) -> None:
    for attribute in ("params", "grads"):
        expect_type(getattr(model, attribute, None), dict, f"{name}.{attribute}")
    for key, shape in shapes.items():
        if key not in model.params:
            raise CheckFailed(f"`{name}.params` has no entry '{key}'; it has {sorted(model.params)}.")
        expect_shape(model.params[key], shape, f"{name}.params['{key}']")


@_graded_with_reference_layers
def check_mlp_forward(MLP: Fn) -> None:
    """Parameter shapes, logits of shape (N, C), the loss and the error count of a tiny network."""
    expect_callable(MLP, "MLP")
    model = call_quietly(MLP, [6, 5, 4, 3], activation="tanh", lr=0.1, momentum=0.0, seed=1)
    shapes = {"W1": (6, 5), "b1": (5,), "W2": (5, 4), "b2": (4,), "W3": (4, 3), "b3": (3,)}
    _expect_params(model, "MLP([6, 5, 4, 3])", shapes)
    x = np.random.default_rng(14).normal(size=(7, 6))
    logits = expect_shape(call_quietly(model.forward, x), (7, 3), "MLP([6, 5, 4, 3]).forward(x) for x (7, 6)")
    y = logits.argmax(axis=1)
    expect_close(call_quietly(model.get_error, y), 0, "get_error(y) when y holds the predicted classes")
    expect_close(call_quietly(model.get_error, (y + 1) % 3), 7, "get_error(y) when every label is wrong",
                 hint="get_error returns the number of wrong predictions, not a fraction.")
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    want = -np.mean(np.log(shifted[np.arange(7), y] / shifted.sum(axis=1)))
    expect_close(call_quietly(model.get_loss, y), want, "get_loss(y)",
                 hint="the mean softmax cross-entropy of the logits of the last forward pass.")
    images = np.random.default_rng(15).uniform(size=(2, 1, 2, 3))
    expect_shape(call_quietly(model.forward, images), (2, 3), "forward on images of shape (2, 1, 2, 3)")
    passed("MLP: parameter shapes, forward, get_loss and get_error")


@_graded_with_reference_layers
def check_mlp_backward(MLP: Fn, loss: Callable[[Any, np.ndarray], float] | None = None) -> None:
    """Gradients of every parameter against finite differences of the loss (get_loss, or ``loss(logits, y)``);
    zero_grads; gradients add up like PyTorch's."""
    expect_callable(MLP, "MLP")
    rng = np.random.default_rng(16)
    for activation in ("relu", "sigmoid"):
        model = call_quietly(MLP, [5, 4, 3], activation=activation, lr=0.1, momentum=0.0, seed=2)
        x, y = rng.normal(size=(6, 5)), rng.integers(0, 3, size=6)
        _model_gradients(model, f"MLP({activation})", x, y, ["W1", "b1", "W2", "b2"], rng, loss=loss)
    first = {k: np.array(v, dtype=float) for k, v in model.grads.items()}
    call_quietly(model.forward, x)
    call_quietly(model.backward, y)
    expect_close(model.grads["W1"], 2 * first["W1"], "grads['W1'] after a second backward without zero_grads",
                 hint="backward adds to the gradients (as in PyTorch); zero_grads resets them.")
    call_quietly(model.zero_grads)
    for key, grad in model.grads.items():
        expect_close(grad, np.zeros_like(first[key]), f"grads['{key}'] after zero_grads")
    passed("MLP.backward and zero_grads")


@_graded_with_reference_layers
def check_mlp_step(MLP: Fn) -> None:
    """One plain SGD step, then momentum with known gradients."""
    expect_callable(MLP, "MLP")
    for momentum in (0.0, 0.5):
        model = call_quietly(MLP, [3, 2], activation="relu", lr=0.1, momentum=momentum, seed=3)
        start = {k: np.array(v, dtype=float) for k, v in model.params.items()}
        call_quietly(model.zero_grads)
        for grad in model.grads.values():
            grad[...] = 1.0
        call_quietly(model.step)
        call_quietly(model.step)
        # v1 = g, v2 = momentum * v1 + g: two steps move by lr * (1 + (1 + momentum)) * g.
        expect_close(model.params["W1"], start["W1"] - 0.1 * (2 + momentum), f"W1 after two steps, momentum={momentum}",
                     hint="v = momentum * v + grad; param -= lr * v (the convention of torch.optim.SGD).")
    passed("MLP.step: plain SGD and momentum")


@_graded_with_reference_layers
def check_lenet(LeNet5: Fn) -> None:
    """Parameter shapes, logits of shape (N, 10), and gradients of some parameters by finite differences."""
    expect_callable(LeNet5, "LeNet5")
    model = call_quietly(LeNet5, lr=0.1, momentum=0.0, seed=4)
    shapes = {"conv1_w": (6, 1, 5, 5), "conv1_b": (6,), "conv2_w": (16, 6, 5, 5), "conv2_b": (16,),
              "fc1_w": (256, 120), "fc1_b": (120,), "fc2_w": (120, 84), "fc2_b": (84,), "fc3_w": (84, 10),
              "fc3_b": (10,)}
    _expect_params(model, "LeNet5()", shapes)
    rng = np.random.default_rng(17)
    x, y = rng.uniform(size=(2, 1, 28, 28)), np.array([3, 7])
    expect_shape(call_quietly(model.forward, x), (2, 10), "LeNet5().forward(x) for x (2, 1, 28, 28)")
    _model_gradients(model, "LeNet5", x, y, ["fc3_b", "fc1_w", "conv2_b", "conv1_w"], rng, entries=6)
    passed("LeNet5: shapes, forward and gradients of sampled parameters")


def check_saved_model(path: str | Path, sizes_from: str = "W") -> None:
    """The saved MLP file exists and holds W1, b1, ... with matching shapes and an activation name.

    Prints one ``[ok]`` line and returns nothing (the weights would fill the notebook); :func:`saved_or_trained_model`
    returns them.
    """
    _checked_model(path, sizes_from)


def _checked_model(path: str | Path, sizes_from: str = "W") -> dict[str, np.ndarray]:
    """:func:`check_saved_model`, returning the arrays it checked."""
    path = Path(path)
    if not path.exists():
        raise CheckFailed(f"{path} does not exist: run the training cell above, which saves it.")
    try:
        with np.load(path, allow_pickle=False) as data:
            saved = {k: data[k] for k in data.files}
    except Exception as error:  # not a .npz, cut short, or holding objects
        raise CheckFailed(f"{path} could not be read ({str(error).splitlines()[0][:200]}): hand in the file that "
                          "the training cell saved.") from error
    if "activation" not in saved or str(saved["activation"]) not in ("relu", "sigmoid", "tanh"):
        raise CheckFailed(f"{path} should record the activation ('relu', 'sigmoid' or 'tanh').")
    layers = sorted(int(k[1:]) for k in saved if k.startswith(sizes_from) and k[1:].isdigit())
    if not layers or layers != list(range(1, len(layers) + 1)):
        raise CheckFailed(f"{path} should hold W1, b1, W2, b2, ...; it holds {sorted(saved)}.")
    width = 784
    for i in layers:
        w = expect_shape(saved[f"W{i}"], (width, None), f"W{i} in {path}")
        expect_shape(saved.get(f"b{i}"), (w.shape[1],), f"b{i} in {path}")
        width = w.shape[1]
    if width != 10:
        raise CheckFailed(f"the last layer in {path} has {width} outputs; it needs 10, one per digit.")
    passed(f"{path}: {len(layers)} layers, sizes " + " -> ".join(
        [str(saved["W1"].shape[0])] + [str(saved[f"W{i}"].shape[1]) for i in layers]))
    return saved


def saved_or_trained_model(path: str | Path, params: dict[str, np.ndarray], activation: str) -> dict[str, Any]:
    """The model graded for performance: the handed-in file when it exists (checked by :func:`check_saved_model`).

    Under the autograder without the file, the MLP trained by the notebook itself
    (``params``: W1, b1, ...; a quick run) is graded instead, and the output says so.
    Elsewhere a missing file is an error: the training cell saves it.
    """
    from helpers.runtime import in_autograde

    if Path(path).exists() or not in_autograde():
        return _checked_model(path)
    not_handed_in(str(path), "the MLP this notebook trained under the autograder (a quick run on 512 training "
                             "images, not your full training)")
    return {**{k: np.asarray(v) for k, v in params.items()}, "activation": np.asarray(activation)}
