"""Tests of helpers.shakespeare: the vocabulary, the split, the BPTT batches, the stand-in and the loading."""

import hashlib
import io
import re
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from helpers import shakespeare
from helpers.shakespeare import (
    Vocabulary,
    bptt_batches,
    load_shakespeare,
    split_train_val,
    stand_in_play,
    validation_chunks,
)

REPO = Path(__file__).resolve().parents[1]
REAL_ROOTS = [Path("/work/shared/data"), REPO.parent / "shared" / "data"]
ALPHABET = "abcdefgXYZ \n.,;:!?'-é"


def _random_text(seed, n=500):
    rng = np.random.default_rng(seed)
    return "".join(rng.choice(list(ALPHABET), n))


# -- Vocabulary -----------------------------------------------------------------------------------------------------

def test_from_text_lists_each_character_once_sorted():
    text = _random_text(0)
    vocab = Vocabulary.from_text(text)
    assert set(vocab.chars) == set(text) and len(vocab) == len(set(text))
    assert all(a < b for a, b in zip(vocab.chars, vocab.chars[1:]))
    assert vocab.chars[0] == "\n" and vocab.chars[-1] == "é"


@pytest.mark.parametrize("seed", range(3))
def test_encode_and_decode_are_inverse(seed):
    text = _random_text(seed, n=300 + seed)
    vocab = Vocabulary.from_text(ALPHABET)
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert ids.tolist() == [vocab.chars.index(ch) for ch in text]  # brute force
    assert vocab.decode(ids) == text
    assert vocab.decode(list(ids)) == text
    assert vocab.encode("").shape == (0,)


@pytest.mark.parametrize("unknown", ["c", "~", "ü", "\t", "🙂"])
def test_an_unknown_character_raises_key_error_naming_it(unknown):
    vocab = Vocabulary("\n abdé")  # "c" lies inside the range of known codes, the others outside or below
    with pytest.raises(KeyError) as error:
        vocab.encode(f"ab{unknown}d")
    assert repr(unknown) in error.value.args[0]


def test_duplicate_characters_are_refused():
    with pytest.raises(ValueError):
        Vocabulary("abca")


def test_vocabularies_are_equal_when_their_characters_are():
    assert Vocabulary("abc") == Vocabulary.from_text("cabbac")
    assert Vocabulary("abc") != Vocabulary("acb")
    assert Vocabulary("abc") != Vocabulary("abcd")
    assert Vocabulary("abc") != "abc"


# -- split and batches ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1000, 1234, 7])
def test_split_cuts_ninety_ten_in_order(n):
    ids = np.random.default_rng(n).integers(0, 50, n)
    train, val = split_train_val(ids)
    assert len(train) == (9 * n) // 10
    np.testing.assert_array_equal(np.concatenate([train, val]), ids)
    train, val = split_train_val(ids, 0.5)
    assert len(train) == n // 2


def _epochs(ids, B, T, seed, n_batches):
    """The first n_batches of bptt_batches grouped by epoch: lists of (inputs, targets)."""
    epochs = []
    batches = bptt_batches(ids, B, T, seed=seed)
    for _ in range(n_batches):
        new_epoch, inputs, targets = next(batches)
        if new_epoch:
            epochs.append([])
        assert epochs, "the first batch must start an epoch"
        epochs[-1].append((inputs, targets))
    return epochs


@pytest.mark.parametrize("n, B, T", [(1003, 4, 7), (960, 8, 10), (300, 3, 5)])
def test_bptt_batches_follow_the_streams_brute_force(n, B, T):
    ids = np.random.default_rng(n).permutation(n)  # distinct values: a value tells its position
    position = np.argsort(ids)
    L = n // B
    streams = [ids[b * L : (b + 1) * L] for b in range(B)]
    epochs = _epochs(ids, B, T, seed=1, n_batches=12 * (L // T))
    offsets = []
    for batches in epochs[:-1]:  # the last epoch may be cut off
        offset = int(position[batches[0][0][0, 0]])  # stream 0 starts at 0
        assert 0 <= offset < T
        offsets.append(offset)
        start, expected = offset, []
        while start + T + 1 <= L:  # every chunk of T + 1 characters that fits
            expected.append((np.stack([s[start : start + T] for s in streams], axis=1),
                             np.stack([s[start + 1 : start + T + 1] for s in streams], axis=1)))
            start += T
        assert len(batches) == len(expected)
        for (inputs, targets), (want_in, want_out) in zip(batches, expected):
            assert inputs.shape == targets.shape == (T, B)
            assert inputs.dtype == targets.dtype == np.int64
            np.testing.assert_array_equal(inputs, want_in)
            np.testing.assert_array_equal(targets, want_out)
    assert len(offsets) >= 5 and len(set(offsets)) > 1  # the chunk boundaries move from epoch to epoch


def test_new_epoch_flags_exactly_where_the_streams_restart():
    n, B, T = 500, 5, 6
    ids = np.random.default_rng(0).permutation(n)
    position = np.argsort(ids)
    previous = last_targets = None
    flags = []
    batches = bptt_batches(ids, B, T, seed=4)
    for _ in range(60):
        new_epoch, inputs, targets = next(batches)
        start = int(position[inputs[0, 0]])
        continues = previous is not None and start == previous + T
        assert new_epoch == (not continues)
        if continues:  # the next chunk starts where the previous one ended, in every stream
            np.testing.assert_array_equal(inputs[0], last_targets[-1])
        np.testing.assert_array_equal(targets[:-1], inputs[1:])
        previous, last_targets = start, targets
        flags.append(new_epoch)
    assert flags[0] and sum(flags) >= 4


def test_bptt_batches_are_deterministic_for_a_seed():
    ids = np.random.default_rng(5).integers(0, 30, 2000)
    one, two, other = (bptt_batches(ids, 4, 9, seed=s) for s in (3, 3, 4))
    first = [next(one) for _ in range(150)]
    for new_epoch, inputs, targets in first:
        again = next(two)
        assert again[0] == new_epoch
        np.testing.assert_array_equal(again[1], inputs)
        np.testing.assert_array_equal(again[2], targets)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(first, (next(other) for _ in range(150))))


@pytest.mark.parametrize("n, B, T", [(7, 4, 1), (12, 4, 2), (40, 4, 9), (0, 1, 1)])
def test_too_short_input_is_refused(n, B, T):
    with pytest.raises(ValueError):
        next(bptt_batches(np.arange(n), B, T))


def test_the_shortest_streams_that_fit_give_batches():
    new_epoch, inputs, targets = next(bptt_batches(np.arange(44), 4, 9))  # streams of 11 = T + 2
    assert new_epoch and inputs.shape == (9, 4)


@pytest.mark.parametrize("n, B, T", [(1000, 4, 7), (1000, 4, 249), (1000, 4, 300), (41, 4, 3), (10, 5, 4)])
def test_validation_chunks_predict_every_character_once_in_order(n, B, T):
    ids = np.random.default_rng(n + T).integers(0, 40, n)
    L = n // B
    chunks = validation_chunks(ids, B, T)
    assert all(x.shape == y.shape and x.shape[1] == B and 1 <= x.shape[0] <= T for x, y in chunks)
    assert all(x.shape[0] == T for x, _ in chunks[:-1])
    for b in range(B):
        stream = ids[b * L : (b + 1) * L]
        inputs = np.concatenate([x[:, b] for x, _ in chunks])
        targets = np.concatenate([y[:, b] for _, y in chunks])
        np.testing.assert_array_equal(inputs, stream[:-1])
        np.testing.assert_array_equal(targets, stream[1:])


# -- the stand-in ---------------------------------------------------------------------------------------------------

def test_the_stand_in_is_deterministic_and_about_the_requested_length():
    text = stand_in_play(5000, seed=2)
    assert text == stand_in_play(5000, seed=2)
    assert text != stand_in_play(5000, seed=3)
    assert 5000 <= len(text) < 5000 + 300
    assert 100 <= len(stand_in_play(100)) < 400
    assert stand_in_play(20000).startswith(stand_in_play(1000))


def test_the_stand_in_has_the_layout_of_a_play():
    text = stand_in_play(20000, seed=1)
    words = "".join(shakespeare._SPEAKERS + shakespeare._SUBJECTS + shakespeare._VERBS + shakespeare._OBJECTS)
    alphabet = set(words) | set(words.upper()[:1]) | {w[0].upper() for w in shakespeare._SUBJECTS} | set(".,!?;:\n ")
    assert set(text) == alphabet and len(alphabet) == 48
    assert text.endswith("\n\n") and "\n\n\n" not in text
    speeches = text[:-2].split("\n\n")
    assert len(speeches) > 100
    for speech in speeches:
        name, *lines = speech.split("\n")
        assert re.fullmatch(r"[A-Z]+( [A-Z]+)*:", name)
        assert 1 <= len(lines) <= 3
        assert all(re.fullmatch(r"[A-Z][a-z ]*[a-z][.,!?;]", line) for line in lines), lines


# -- loading --------------------------------------------------------------------------------------------------------

def _tree(folder):
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*")}


def _no_download(*args, **kwargs):
    pytest.fail("load_shakespeare tried to download")


def test_a_text_in_the_data_root_is_read(isolated_data, capsys):
    text = "FIRST:\nSpeak, speak — ünïcode too.\n\n"
    folder = isolated_data / "data" / "tinyshakespeare"
    folder.mkdir(parents=True)
    (folder / "input.txt").write_text(text, encoding="utf-8")
    loaded = load_shakespeare()
    assert loaded == text and loaded.origin == "real" and isinstance(loaded, str)
    assert loaded.description == "tiny Shakespeare"
    assert "NOTE" not in capsys.readouterr().out


def test_offline_the_stand_in_is_announced_in_one_line(isolated_data, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(shakespeare, "_download", _no_download)
    (isolated_data / "data").mkdir()
    loaded = load_shakespeare(3000, seed=5)
    out = capsys.readouterr()
    assert loaded.origin == "stand-in" and loaded == stand_in_play(3000, seed=5)
    assert "stand-in" in loaded.description
    lines = out.out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("NOTE:") and out.err == ""
    assert list((isolated_data / "data").iterdir()) == []


def test_the_autograder_never_downloads(isolated_data, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(shakespeare, "_download", _no_download)
    monkeypatch.setattr(shakespeare.urllib.request, "urlopen", _no_download)
    loaded = load_shakespeare(1000)
    assert loaded.origin == "stand-in" and loaded == stand_in_play(1000)
    assert capsys.readouterr().out.startswith("NOTE:")
    assert not (isolated_data / "data").exists()


def test_a_download_is_read_from_the_cache(isolated_data, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    calls = []

    def fake_download():
        calls.append(1)
        target = isolated_data / "cache" / "tinyshakespeare" / "input.txt"
        target.parent.mkdir(parents=True)
        target.write_text("ROMEO:\nHark.\n", encoding="utf-8")

    monkeypatch.setattr(shakespeare, "_download", fake_download)
    for _ in range(2):  # the second time the copy in the cache is found
        loaded = load_shakespeare()
        assert loaded == "ROMEO:\nHark.\n" and loaded.origin == "real"
    assert calls == [1]
    assert not (isolated_data / "data").exists()


def _real_copy():
    for root in REAL_ROOTS:
        if (root / "tinyshakespeare" / "input.txt").is_file():
            return root
    pytest.skip("no copy of tiny Shakespeare in ../shared/data")


def test_the_real_text_loads_and_its_folder_is_not_written(tmp_path, monkeypatch, capsys):
    root = _real_copy()
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(shakespeare, "_download", _no_download)
    before = _tree(root)
    text = load_shakespeare()
    assert text.origin == "real" and len(text) == 1_115_394
    assert len(Vocabulary.from_text(text)) == 65
    assert hashlib.md5(text.encode("utf-8")).hexdigest() == shakespeare.MD5
    train, val = split_train_val(Vocabulary.from_text(text).encode(text))
    assert len(train) == 1_003_854 and len(val) == 111_540
    assert "NOTE" not in capsys.readouterr().out
    assert _tree(root) == before
    assert not (tmp_path / "cache").exists()


# -- the download ---------------------------------------------------------------------------------------------------

class _Response(io.BytesIO):
    """What urlopen returns: a context manager with read()."""


def _serve(monkeypatch, content, urls):
    def urlopen(url, timeout=None):
        urls.append(url)
        return _Response(content)

    monkeypatch.setattr(shakespeare.urllib.request, "urlopen", urlopen)


def test_a_download_with_the_wrong_md5_is_not_kept(isolated_data, monkeypatch, capsys):
    urls = []
    _serve(monkeypatch, b"not shakespeare\n", urls)
    why = shakespeare._download()
    assert why and "MD5" in why
    assert urls == [shakespeare.URL]
    assert not (isolated_data / "cache" / "tinyshakespeare" / "input.txt").exists()
    assert not (isolated_data / "data").exists()
    assert capsys.readouterr().err == ""
    assert not shakespeare._may_download(shakespeare.FOLDER), "a wrong file must count as a failed download"


def test_a_download_with_the_right_md5_goes_into_the_cache(isolated_data, monkeypatch):
    content = b"KING:\nWhat say'st thou?\n"
    urls = []
    _serve(monkeypatch, content, urls)
    monkeypatch.setattr(shakespeare, "MD5", hashlib.md5(content).hexdigest())
    assert shakespeare._download() is None
    assert urls == [shakespeare.URL]
    assert (isolated_data / "cache" / "tinyshakespeare" / "input.txt").read_bytes() == content
    assert not (isolated_data / "data").exists()


def test_a_failed_download_is_not_retried_at_once(isolated_data, monkeypatch, capsys):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    urls = []

    def unreachable(url, timeout=None):
        urls.append(url)
        raise urllib.error.URLError("no network in the tests")

    monkeypatch.setattr(shakespeare.urllib.request, "urlopen", unreachable)
    first = load_shakespeare(500)
    note = [line for line in capsys.readouterr().out.splitlines() if line.startswith("NOTE:")]
    assert first.origin == "stand-in" and len(note) == 1 and "download failed" in note[0]
    second = load_shakespeare(500)
    assert second.origin == "stand-in" and second == first
    assert urls == [shakespeare.URL]  # the failure is remembered in the cache
    assert not (isolated_data / "data").exists()
