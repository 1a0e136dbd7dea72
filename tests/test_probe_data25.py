"""Data edge cases, round 25 (each test failed before its fix)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.data import DataCache, DataSpec
from benchmark.errors import UserError


def _png8(path, h=32, w=40, seed=0):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.uint8)).save(path)


# --- a source of images under 8 px alone -------------------------------------------------------------------------
def test_a_source_of_images_under_8px_alone_is_tested_on_by_modcrop_tasks_and_refused_for_training(tmp_path):
    """A folder holding only images under 8 px was refused at load ('every image … is smaller than 8 px'), though
    denoise and jpeg with modcrop=true test on such images whole (as on the same images beside a larger one). Now it
    loads; denoise modcrop=true tests every image; without modcrop planning says modcrop=true would; and as training
    data it is refused in words that do not say 'lower --crop' (no crop under 8 px is taken)."""
    from benchmark.config import MIN_CROP, check_test_sides
    from benchmark.data import MIN_IMAGE_SIDE, usable_for_crop
    from benchmark.runner import held_out_items
    from benchmark.task import build_task

    sizes = {"t5": (5, 5), "t4": (4, 6), "t7": (7, 7)}
    for name, (h, w) in sizes.items():
        _png8(tmp_path / "icons" / f"{name}.png", h, w, seed=h * w)
    spec = DataSpec(str(tmp_path / "icons"))
    recs = DataCache().images(spec)  # before: UserError at load
    assert {r.image_id: r.size for r in recs} == sizes
    items = held_out_items(build_task("denoise", modcrop=True), {spec: recs})
    assert {it.image: tuple(it.clean.shape[-2:]) for it in items} == sizes
    check_test_sides(build_task("jpeg", modcrop=True), "jpeg", {spec: recs})  # not refused
    with pytest.raises(UserError, match=r"no test image is at least 8 px.*modcrop=true it tests them whole "
                                        r"\(--task-param denoise\.modcrop=true\)"):
        check_test_sides(build_task("denoise"), "denoise", {spec: recs})
    assert MIN_CROP == MIN_IMAGE_SIDE  # the least crop is the side: no --crop can train on them
    with pytest.raises(UserError, match=r"smaller than 8 px on a side \(largest short side 7 px: t4 \(6×4\)") as err:
        usable_for_crop(recs, MIN_CROP, spec)
    assert "lower --crop" not in str(err.value)
