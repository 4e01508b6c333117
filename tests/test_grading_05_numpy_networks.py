"""Edge cases of notebook 05's grading that the catalogue does not reach: how a student's model class is re-created
with the reference layers, the fallback to the student's own layers, and the public model checks deferred to the
hidden tests under the autograder."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.checks import CheckFailed
from helpers.checks import a05_numpy_networks as checks
from instructor.grading import a05_numpy_networks as grading

# A notebook in miniature: a wrong fc layer, and a model that reaches it in every way a student might.
_NOTEBOOK = '''
import numpy as np

def fc_forward(x, w, b):
    return x.reshape(len(x), -1) @ w, (x, w)          # wrong: no bias

def relu_forward(x):
    return np.abs(x), x                                # wrong: abs

ACTIVATIONS = {"relu": (relu_forward, None)}

def affine(x, w, b):                                   # a helper of the student's
    return fc_forward(x, w, b)[0]

class Base:
    def __init__(self, w, b):
        self.w, self.b = w, b

class Model(Base):
    def __init__(self, w, b):
        super().__init__(w, b)

    def plain(self, x):
        return fc_forward(x, self.w, self.b)[0]

    def through_helper(self, x):
        return affine(x, self.w, self.b)

    def through_dict(self, x):
        return ACTIVATIONS["relu"][0](x)[0]

    def through_default(self, x, layer=fc_forward):
        return layer(x, self.w, self.b)[0]

    @staticmethod
    def static(x, w, b):
        return fc_forward(x, w, b)[0]

    @property
    def prop(self):
        return fc_forward(np.ones((1, 2)), self.w, self.b)[0]
'''


def _notebook() -> dict:
    namespace: dict = {"__name__": "__main__"}
    exec(_NOTEBOOK, namespace)  # noqa: S102 - a notebook's cells are executed the same way
    return namespace


def test_every_way_to_reach_a_layer_gets_the_reference():
    namespace = _notebook()
    x, w, b = np.array([[1.0, -2.0]]), np.array([[1.0], [1.0]]), np.array([10.0])
    want = x @ w + b
    original = namespace["Model"](w, b)
    assert np.allclose(original.plain(x), x @ w), "the student's class itself must stay as it was"
    isolated_class = grading.with_reference_pieces(namespace["Model"])
    model = isolated_class(w, b)  # super() in __init__ works on the re-created class
    for method in (model.plain, model.through_helper, model.through_default):
        assert np.allclose(method(x), want), method.__name__
    assert np.allclose(model.static(x, w, b), want)
    assert np.allclose(model.prop, np.ones((1, 2)) @ w + b)
    assert np.allclose(model.through_dict(x), np.maximum(x, 0))
    assert namespace["ACTIVATIONS"]["relu"][0] is namespace["relu_forward"], "the notebook's dict is not touched"


def test_the_reference_layers_keep_the_notebooks_interface():
    pieces = grading.REFERENCE_PIECES
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    out, cache = pieces["conv_forward"](x, w, b, 2, 1)  # stride and pad by position
    same, _ = pieces["conv_forward"](x=x, w=w, b=b, stride=2, pad=1)
    assert out.shape == (2, 4, 3, 3) and np.allclose(out, same)
    dx, dw, db = pieces["conv_backward"](np.ones(out.shape), cache)
    assert dx.shape == x.shape and dw.shape == w.shape and np.allclose(db, 2 * 3 * 3)  # N * H_out * W_out
    pooled, cache = pieces["maxpool_forward"](np.zeros((1, 1, 4, 4)))  # every window ties
    dx = pieces["maxpool_backward"](np.ones(pooled.shape), cache)
    assert pooled.shape == (1, 1, 2, 2) and dx.sum() == 4 and np.count_nonzero(dx) == 4  # one input per window
    relu_out, cache = pieces["relu_forward"](np.array([-1.0, 0.0, 2.0]))
    assert np.allclose(pieces["relu_backward"](np.ones(3), cache), [0.0, 0.0, 1.0])  # 0 at exactly 0


def test_a_model_that_reads_its_own_layers_cache_keeps_its_points_with_right_layers():
    namespace = _notebook()
    exec("def relu_forward(x):\n    return np.maximum(x, 0), x\n"  # noqa: S102
         "class Net:\n    def go(self, x):\n        _, cache = relu_forward(x)\n        return cache > 0\n", namespace)
    calls = []

    def grade(net_class):
        calls.append(net_class)
        assert np.array_equal(net_class().go(np.array([-1.0, 1.0])), [False, True])

    grading._graded_alone("Net", grade, namespace["Net"])  # the reference cache is no array: the own run passes
    assert len(calls) == 2 and calls[-1] is namespace["Net"]


def test_a_model_that_fails_both_ways_is_named_with_both_messages():
    namespace = _notebook()

    def grade(model_class):
        model = model_class(np.ones((2, 1)), np.ones(1))
        if not np.allclose(model.plain(np.ones((1, 2))), 3.0):
            raise CheckFailed(f"plain gives {model.plain(np.ones((1, 2)))}")
        raise CheckFailed("the model itself is wrong")

    with pytest.raises(CheckFailed, match=r"^Model, run by the grader with reference layers in place of yours: "
                                          r"the model itself is wrong \(With your own layers: plain gives"):
        grading._graded_alone("Model", grade, namespace["Model"])


@pytest.mark.parametrize("execution, deferred", [("autograde", True), ("validate", False), ("", False)])
def test_public_model_checks_are_left_to_the_hidden_tests_only_under_autograde(monkeypatch, capsys, execution,
                                                                              deferred):
    monkeypatch.setenv("NBGRADER_EXECUTION", execution)
    broken = "not a class"
    for check in (checks.check_mlp_forward, checks.check_mlp_backward, checks.check_mlp_step, checks.check_lenet):
        if deferred:
            check(broken)
            assert "run by the grader" in capsys.readouterr().out
        else:
            with pytest.raises(CheckFailed):
                check(broken)
        with pytest.raises(CheckFailed):  # the hidden tests always run it
            check(broken, in_grader=True)
