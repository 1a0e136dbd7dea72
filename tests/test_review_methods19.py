"""Review of the methods area's fixes (session 19)."""
import sys

import pytest

from benchmark.errors import UserError


class _Reached(Exception):
    pass


def test_pretrain_reads_the_images_through_benchmark_data_even_when_first_imported_under_a_patch(monkeypatch, tmp_path):
    """tests/test_probe_xcsr18.py patches ``benchmark.data.load_images`` (to read nothing) around check_grid, which
    imports benchmark.pretrain for the first time in a fresh process: pretrain bound the patched function by name at
    import, for good — every later pretraining in that process read no images (test_seed_methods' contrique ladder:
    "max() arg is an empty sequence"). pretrain now looks ``load_images`` up in benchmark.data when it runs."""
    import benchmark

    saved = sys.modules.pop("benchmark.pretrain", None)
    had = getattr(benchmark, "pretrain", None)
    try:
        with monkeypatch.context() as m:
            m.setattr("benchmark.data.load_images", lambda *a, **k: [])
            import benchmark.pretrain as fresh  # its first import, under another test's patch
        monkeypatch.setattr("benchmark.data.load_images", lambda *a, **k: (_ for _ in ()).throw(_Reached()))
        with pytest.raises(_Reached):
            fresh.pretrain(fresh.PretrainConfig(data="skimage-natural:train", steps=1), out_dir=tmp_path)
    finally:
        sys.modules.pop("benchmark.pretrain", None)
        if saved is not None:
            sys.modules["benchmark.pretrain"] = saved
        if had is not None:
            benchmark.pretrain = had


def test_no_images_to_crop_is_a_one_line_error_not_a_raw_max():
    from benchmark.data import DataSpec, usable_for_crop

    with pytest.raises(UserError) as err:
        usable_for_crop([], 64, DataSpec.parse("skimage-natural:train"))
    said = str(err.value)
    assert "\n" not in said and "skimage-natural:train" in said and "no images" in said, said
