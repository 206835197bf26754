"""rai.core.rundir: the run directory contract shared by rai train (writer) and the audits (readers)."""

from __future__ import annotations

import pytest

from rai.core import rundir
from rai.core.errors import InputError


def test_a_known_ledger_is_read():
    doc = {"schema": rundir.PRIVACY_SCHEMA, "dp": False, "epsilon": None}
    assert rundir.check_privacy_ledger(doc, where="privacy.json") is doc


@pytest.mark.parametrize("doc,message", [
    ({"dp": True, "epsilon": 1.0}, rundir.ERR_PRIVACY_SCHEMA.format(got=None, known="rai.privacy/1")),
    ({"schema": "rai.privacy/2", "dp": True}, rundir.ERR_PRIVACY_SCHEMA.format(got="rai.privacy/2", known="rai.privacy/1")),
    ([1, 2], rundir.ERR_PRIVACY_SCHEMA.format(got=None, known="rai.privacy/1")),
    ({"schema": rundir.PRIVACY_SCHEMA, "dp": "yes"}, rundir.ERR_PRIVACY_DP),
])
def test_an_unknown_or_incomplete_ledger_is_refused(doc, message):
    with pytest.raises(InputError) as e:
        rundir.check_privacy_ledger(doc, where="run/privacy.json")
    assert str(e.value) == f"run/privacy.json: {message}"
