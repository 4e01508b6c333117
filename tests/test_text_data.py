import pytest

from helpers import text_data
from helpers.data import DataUnavailable


def _write_pairs(root, split, lines):
    folder = root / "eng-spa"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{split}-eng-spa.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_real_files_are_read_as_spanish_english_pairs(isolated_data):
    _write_pairs(isolated_data / "data", "val", ["tom was fired .\ttom fue despedido .\t42", "",
                                                 "run !\tcorre !\t42"])
    pairs = text_data.load_translation_pairs("val")
    assert pairs.origin == "real" and pairs.split == "val"
    assert list(pairs) == [("tom fue despedido .", "tom was fired ."), ("corre !", "run !")]
    assert text_data.load_translation_pairs("val", limit=1) == [("tom fue despedido .", "tom was fired .")]


def test_a_malformed_line_names_its_file_and_line(isolated_data):
    _write_pairs(isolated_data / "data", "test", ["hello\thola\t1", "no tab here"])
    with pytest.raises(ValueError, match="line 2"):
        text_data.load_translation_pairs("test")


def test_missing_files_say_what_to_put_where(isolated_data):
    with pytest.raises(DataUnavailable) as error:
        text_data.load_translation_pairs("train", allow_toy=False)
    message = str(error.value)
    assert "train-eng-spa.txt" in message and str(isolated_data / "data" / "eng-spa") in message
    assert "COURSE_DATA_DIR" in message


def test_the_toy_stand_in_is_announced_small_and_deterministic(isolated_data, capsys):
    pairs = text_data.load_translation_pairs("train")
    assert "NOTE" in capsys.readouterr().out
    assert pairs.origin == "toy" and len(pairs) == 1500  # quick mode (COURSE_QUICK=1 in the tests)
    assert list(pairs) == list(text_data.load_translation_pairs("train"))
    assert list(text_data.load_translation_pairs("test")) != list(pairs)[:200]


def test_the_toy_language_reverses_words_and_swaps_letters():
    assert text_data.toy_translate("kabe lo") == "ivoc al"
    for source, target in text_data.toy_translation_pairs(50, seed=3):
        assert len(source.split(" ")) == len(target.split(" "))
        assert [len(w) for w in source.split(" ")] == [len(w) for w in target.split(" ")]
        assert target == text_data.toy_translate(source)


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="unknown split"):
        text_data.pairs_path("dev")
