"""Probe of large training sets and users' photo folders and hub datasets (probe-images): memory, layouts, splits."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from benchmark.data import DataCache, DataSpec, load_images, sample_batch


def _mapped(px: torch.Tensor) -> bool:
    """Whether a tensor's pixels lie in a mapping of one of plbench's pixel files (/proc/self/maps), not in the
    process's own memory."""
    at = px.data_ptr()
    for line in open("/proc/self/maps"):
        span, *_, name = line.split(maxsplit=5) if len(line.split()) > 5 else (line.split()[0], "")
        lo, hi = (int(x, 16) for x in span.split("-"))
        if lo <= at < hi:
            return "plbench-pixels-" in name
    return False


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/self/maps (Linux)")
def test_images_beyond_the_ram_budget_are_memory_mapped_with_the_same_pixels_run_id_and_crops(
        image_folder, monkeypatch, tmp_path):
    """Every training image was held decoded in memory: 60 JPEGs of 3000×2000 took 1.1 GB above imports, 200 would
    take 3.6 GB (a hub set of 100 000 photos cannot be trained on). Beyond PLBENCH_DECODED_RAM_MB the decoded images
    are memory-mapped from a file: the same tensors, so the same fingerprint (run ids) and the same crops per seed."""
    spec = DataSpec(str(image_folder))
    in_ram = DataCache()
    before = in_ram.pooled((spec,))
    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", "0")
    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(tmp_path))
    spilled = DataCache()
    after = spilled.pooled((spec,))
    assert [r.image_id for r in after] == [r.image_id for r in before]
    assert all(_mapped(r.pixels) for r in after) and not any(_mapped(r.pixels) for r in before)
    for a, b in zip(after, before):
        assert a.pixels.dtype == b.pixels.dtype and torch.equal(a.pixels, b.pixels)
    assert spilled.fingerprint((spec,), "train") == in_ram.fingerprint((spec,), "train")
    crops = [sample_batch(recs, 4, 24, 1, torch.Generator().manual_seed(3)) for recs in (before, after)]
    assert torch.equal(*crops)
    assert not list(tmp_path.glob("plbench-pixels-*"))  # the files' names are gone; the mappings hold the data


def test_a_budget_that_is_no_number_is_one_clear_error(image_folder, monkeypatch):
    from benchmark.errors import UserError

    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", "lots")
    with pytest.raises(UserError, match="PLBENCH_DECODED_RAM_MB='lots' is not a number"):
        load_images(DataSpec(str(image_folder)))
