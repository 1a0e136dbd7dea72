"""A new user's first hour, probed (22): the environment variables the README names, …"""

import pytest

from benchmark.errors import UserError


@pytest.mark.parametrize("value", ["nan", "-5", "-0.5"])
def test_a_decoded_ram_budget_that_is_nan_or_negative_is_one_clear_error(value, monkeypatch):
    """``PLBENCH_DECODED_RAM_MB=nan`` stopped the grid with 'internal error: ValueError: cannot convert float NaN to
    integer'; a negative one was silently taken as 0 (every image spilled to disk). Now: one line naming the value
    and what is accepted."""
    from benchmark.data import decoded_in_ram_bytes

    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", value)
    with pytest.raises(UserError, match=rf"PLBENCH_DECODED_RAM_MB={value!r} is not a number of megabytes ≥ 0"):
        decoded_in_ram_bytes()


@pytest.mark.parametrize("value", ["inf", "1e400", "Infinity"])
def test_an_unbounded_decoded_ram_budget_keeps_every_image_in_memory(value, monkeypatch, image_folder):
    """``PLBENCH_DECODED_RAM_MB=inf`` (never spill to disk) stopped the grid with 'internal error: OverflowError:
    cannot convert float infinity to integer' while the first image was decoded. Now: no bound, every image held in
    memory as decoded (none memory-mapped)."""
    from benchmark.data import DataSpec, decoded_in_ram_bytes, load_images

    monkeypatch.setenv("PLBENCH_DECODED_RAM_MB", value)
    assert decoded_in_ram_bytes() >= 2**62
    monkeypatch.setenv("PLBENCH_SPILL_DIR", str(image_folder / "nowhere"))  # a spill would fail: said, not raised
    assert len(load_images(DataSpec(str(image_folder)))) == 7  # the folder's images but its broken one
