"""Sentence pairs for translation: the Spanish-English pairs, and a small generated stand-in.

Used by notebook 07 (07_char_translation_attention).

Where the data lives
--------------------
``<data root>/eng-spa/{train,val,test}-eng-spa.txt`` (the data root is
``$COURSE_DATA_DIR``, else ``data/`` at the top of the repository; see
:mod:`helpers.data`). Each line is ``english<TAB>spanish<TAB>number``, lower-cased,
with punctuation split off by spaces (Tatoeba pairs, as distributed with the IST
Deep Learning homework).

The stand-in
------------
Without the files, :func:`load_translation_pairs` prints a note and returns pairs of
a generated toy language instead (:func:`toy_translation_pairs`): sentences of one
to three words from a fixed lexicon, each "translated" word spelled backwards with
some letters swapped. It is deterministic, needs the same machinery as the real task
(characters in, characters out, different lengths), and is small enough to learn in
seconds, so the tests and offline demos can train on it.
"""

from __future__ import annotations

import random
from pathlib import Path

from helpers.data import ENV_DATA_DIR, DataUnavailable, data_root
from helpers.runtime import quick_mode

SPLITS = ("train", "val", "test")
FOLDER = "eng-spa"

# How many toy pairs each split has (quick mode, then normal).
_TOY_SIZES = {"train": (1500, 6000), "val": (200, 1000), "test": (200, 1000)}
_TOY_SEEDS = {"train": 0, "val": 1, "test": 2}

# The toy language: "source" words built from syllables; a word's translation is the
# word spelled backwards with these letters swapped.
_SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "be", "du", "fa", "go"]
_SWAP = str.maketrans("aoeikbv", "oaiecvb")
_LEXICON_SIZE = 24


class SentencePairs(list):
    """A list of ``(source, target)`` string pairs (Spanish, English), with where they came from.

    Attributes:
        split: ``"train"``, ``"val"`` or ``"test"``.
        origin: ``"real"`` (the Spanish-English files) or ``"toy"`` (the generated stand-in).
    """

    def __init__(self, pairs, split: str, origin: str) -> None:
        super().__init__(pairs)
        self.split = split
        self.origin = origin


def pairs_path(split: str, root: Path | None = None) -> Path:
    """Where the pairs of ``split`` are read from: ``<root>/eng-spa/<split>-eng-spa.txt``."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    return Path(root if root is not None else data_root()) / FOLDER / f"{split}-eng-spa.txt"


def read_pairs_file(path: Path) -> list[tuple[str, str]]:
    """The ``(spanish, english)`` pairs of one file of lines ``english<TAB>spanish[<TAB>...]``."""
    pairs = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) < 2:
                raise ValueError(f"{path}, line {number}: expected english<TAB>spanish, got {line!r}")
            pairs.append((fields[1].strip(), fields[0].strip()))
    return pairs


def _lexicon() -> list[str]:
    rng = random.Random(1234)
    words: list[str] = []
    while len(words) < _LEXICON_SIZE:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((1, 2, 2))))
        if word not in words:
            words.append(word)
    return words


def toy_translate(sentence: str) -> str:
    """The toy language's translation: every word spelled backwards with some letters swapped."""
    return " ".join(word[::-1].translate(_SWAP) for word in sentence.split(" "))


def toy_translation_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` generated ``(source, target)`` pairs of the toy language (deterministic for a given seed)."""
    rng = random.Random(seed)
    words = _lexicon()
    pairs = []
    for _ in range(n):
        source = " ".join(rng.choice(words) for _ in range(rng.choice((1, 2, 2, 3))))
        pairs.append((source, toy_translate(source)))
    return pairs


def _missing_message(split: str, root: Path) -> str:
    path = pairs_path(split, root)
    return (
        f"The Spanish-English pairs ({split} split) are not available: {path} does not exist.\n"
        f"Put train-eng-spa.txt, val-eng-spa.txt and test-eng-spa.txt in {path.parent}/ "
        f"(lines english<TAB>spanish<TAB>number), or set {ENV_DATA_DIR} to a folder that holds {FOLDER}/."
    )


def load_translation_pairs(split: str, allow_toy: bool = True, limit: int | None = None) -> SentencePairs:
    """The ``(spanish, english)`` pairs of ``split`` ("train", "val" or "test"), the first ``limit`` when given.

    When the files are missing and ``allow_toy`` is true, pairs of the generated toy
    language are returned instead and a note is printed; quick mode keeps them few
    (1500 train, 200 val, 200 test). Otherwise :class:`helpers.data.DataUnavailable`
    says which file to put where.
    """
    path = pairs_path(split)
    if path.is_file():
        pairs = read_pairs_file(path)
        origin = "real"
    else:
        if not allow_toy:
            raise DataUnavailable(_missing_message(split, data_root()))
        print(f"NOTE: using the generated toy language instead of the Spanish-English {split} pairs.\n"
              + _missing_message(split, data_root()))
        quick, normal = _TOY_SIZES[split]
        pairs = toy_translation_pairs(quick if quick_mode() else normal, seed=_TOY_SEEDS[split])
        origin = "toy"
    if limit is not None:
        pairs = pairs[:limit]
    return SentencePairs(pairs, split, origin)
