"""Defects found probing the publishing path (figures, report, config): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from benchmark.data import DataSpec
from benchmark.errors import UserError

pytestmark = pytest.mark.usefixtures("one_thread")


# ------------------------------------------------------------------------------------------------
# the visual grid reads a loss recorded under two spellings as the leaderboard does: one panel
# ------------------------------------------------------------------------------------------------
def _two_spellings_store(tmp_path: Path):
    """A real results store of one denoise loss recorded as ``ffl(alpha=1)`` (seed 1) and ``ffl(alpha=1.0)``
    (seed 0), and ``l1`` (seed 0): each a finished run with a saved tiny net, on a one-image test folder."""
    from PIL import Image

    from benchmark.nets import build_net
    from benchmark.results import ResultsStore, atomic_write_json

    folder = tmp_path / "Set"
    folder.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(folder / "im.png")
    store = ResultsStore(tmp_path / "store")
    store.ensure_writable()
    test_data = [DataSpec.parse(str(folder), role="test").token()]
    for rid, loss, seed in (("r_a", "ffl(alpha=1)", 1), ("r_b", "ffl(alpha=1.0)", 0), ("r_c", "l1", 0)):
        run = store.run_dir(rid)
        run.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(seed)
        torch.save(build_net("tiny").state_dict(), run / "net.pt")
        cfg = {"task": "denoise", "task_params": {}, "test_data": test_data, "loss": loss, "seed": seed,
               "net": "tiny"}
        atomic_write_json(run / "meta.json", {"run_id": rid, "status": "ok", "config": cfg, "weights": "none"})
    return store


def test_the_visual_grid_draws_one_panel_per_leaderboard_row_of_a_loss_spelt_two_ways(tmp_path, monkeypatch):
    """The leaderboard reads ``ffl(alpha=1)`` and ``ffl(alpha=1.0)`` as one loss (one row over all its runs),
    but the visual grid took each recorded spelling as a loss of its own: two panels for one row. It now reads
    the spellings as the table does: one panel, labelled as the row, from the merged loss's first seed."""
    import benchmark.figures as F

    store = _two_spellings_store(tmp_path)
    assert store.loss_spellings() == {"ffl(alpha=1.0)": "ffl(alpha=1)"}  # the case at hand
    drawn = []
    monkeypatch.setattr(F, "draw_visual_grid", lambda panels, *a: drawn.append(dict(panels)))
    monkeypatch.setattr(F, "save", lambda fig, base, formats: [base])
    assert F.visual_grid(store, "denoise", tmp_path / "fig", formats=("png",)) == [tmp_path / "fig"]
    (panels,) = drawn
    assert sorted(panels) == ["clean", "ffl(alpha=1)", "input", "l1"], sorted(panels)
    # the merged loss's panel is its first seed's net (seed 0, recorded as ffl(alpha=1.0))
    from benchmark.nets import build_net

    torch.manual_seed(0)
    net = build_net("tiny").eval()
    with torch.no_grad():
        want = net(panels["input"]).float().clamp(0, 1)  # denoise clips: the input is the scored one
    assert torch.allclose(panels["ffl(alpha=1)"], want)


# ------------------------------------------------------------------------------------------------
# an empty mapping of tasks (or losses) is refused showing what was written
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,text,key", [
    ("cfg.yaml", "tasks: {}\n", "tasks"),
    ("cfg.yaml", "losses: {}\n", "losses"),
    ("cfg.toml", "[tasks]\n", "tasks"),
])
def test_an_empty_mapping_in_a_config_file_is_refused_as_the_mapping_written(tmp_path, name, text, key):
    """``tasks: {}`` (or an empty TOML ``[tasks]`` table) was refused as "tasks: [] names none": a list the
    user never wrote. The one-line error now shows the empty mapping they wrote; ``[]`` stays ``[]``."""
    from benchmark.config import GridSpec

    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(UserError, match=rf"^{name}: {key}: {{}} names none \(leave {key} out for the profile's\)$"):
        GridSpec.from_file(p)
