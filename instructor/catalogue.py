"""Catalogues of answers students really give, used to test the hidden tests.

Each assignment has ``tests/catalogue/<assignment>.py`` defining two lists:

``WRONG``
    :func:`wrong` answers: each must lose points on the test cells it names, and
    keep full marks on those it names in ``keeps`` (test cells that use the
    wrong piece but grade another, so one mistake costs points once).
``RIGHT``
    :func:`right` answers: other correct forms (a loop instead of vectorised
    code, another stable formula); each must keep full marks.

An answer edits one solution cell of the reference: either ``body`` (the new
contents of the solution region) or ``replace`` (substring edits of the
reference region; an edit that no longer matches is an error, so a catalogue
cannot silently go stale when a solution changes).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field

from instructor import REPO_ROOT
from instructor.notebooks import region_text, replace_region, solution_text

CATALOGUE_DIR = REPO_ROOT / "tests" / "catalogue"


@dataclass(frozen=True)
class Answer:
    cell: str
    why: str
    body: str | None = None
    replace: tuple[tuple[str, str], ...] = ()
    loses: tuple[str, ...] = field(default=())
    keeps: tuple[str, ...] = field(default=())

    @property
    def correct(self) -> bool:
        return not self.loses

    def student_id(self, index: int) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.why.lower()).strip("-")[:40]
        return f"{'right' if self.correct else 'wrong'}-{index:02d}-{slug}"

    def apply(self, reference_source: str) -> str:
        """The cell source this student hands in, given the reference cell (with its markers)."""
        if self.body is not None:
            edited = replace_region(reference_source, self.body)
        else:
            region = region_text(reference_source)
            for old, new in self.replace:
                if old not in region:
                    raise ValueError(f"catalogue answer {self.why!r}: {old!r} is not in the reference of {self.cell!r}")
                region = region.replace(old, new)
            edited = replace_region(reference_source, region)
        return solution_text(edited)


def wrong(cell: str, why: str, loses: str | tuple[str, ...], *, body: str | None = None,
          replace: dict[str, str] | None = None, keeps: tuple[str, ...] = ()) -> Answer:
    """A wrong answer to solution cell ``cell`` that must lose points on the test cell(s) ``loses`` and keep full
    marks on the test cell(s) ``keeps``."""
    loses = (loses,) if isinstance(loses, str) else tuple(loses)
    if not loses:
        raise ValueError("a wrong answer must name the test cell(s) it loses points on")
    return Answer(cell, why, body, tuple((replace or {}).items()), loses, tuple(keeps))


def right(cell: str, why: str, *, body: str | None = None, replace: dict[str, str] | None = None) -> Answer:
    """Another correct answer to solution cell ``cell``: it must keep full marks."""
    return Answer(cell, why, body, tuple((replace or {}).items()))


RIGHT_ROUNDS = 2  # right answers per cell that the round trip hands in; the others are graded in-process only


def sample(answers: list[Answer]) -> list[int]:
    """The indices of the answers the nbgrader round trip hands in (every answer is graded in-process anyway).

    Enough to prove the wiring through ``nbgrader autograde``: for every test cell, a wrong answer that targets it
    (the first one without ``keeps`` where there is one, since those pack into few students: :func:`pack`); the
    first wrong answer with ``keeps`` (isolation holds under nbgrader too); the first :data:`RIGHT_ROUNDS` right
    answers of each cell (handed in together: the k-th right answer of every cell is one student's, so each round
    costs one notebook run).
    """
    wrong = [i for i, a in enumerate(answers) if not a.correct]
    chosen: set[int] = set()
    covered: set[str] = set()
    with_keeps = next((i for i in wrong if answers[i].keeps), None)
    if with_keeps is not None:
        chosen.add(with_keeps)
        covered |= set(answers[with_keeps].loses)
    for plain_first in (True, False):
        for index in wrong:
            if (not answers[index].keeps) == plain_first and set(answers[index].loses) - covered:
                chosen.add(index)
                covered |= set(answers[index].loses)
    rights: dict[str, int] = {}
    for index, answer in enumerate(answers):
        if answer.correct:
            rights[answer.cell] = rights.get(answer.cell, 0) + 1
            if rights[answer.cell] <= RIGHT_ROUNDS:
                chosen.add(index)
    return sorted(chosen)


def pack(wrong_answers: list[Answer], order: dict[str, int]) -> list[list[int]]:
    """Groups of wrong answers that one student can hand in together (indices into ``wrong_answers``).

    ``order``: the position in the notebook of every cell (grade id). Answers in a group edit different cells and
    lose different test cells, and a cell that one answer ``keeps`` comes before every cell that the others edit:
    cells run in order, so a later mistake cannot change a kept cell's score, while an earlier one can (it may
    leave a name undefined that the kept cell uses). So every cell an answer must lose or keep is lost, or kept,
    because of that answer alone.
    """

    def compatible(a: Answer, b: Answer) -> bool:
        return (a.cell != b.cell and not set(a.loses) & set(b.loses)
                and all(order[kept] < order[b.cell] for kept in a.keeps)
                and all(order[kept] < order[a.cell] for kept in b.keeps))

    groups: list[list[int]] = []
    for index, answer in enumerate(wrong_answers):
        fits = next((g for g in groups if all(compatible(wrong_answers[i], answer) for i in g)), None)
        if fits is None:
            groups.append([index])
        else:
            fits.append(index)
    return groups


def load(assignment: str) -> list[Answer]:
    """All catalogue answers of ``assignment``: the wrong ones, then the right ones."""
    path = CATALOGUE_DIR / f"{assignment}.py"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: every assignment needs a catalogue of wrong and right answers")
    spec = importlib.util.spec_from_file_location(f"catalogue_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.WRONG) + list(module.RIGHT)
