import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from helpers.checks import (
    CheckFailed,
    as_float_array,
    call_quietly,
    expect_close,
    expect_shape,
    expect_type,
    unchanged,
)

finite = st.floats(-1e6, 1e6, allow_nan=False)


class Liar:
    """Claims to equal everything."""

    def __eq__(self, other):
        return True

    __hash__ = None


@given(arrays(np.float64, array_shapes(max_dims=3, max_side=4), elements=finite))
def test_an_array_is_close_to_itself(x):
    expect_close(x, x.copy(), "x")


@given(arrays(np.float64, array_shapes(max_dims=3, max_side=4), elements=finite))
def test_a_changed_entry_is_reported_with_its_index(x):
    y = x.copy()
    y.flat[-1] += 1.0 + abs(y.flat[-1])
    with pytest.raises(CheckFailed, match="index"):
        expect_close(y, x, "y")


@pytest.mark.parametrize("bad", [Liar(), "0.5", None, True, {"a": 1}, object()])
def test_values_that_are_not_numbers_are_refused(bad):
    with pytest.raises(CheckFailed, match="number"):
        expect_close(bad, 0.5, "answer")


def test_a_liar_inside_a_list_is_refused():
    with pytest.raises(CheckFailed):
        expect_close([Liar(), Liar()], [1.0, 2.0], "answer")


def test_shape_is_checked_before_values():
    with pytest.raises(CheckFailed, match=r"shape \(3,\)"):
        expect_close(np.zeros(3), np.zeros((3, 1)), "x")
    with pytest.raises(CheckFailed, match="single number"):
        expect_shape(np.zeros(1), (), "x")
    assert expect_shape(np.zeros((2, 5)), (2, None), "x").shape == (2, 5)


def test_nan_never_passes():
    with pytest.raises(CheckFailed, match="not finite"):
        expect_close(np.array([1.0, np.nan]), np.array([1.0, np.nan]), "x")


def test_torch_tensors_and_lists_are_read_as_numbers():
    import torch

    assert as_float_array(torch.tensor([1.0, 2.0], requires_grad=True), "t").tolist() == [1.0, 2.0]
    expect_close([1, 2], np.array([1.0, 2.0]), "list")


def test_expect_type_names_what_was_wanted():
    with pytest.raises(CheckFailed, match="int"):
        expect_type(2.5, int, "n")


def test_call_quietly_silences_numpy_warnings(recwarn):
    out = call_quietly(lambda x: 1 / (1 + np.exp(-x)), np.array([-1000.0]))
    assert out[0] == 0.0 and not recwarn.list


def test_reversed_views_come_back_as_contiguous_copies():
    import torch

    x = np.arange(4.0)
    out = as_float_array(x[::-1], "x")
    assert torch.from_numpy(out).tolist() == [3.0, 2.0, 1.0, 0.0]
    out[0] = 99.0
    assert x[3] == 3.0


def test_check_shapes_prints_one_ok_line_and_returns_nothing(capsys):
    from helpers.checks import check_shapes

    assert check_shapes((1.5, (), "x"), (np.zeros((2, 3)), (2, None), "m")) is None
    out = capsys.readouterr().out
    assert out.startswith("[ok]") and out.count("\n") == 1 and "x ()" in out and "m (2, 3)" in out
    with pytest.raises(CheckFailed, match="`m` should have shape"):
        check_shapes((1.5, (), "x"), (np.zeros(3), (2, None), "m"))


def test_a_missing_weight_file_is_named_with_what_was_graded_instead(tmp_path, monkeypatch, capsys):
    from helpers.checks.a05_numpy_networks import saved_or_trained_model

    monkeypatch.chdir(tmp_path)
    params = {"W1": np.ones((784, 10)), "b1": np.zeros(10)}
    with pytest.raises(CheckFailed, match="does not exist"):  # a student's own run: the file must be there
        saved_or_trained_model("p1_model.npz", params, "relu")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    graded = saved_or_trained_model("p1_model.npz", params, "relu")
    assert str(graded["activation"]) == "relu" and graded["W1"].shape == (784, 10)
    out = capsys.readouterr().out
    assert out.startswith("[missing] p1_model.npz was not handed in") and "quick run" in out
    np.savez(tmp_path / "p1_model.npz", W1=np.zeros((784, 10)), b1=np.ones(10), activation="tanh")
    assert str(saved_or_trained_model("p1_model.npz", params, "relu")["activation"]) == "tanh", \
        "a handed-in file is graded, not the notebook's own model"


def test_check_saved_model_prints_one_ok_line_and_returns_no_weights(tmp_path, monkeypatch, capsys):
    """A cell that ends with the check must not show every weight array (issue 15); the graded model still gets
    them, through saved_or_trained_model, with the same single [ok] line."""
    from helpers.checks.a05_numpy_networks import check_saved_model, saved_or_trained_model

    monkeypatch.chdir(tmp_path)
    np.savez(tmp_path / "p1_model.npz", W1=np.zeros((784, 32)), b1=np.ones(32), W2=np.ones((32, 10)), b2=np.zeros(10),
             activation="relu")
    assert check_saved_model("p1_model.npz") is None
    assert capsys.readouterr().out == "[ok] p1_model.npz: 2 layers, sizes 784 -> 32 -> 10\n"
    graded = saved_or_trained_model("p1_model.npz", {}, "tanh")
    assert sorted(graded) == ["W1", "W2", "activation", "b1", "b2"] and str(graded["activation"]) == "relu"
    assert capsys.readouterr().out == "[ok] p1_model.npz: 2 layers, sizes 784 -> 32 -> 10\n"
    np.savez(tmp_path / "p1_model.npz", W1=np.zeros((784, 32)), b1=np.ones(32), W2=np.ones((32, 9)), b2=np.zeros(9),
             activation="relu")
    with pytest.raises(CheckFailed, match="has 9 outputs; it needs 10"):
        check_saved_model("p1_model.npz")
    np.savez(tmp_path / "p1_model.npz", W1=np.zeros((784, 10)), b1=np.ones(10))
    with pytest.raises(CheckFailed, match="should record the activation"):
        check_saved_model("p1_model.npz")
    assert capsys.readouterr().out == ""


def test_a_weight_file_that_is_there_but_unusable_is_called_so(tmp_path, monkeypatch, capsys):
    from helpers.checks import not_handed_in

    monkeypatch.chdir(tmp_path)
    not_handed_in("model.pt", "the quick run")
    (tmp_path / "model.pt").write_bytes(b"half a file")
    not_handed_in("model.pt", "the quick run")
    first, second = capsys.readouterr().out.splitlines()
    assert "model.pt was not handed in" in first and "the quick run" in first
    assert "model.pt could not be loaded" in second


def test_a_forward_pass_that_writes_into_its_input_is_named_and_does_not_fail_its_backward_pass():
    from helpers.checks.a05_numpy_networks import check_relu_backward, check_relu_forward

    def relu_forward_in_place(x):
        np.maximum(x, 0, out=x)
        return x, x

    def relu_backward(dout, cache):
        return dout * (cache > 0)

    with pytest.raises(CheckFailed, match="in place"):
        check_relu_forward(relu_forward_in_place)
    check_relu_backward(relu_forward_in_place, relu_backward)  # the backward pass is right: it must pass
    with pytest.raises(CheckFailed):
        check_relu_backward(relu_forward_in_place, lambda dout, cache: dout)


def test_a_number_of_the_notebooks_own_class_is_refused_as_tampering():
    from helpers.checks import TamperingDetected

    namespace = {"__name__": "__main__"}
    exec("class Anything(float):\n    def __eq__(self, other):\n        return True\n    __hash__ = float.__hash__",
         namespace)
    with pytest.raises(TamperingDetected, match="notebook's own class `Anything`"):
        expect_close(namespace["Anything"](0.5), 0.25, "sigmoid(0)")
    expect_close(0.25, 0.25, "a plain number")


def test_call_strictly_names_overflow_and_division_but_allows_underflow():
    from helpers.checks import call_strictly

    with pytest.raises(CheckFailed, match="`exp` is not numerically stable"):
        call_strictly(np.exp, np.array([1000.0]), task="exp")
    with pytest.raises(CheckFailed, match="divide"):
        call_strictly(lambda x: 1.0 / x, np.zeros(2), task="inverse")
    assert call_strictly(np.exp, np.array([-1000.0]), task="exp")[0] == 0.0


def test_expect_unchanged_names_the_input_written_in_place():
    from helpers.checks import expect_unchanged

    x = np.ones(3)
    kept = {"x": x.copy(), "y": np.zeros(2)}
    expect_unchanged("f", kept, {"x": x, "y": np.zeros(2)})
    x[1] = 5.0
    with pytest.raises(CheckFailed, match="`f` changed its input `x` in place"):
        expect_unchanged("f", kept, {"x": x, "y": np.zeros(2)})


def test_unchanged_sees_a_write_anywhere_in_a_cache_and_nothing_else():
    import copy

    import torch

    cache = (np.array([1.0, np.nan]), {"W": torch.ones(2), "n": 3}, [np.arange(3), "relu"])
    before = copy.deepcopy(cache)
    assert unchanged(before, cache)  # NaN equals NaN; ints, strings and tensors compared by value
    cache[0][0] = 2.0
    assert not unchanged(before, cache)
    for write in (lambda c: c[1]["W"].mul_(2), lambda c: c[2][0].__setitem__(1, 9), lambda c: c[1].update(n=4)):
        fresh = copy.deepcopy(before)
        write(fresh)
        assert not unchanged(before, fresh)
    assert not unchanged((1.0, 2.0), [1.0, 2.0])  # another type
    assert not unchanged(np.zeros(2), np.zeros(2, dtype=np.float32))  # another dtype
