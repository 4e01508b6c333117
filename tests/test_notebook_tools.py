import pytest

from helpers.display import Table
from instructor import authoring, catalogue
from instructor import notebooks as nbs
from instructor.stubs import stub_for

REFERENCE = '''def f(x):
    """Doc."""
    ### BEGIN SOLUTION
    y = x + 1
    return y
    ### END SOLUTION'''


def test_solution_text_drops_only_the_markers():
    assert nbs.solution_text(REFERENCE) == 'def f(x):\n    """Doc."""\n    y = x + 1\n    return y'


def test_replace_region_keeps_the_indentation():
    assert nbs.replace_region(REFERENCE, "return x * 2").endswith('"""Doc."""\n    return x * 2')
    assert nbs.region_text(REFERENCE) == "y = x + 1\nreturn y"
    assert nbs.replace_region("whole cell", "new") == "new"


def test_a_second_region_is_refused():
    with pytest.raises(ValueError, match="exactly one"):
        nbs.replace_region(REFERENCE + "\n### BEGIN SOLUTION\n### END SOLUTION", "x")


def test_catalogue_edits_fail_loudly_when_the_reference_changed():
    assert "return x + 2" not in catalogue.wrong("f", "w", "test_f", replace={"x + 1": "x + 2"}).apply(REFERENCE)
    assert "y = x + 2" in catalogue.wrong("f", "w", "test_f", replace={"x + 1": "x + 2"}).apply(REFERENCE)
    with pytest.raises(ValueError, match="is not in the reference"):
        catalogue.wrong("f", "stale", "test_f", replace={"x - 1": "x"}).apply(REFERENCE)
    with pytest.raises(ValueError, match="must name"):
        catalogue.wrong("f", "no target", ())


def test_student_ids_are_unique_and_safe():
    a = catalogue.wrong("f", "Sign error: 1/(1+e^x)!", "test_f")
    assert a.student_id(3) == "wrong-03-sign-error-1-1-e-x"
    assert catalogue.right("f", "loop").student_id(3) != a.student_id(3)


def test_wrong_answers_are_packed_only_when_they_cannot_hide_each_other():
    w = catalogue.wrong
    answers = [w("f", "a", "test_f"), w("g", "b", "test_g"), w("f", "c", "test_h"),  # c: f is taken in the 1st
               w("h", "d", ("test_g", "test_k")),  # loses test_g, which b loses already
               w("k", "e", "test_e", keeps=("test_f",)),  # test_f runs after f, g and h: alone
               w("m", "f", "test_m"), w("n", "g", "test_n", keeps=("test_g",))]  # test_g runs before m, not h
    order = {c: i for i, c in enumerate(["f", "test_f", "g", "test_g", "h", "test_h", "k", "test_k", "test_e",
                                         "m", "test_m", "n", "test_n"])}
    groups = catalogue.pack(answers, order)
    assert groups == [[0, 1, 5], [2, 3], [4, 6]]
    for group in groups:
        cells = [answers[i].cell for i in group]
        lost = [t for i in group for t in answers[i].loses]
        assert len(set(cells)) == len(cells) and len(set(lost)) == len(lost)
        for i in group:
            assert all(order[kept] < order[answers[j].cell] for kept in answers[i].keeps for j in group if j != i)


def test_fill_in_puts_answers_in_solution_cells_only():
    source = authoring.notebook([authoring.md("text"), authoring.solution("f", REFERENCE),
                                 authoring.tests("test_f", 1, "assert f(1) == 2")], "T")
    release = authoring.notebook([authoring.md("text"), authoring.solution("f", stub_for("f")),
                                  authoring.tests("test_f", 1, "assert f(1) == 2")], "T")
    filled = nbs.fill_in(release, source)
    assert "y = x + 1" in filled.cells[1].source and "BEGIN" not in filled.cells[1].source
    assert nbs.fill_in(release, source, {"f": "pass"}).cells[1].source == "pass"
    with pytest.raises(KeyError):
        nbs.fill_in(release, source, {"nope": "pass"})
    assert nbs.test_points(source) == {"test_f": 1.0}


def test_stub_names_its_task():
    assert "Task 'gelu_grad' is not done yet" in stub_for("gelu_grad")


def test_table_renders_markdown_and_text():
    table = Table({"t": [0, 1], "x": [0.5, -0.123456789]}, digits=4)
    assert table._repr_markdown_().splitlines()[2] == "| 0 | 0.5 |"
    assert "-0.1235" in repr(table)
    with pytest.raises(ValueError):
        Table({"a": [1], "b": [1, 2]})


@pytest.mark.parametrize("suffix", [".pt", ".pkl"])
def test_spoiled_state_dicts_keep_their_format_and_lose_their_weights(tmp_path, suffix):
    import torch

    from instructor.reference import spoil

    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    torch.save(model.state_dict(), tmp_path / f"model{suffix}")
    spoil(tmp_path / f"model{suffix}", tmp_path / f"bad{suffix}")
    bad = torch.load(tmp_path / f"bad{suffix}", map_location="cpu", weights_only=True)
    model.load_state_dict(bad)  # the same keys and shapes
    assert not torch.allclose(bad["0.weight"], torch.load(tmp_path / f"model{suffix}", weights_only=True)["0.weight"])
    assert bad["1.num_batches_tracked"].dtype == torch.int64
