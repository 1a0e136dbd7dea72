"""Review of the probe-conventions commits (modcrop, @grey, the published input rows): defects found after them."""

from __future__ import annotations

import pandas as pd
import pytest


def _table(*params: dict) -> pd.DataFrame:
    import json

    rows = []
    for i, p in enumerate(params):
        setting = {"iterations": 10, "task_params": p}
        rows.append({"run_id": f"r{i}", "task": "denoise", "loss": "l1", "seed": 0, "image": "a", "metric": "psnr",
                     "value": 20.0 + i, "higher_is_better": True, "setting": json.dumps(setting, sort_keys=True)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("wanted, expect", [("true", True), ("false", False), ("True", True), ("FALSE", False)])
def test_where_picks_a_boolean_task_param_as_task_param_spells_it(wanted, expect):
    """`--task-param denoise.modcrop=true` records True, but `--where denoise.modcrop=true` compared str(True),
    'True', with 'true': 'no denoise runs have modcrop true (they have False | True)' — the README's own spelling
    of the new parameter (and of clip=false) could not pick the runs it made."""
    from benchmark.settings import _matches, check_where, settings_of

    table = _table({"sigma": 0.1, "clip": True}, {"sigma": 0.1, "clip": True, "modcrop": True})
    st = settings_of(table)
    check_where(st, {"denoise.modcrop": wanted})
    picked = [s["task_params"].get("modcrop", False) for t, s in zip(st["task"], st["setting"])
              if _matches(t, s, {"denoise.modcrop": wanted})]
    assert picked == [expect]
    clip = [s for t, s in zip(st["task"], st["setting"]) if _matches(t, s, {"denoise.clip": wanted.lower()})]
    assert len(clip) == (2 if expect else 0)
