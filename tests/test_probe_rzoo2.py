"""Review of the loss-planning / one-identity / steady-cost change (branch probe-zoo2), as a strict user.

Each test was written against a defect a user hit (named in its docstring) and failed before its fix.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from test_probe_losses import probe_dir
from test_probe_zoo2 import _run


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    """48×48 train and test images, as tests/test_probe_losses.py's CLI cases run on."""
    return probe_dir(tmp_path_factory.mktemp("probe_rzoo2"), loss_files=False)


# ------------------------------------------------------------- 1. which recorded spelling is adopted
@pytest.mark.parametrize("other", ["old code", "failed"])
def test_the_spelling_adopted_is_the_one_whose_runs_this_code_reuses(other, d, tmp_path, capsys, caplog):
    """A results directory holds ``ffl(alpha=1)`` trained by this code, and more runs of the same loss spelt
    ``ffl`` that this code does not reuse (made by an earlier code version, whose ids differ; or failed). A
    third spelling, ``ffl(alpha=1.0)``, took the spelling with most runs (``ffl``): the finished run was not
    found and the loss trained again, a second row. Now the spelling whose runs are reusable wins."""
    import logging

    from benchmark.results import ResultsStore

    assert _run(d, tmp_path, ["ffl(alpha=1)"], capsys)[0] == 0
    store = ResultsStore(tmp_path / "out")
    (rid,) = [m["run_id"] for m in store.metas() if (m.get("config") or {}).get("loss") == "ffl(alpha=1)"]
    for i in range(2):  # two runs of the other spelling: the most runs
        twin = f"{i:016x}"
        shutil.copytree(store.run_dir(rid), store.run_dir(twin))
        meta = json.loads((store.run_dir(twin) / "meta.json").read_text())
        meta.update(run_id=twin, config={**meta["config"], "loss": "ffl"})
        if other == "old code":
            meta["code_version"] = re.sub(r"\+c\d+$", "+c1", meta["code_version"])
        else:
            meta["status"] = "failed"
        store.write_meta(twin, meta)
    with caplog.at_level(logging.INFO):
        assert _run(d, tmp_path, ["ffl(alpha=1.0)"], capsys)[0] == 0
    assert re.search(r"trained 0, skipped 1", caplog.text), caplog.text
    assert "as this results directory records it (ffl(alpha=1))" in caplog.text, caplog.text


# ------------------------------------------------------------- 2. what the README says the flat check refuses
@pytest.mark.slow
def test_the_contextual_loss_on_16_px_photo_crops_is_refused_but_for_denoise():
    """The README said planning refuses the contextual loss on 16-px crops "of white noise, not of photos": on the
    quick profile's own photos (skimage:train) it is refused at 16 px for every default task but denoise (the
    blurred or compressed crop matches the target feature for feature, as white noise's noisy one does); the
    README now says so."""
    from benchmark.data import DataCache, DataSpec
    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss, check_loss_on_crop
    from benchmark.task import build_task

    photos = DataCache().pooled((DataSpec.parse("skimage:train"),))
    loss = build_loss("contextual", seed=0, weights="random")
    check_loss_on_crop("contextual", loss, [build_task("denoise")], crop=16, images=photos)
    for task in ("deblur", "jpeg"):
        with pytest.raises(UserError, match=rf"does not depend on pred on 16×16 training crops for task {task}: .*"
                                            r"it runs from --crop \d+"):
            check_loss_on_crop("contextual", loss, [build_task(task)], crop=16, images=photos)
