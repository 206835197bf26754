"""rai.training.canaries: the records `rai train --canaries N` inserts, and the candidates exposure is measured against."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from rai.core.errors import InputError
from rai.training.canaries import (ERR_FORMAT, ERR_JSON, ERR_SPACE, ERR_TEMPLATE, CanarySet, make_canaries, matches_format,
                               sample_candidates, secret_from_index)


def test_canaries_are_seeded_distinct_and_label_balanced():
    cs = make_canaries(9, 42, ["neg", "pos", "neutral"])
    assert cs == make_canaries(9, 42, ["neg", "pos", "neutral"])
    assert cs != make_canaries(9, 43, ["neg", "pos", "neutral"])
    assert len({c.secret for c in cs.canaries}) == 9
    assert Counter(c.label for c in cs.canaries) == {"neg": 3, "pos": 3, "neutral": 3}
    for c in cs.canaries:
        assert matches_format(c.secret, "#### #### ####") and c.text == f"my account number is {c.secret}"
    assert cs.space_size == 10**12
    assert [c.id for c in cs.canaries][:2] == ["canary-0000", "canary-0001"]


def test_json_round_trip_and_errors():
    cs = make_canaries(3, 0, [0, 1])
    doc = json.loads(json.dumps(cs.to_json()))
    assert CanarySet.from_json(doc) == cs
    with pytest.raises(InputError, match="missing key"):
        CanarySet.from_json({k: v for k, v in doc.items() if k != "seed"})
    bad = {**doc, "canaries": [{**doc["canaries"][0], "secret": "12 34"}]}
    with pytest.raises(InputError) as err:
        CanarySet.from_json(bad, where="run/canaries.json")
    assert str(err.value) == "run/canaries.json: " + ERR_JSON.format(why="canary canary-0000 has a secret that does not match the format")


def test_bad_settings():
    with pytest.raises(InputError) as err:
        make_canaries(1, 0, [0], template="no secret here")
    assert str(err.value) == ERR_TEMPLATE.format(template="no secret here")
    with pytest.raises(InputError) as err:
        make_canaries(1, 0, [0], secret_format="abc")
    assert str(err.value) == ERR_FORMAT.format(fmt="abc")
    with pytest.raises(InputError) as err:
        make_canaries(11, 0, [0], secret_format="#")
    assert str(err.value) == ERR_SPACE.format(n=11, size=10)
    with pytest.raises(InputError):
        make_canaries(2, 0, [])


def test_candidates_exclude_the_canary_and_cover_small_spaces():
    cs = make_canaries(2, 1, [0, 1])
    c = cs.canaries[0]
    cands = sample_candidates(cs, c, 500, seed=3)
    assert not cands.exhaustive and len(cands.texts) == len(set(cands.texts)) == 500
    assert c.text not in cands.texts and all(t.startswith("my account number is ") for t in cands.texts)
    assert cands == sample_candidates(cs, c, 500, seed=3)
    small = make_canaries(1, 0, [0], secret_format="##")
    every = sample_candidates(small, small.canaries[0], 1000, seed=0)
    assert every.exhaustive and len(every.texts) == 99 and small.canaries[0].text not in every.texts
    assert secret_from_index(7, "#-##") == "0-07"
