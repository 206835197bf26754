import json

import pandas as pd
import pytest

from rai.core.errors import InputError
from rai.core.io import atomic_output_dir, atomic_write_json, iter_table_chunks, read_table


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_read_table_formats_agree(tmp_path, fmt):
    df = pd.DataFrame({"text": ["a", "b", "c"], "label": [0, 1, 0]})
    p = tmp_path / f"d.{fmt}"
    {"csv": lambda: df.to_csv(p, index=False), "jsonl": lambda: df.to_json(p, orient="records", lines=True),
     "parquet": lambda: df.to_parquet(p)}[fmt]()
    got = read_table(p, required_columns=["text", "label"])
    assert got["text"].tolist() == ["a", "b", "c"] and got["label"].tolist() == [0, 1, 0]
    chunks = list(iter_table_chunks(p, columns=["text"], chunk_rows=2))
    assert [list(c.index) for c in chunks] == [[0, 1], [2]]


def test_read_table_errors_are_one_line(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(InputError, match="unsupported file type"):
        read_table(tmp_path / "x.txt")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(InputError, match="no rows"):
        read_table(tmp_path / "e.csv")
    (tmp_path / "h.csv").write_text("text,label\n")
    with pytest.raises(InputError, match="no rows"):
        read_table(tmp_path / "h.csv")
    (tmp_path / "c.csv").write_text("text\nhello\n")
    with pytest.raises(InputError, match=r"missing column\(s\) label") as exc:
        read_table(tmp_path / "c.csv", required_columns=["text", "label"])
    assert "\n" not in str(exc.value)


def test_atomic_json_refuses_nan_and_leaves_nothing(tmp_path):
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "a.json", {"x": float("nan")})
    assert list(tmp_path.iterdir()) == []
    atomic_write_json(tmp_path / "a.json", {"x": 1.5})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1.5}
    with pytest.raises(InputError, match="is a directory"):
        atomic_write_json(tmp_path, {"x": 1})


def test_atomic_output_dir_removes_partial_work(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(RuntimeError):
        with atomic_output_dir(target) as d:
            (d / "half.txt").write_text("x")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with atomic_output_dir(target) as d:
        (d / "ok.txt").write_text("x")
    assert (target / "ok.txt").read_text() == "x"
    with pytest.raises(InputError, match="already exists"):
        with atomic_output_dir(target):
            pass


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2-exchange", "two-renames"])
def test_atomic_output_dir_replaces_an_existing_directory(tmp_path, monkeypatch, exchange):
    from rai.core import io as rio

    target = tmp_path / "run"
    with atomic_output_dir(target) as d:
        (d / "old.txt").write_text("old")
    if not exchange:
        monkeypatch.setattr(rio, "renameat2", lambda a, b, flags: False)
    with atomic_output_dir(target, replace=True) as d:
        (d / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary or old directory left


def test_exchange_swaps_two_directories(tmp_path):
    from rai.core.io import RENAME_EXCHANGE, renameat2

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    (tmp_path / "b").mkdir()
    assert renameat2(tmp_path / "a", tmp_path / "b", RENAME_EXCHANGE)  # Linux with glibc >= 2.28, as the test machines
    assert (tmp_path / "b" / "x").read_text() == "a" and not any((tmp_path / "a").iterdir())
    with pytest.raises(FileNotFoundError):
        renameat2(tmp_path / "missing", tmp_path / "b", RENAME_EXCHANGE)
