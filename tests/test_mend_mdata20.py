"""Mends of session 20's data work: repeated reads and duplicated helpers (each a count, not a timing)."""

from __future__ import annotations

import logging
from pathlib import Path

import datasets  # imported once at collection (1 s), not in a test's time

from benchmark.data import DataSpec, load_images


def _pngs(folder, *names, size=(32, 32)):
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(folder / f"{name}.png")


def test_the_early_source_check_reads_no_source_its_load_reads_next_or_the_cache_holds(tmp_path, monkeypatch):
    """The early check (check_source_readable) read every table/folder source, and the load read each again a few
    lines later: the first training source (its own load says the same error next) and a source the DataCache holds
    are not checked; a later training source and a test source not held still are (each read once more)."""
    import benchmark.data as data
    from benchmark.cli import build_parser, grid_spec
    from benchmark.config import build_configs

    _pngs(tmp_path / "photos", "a", "b", "c")
    for name in ("one", "two", "held", "test"):
        (tmp_path / f"{name}.csv").write_text("path\n" + "".join(f"{tmp_path / 'photos' / n}.png\n" for n in "abc"))
    cache = data.DataCache()
    cache.images(DataSpec.parse(str(tmp_path / "held.csv"), role="test"))
    reads = []
    real = data.load_raw
    monkeypatch.setattr(data, "load_raw", lambda spec, *a, **k: reads.append(Path(spec.source).stem) or real(
        spec, *a, **k))
    spec = grid_spec(build_parser().parse_args([
        "run", "--tasks", "denoise", "--losses", "l1", "--seeds", "0", "--crop", "16",
        "--train-data", str(tmp_path / "one.csv"), str(tmp_path / "two.csv"),
        "--test-data", str(tmp_path / "held.csv"), str(tmp_path / "test.csv")]))
    build_configs(spec, data=cache)
    assert sorted(reads) == ["one", "test", "test", "two", "two"], reads





def test_the_early_check_of_a_saved_dataset_draws_no_progress_bar_and_says_nothing_its_load_says(tmp_path,
                                                                                                  monkeypatch):
    """check_source_readable quieted its own logger by hand and left datasets' progress bars on (a saved dataset of
    more than 16 shards drew one in the check): it reads under _quiet_datasets and _no_card_warning, both restored."""
    import benchmark.data as data

    _pngs(tmp_path / "photos", "a", "b")
    datasets.Dataset.from_dict({"image": [str(p) for p in sorted((tmp_path / "photos").iterdir())]},
                               features=datasets.Features({"image": datasets.Image()})).save_to_disk(
        str(tmp_path / "saved"))
    seen = []
    real = data.load_raw

    def load(spec, *a, **k):
        seen.append((datasets.is_progress_bar_enabled(), data.log.getEffectiveLevel()))
        return real(spec, *a, **k)

    monkeypatch.setattr(data, "load_raw", load)
    was = datasets.is_progress_bar_enabled()
    datasets.enable_progress_bars()
    try:
        data.check_source_readable(DataSpec.parse(str(tmp_path / "saved")))
        assert seen == [(False, logging.CRITICAL)], seen
        assert datasets.is_progress_bar_enabled() and data.log.getEffectiveLevel() < logging.CRITICAL
    finally:
        if not was:
            datasets.disable_progress_bars()


def test_a_hub_error_met_by_the_load_is_worded_as_the_early_check_words_it(tmp_path, monkeypatch):
    """The hub's '(Request ID: …)' was left out only in the early check (_hub_words); the load's _hub_error printed
    '404 Client Error. (Request ID: …)': both word it one way."""
    from benchmark.data import _hub_error

    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.chdir(tmp_path)
    exc = FileNotFoundError("404 Client Error. (Request ID: Root=1-abc;def)\n\nRepository Not Found for url: x")
    said = str(_hub_error(DataSpec.parse("me/photos"), exc))
    assert "Request ID" not in said and "(404 Client Error.)" in said, said
    said = str(_hub_error(DataSpec.parse("me/photos"), RuntimeError("(Request ID: Root=1-abc)\nServer said no")))
    assert said == "cannot load dataset 'me/photos': Server said no", said


def test_the_early_hub_check_asks_nothing_under_plbench_offline(tmp_path, monkeypatch):
    """PLBENCH_OFFLINE=1 forbids every network access of this package's (weights.offline counts it), but the early
    check's HfApi().dataset_info request was still made under it: it asks the hub only where neither the hub's
    switches nor PLBENCH_OFFLINE is on."""
    from huggingface_hub import HfApi

    from benchmark.data import check_source_readable

    for switch in ("huggingface_hub.constants.HF_HUB_OFFLINE", "datasets.config.HF_HUB_OFFLINE"):
        monkeypatch.setattr(switch, False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    asked = []
    monkeypatch.setattr("datasets.get_dataset_split_names", lambda *a, **k: ["train", "test", "validation"])
    monkeypatch.setattr(HfApi, "dataset_info", lambda self, repo, **kw: asked.append(repo))
    monkeypatch.setenv("PLBENCH_OFFLINE", "1")
    check_source_readable(DataSpec.parse("me/photos"))
    assert asked == []
    monkeypatch.setenv("PLBENCH_OFFLINE", "0")
    check_source_readable(DataSpec.parse("me/photos"))
    assert asked == ["me/photos"]


def test_a_turned_tiff_opened_by_path_steps_through_its_pages_once(tmp_path, monkeypatch):
    """_tiff_main_page (which seeks every page) ran twice per TIFF opened by path (once to see whether its page is
    turned, once more on the file opened again): once now, the page read the same (turned, after its preview)."""
    import numpy as np
    import tifffile

    import benchmark.data as data

    yy, xx = np.mgrid[0:24, 0:40]
    grey = (xx * 6 + yy).astype(np.uint8)
    with tifffile.TiffWriter(tmp_path / "scan.tif") as tif:
        tif.write(grey[:6, :10], subfiletype=1)
        tif.write(grey, extratags=[(0x0112, 3, 1, 6, False)])
    calls = []
    real = data._tiff_main_page
    monkeypatch.setattr(data, "_tiff_main_page", lambda img: calls.append(1) or real(img))
    (record,) = load_images(DataSpec.parse(str(tmp_path)))
    assert len(calls) == 1
    assert tuple(record.pixels.shape) == (3, 40, 24)
    assert np.array_equal(record.pixels[0].numpy(), np.rot90(grey, -1))


def test_same_named_sources_and_files_are_told_apart_by_one_rule(tmp_path):
    """_distinct_ids wrote again the 'shortest distinct path tail' rule dataset_names has: one helper, _tails_apart,
    used by both; the same names as before (a split kept on the last folder, a name taken by another source skipped,
    a root never written, one file listed twice numbered)."""
    import benchmark.data as data

    for d in ("a/Set5", "b/Set5", "x/a/Set5", "y/Set5/Set5"):
        (tmp_path / d).mkdir(parents=True)
    specs = [DataSpec.parse(str(tmp_path / s)) for s in ("a/Set5", "b/Set5", "x/a/Set5", "a/Set5:test", "b/Set5:test")]
    assert list(data.dataset_names(specs).values()) == [
        f"{tmp_path.name}/a/Set5", f"{tmp_path.name}/b/Set5", "x/a/Set5", "a/Set5:test", "b/Set5:test"]
    specs = [DataSpec.parse(str(tmp_path / s)) for s in ("a/Set5", "y/Set5", "y/Set5/Set5")]
    assert list(data.dataset_names(specs).values()) == ["a/Set5", "y/Set5", "Set5/Set5"]
    paths = [Path(p) for p in ("/a/x.png", "/b/a/x.png", "/c/x.jpg", "/a/x.png", "/r/x.gif")]
    keys = [(i, p.stem, p.name, p) for i, p in enumerate(paths)] + [(5, "x", None, None)]
    assert data._distinct_ids(keys) == ["/a/x", "b/a/x", "x.jpg", "/a/x_3", "x.gif", "x"]
    assert data._tails_apart([["", "a", "x"], ["b", "a", "x"]], 2, taken={"/a/x"}) is None
