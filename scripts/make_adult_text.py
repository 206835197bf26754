"""Build the compact text rendering of UCI Adult shipped in rai/data/adult/ (run once by a developer).

Source: Dua & Graff, UCI Machine Learning Repository, Adult data set (Becker & Kohavi, 1996), CC BY 4.0.
Each row becomes a sentence; label 1 means income > 50K; `sex`, `race` and `age_band` are group columns.
Usage: python scripts/make_adult_text.py ../shared/data/adult rai/data/adult
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
           "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week", "native_country", "income"]


def _clean(v: str) -> str:
    return v.strip().replace("-", " ").lower()


def sentence(r: pd.Series) -> str:
    parts = [f"A {r.age}-year-old {r.race.strip()} {r.sex.strip().lower()}", _clean(r.marital_status)]
    if r.occupation.strip() != "?":
        parts.append(f"works in {_clean(r.occupation)}")
    if r.workclass.strip() != "?":
        parts.append(f"{_clean(r.workclass)} sector")
    parts.append(f"{r.hours_per_week} hours per week")
    parts.append(f"education: {_clean(r.education)}")
    if r.native_country.strip() not in ("?", "United-States"):
        parts.append(f"born in {_clean(r.native_country)}")
    return ", ".join(parts) + "."


def render(path: Path, n: int, seed: int, prefix: str) -> pd.DataFrame:
    df = pd.read_csv(path, header=None, names=COLUMNS, skipinitialspace=False, comment="|", dtype=str)
    df = df.dropna(subset=["income"]).sample(n=n, random_state=seed).reset_index(drop=True)
    df["age"] = df["age"].astype(int)
    df["hours_per_week"] = df["hours_per_week"].astype(int)
    out = pd.DataFrame({
        "id": [f"{prefix}-{i:05d}" for i in range(len(df))],
        "text": df.apply(sentence, axis=1),
        "label": df["income"].str.strip().str.rstrip(".").eq(">50K").astype(int),
        "sex": df["sex"].str.strip(),
        "race": df["race"].str.strip(),
        "age_band": pd.cut(df["age"], [0, 29, 44, 59, 200], labels=["17-29", "30-44", "45-59", "60+"]).astype(str),
    })
    return out


def main(src: str, dst: str) -> None:
    out = Path(dst)
    out.mkdir(parents=True, exist_ok=True)
    render(Path(src) / "adult.data", 3000, 0, "train").to_csv(out / "train.csv", index=False)
    render(Path(src) / "adult.test", 1000, 0, "eval").to_csv(out / "eval.csv", index=False)


if __name__ == "__main__":
    main(*sys.argv[1:3])
