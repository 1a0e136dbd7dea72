"""Cross-area review of the day's merges (probe-report's counts in their number, probe-data's lines, …)."""
import logging
from pathlib import Path

import numpy as np


def _png(path: Path, seed: int) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(path)


def test_one_test_image_that_is_a_training_image_is_counted_in_the_singular(tmp_path, caplog):
    """probe-report made every count read in its number; probe-data moved the overlap warning (DataCache._overlap)
    the same day with its fixed plural, which the report's scan ("of %d images") does not match: one test image, a
    copy of a training one, was "1 of 1 test images are also training images"."""
    from benchmark.data import DataCache, DataSpec

    _png(tmp_path / "train" / "a.png", 1)
    _png(tmp_path / "train" / "b.png", 2)
    _png(tmp_path / "test" / "a.png", 1)
    with caplog.at_level(logging.WARNING):
        assert len(DataCache().overlap((DataSpec.parse(str(tmp_path / "train")),),
                                       (DataSpec.parse(str(tmp_path / "test")),))) == 1
    assert "1 of 1 test image is also a training image (identical pixels" in caplog.text
    assert "its scores are not held out" in caplog.text and "test images are" not in caplog.text


_BASELINE = "vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))"


def test_the_dry_run_tables_name_the_profiles_finding_baseline_whole():
    """fc9a188 added config.FINDING_BASELINES to the standard and full profiles; the dry run's two tables cut every
    loss spec at 34 characters, so it read ``vgg(layers=('relu1_2', 'relu2_2',``, which names another loss."""
    from benchmark.config import FINDING_BASELINES
    from benchmark.perf import estimate_check_lines, estimate_table_lines

    assert _BASELINE in FINDING_BASELINES
    est = {"vgg": {"denoise": 244.0, "sr4": 250.0}, _BASELINE: {"denoise": 300.0}}
    table = estimate_table_lines(est)
    assert [line.split()[0] for line in table] == ["loss", "vgg", "vgg(layers=('relu1_2',"]
    assert any(_BASELINE in line and line.rstrip().endswith("–") for line in table)
    assert len({len(line) for line in table}) == 1  # one column width, the header's too
    check = estimate_check_lines(est, {(_BASELINE, "denoise"): (330.0, 3, False)}, "cpu:2t")
    assert _BASELINE in check[-1] and "330.0 ×1.1 (3)" in check[-1]
    assert check[1].index("denoise") + len("denoise") == len(check[-1])


def test_the_readme_profiles_list_the_finding_baseline_the_profiles_train():
    """The README's profiles said standard and full train "every loss" (its 345 runs) after fc9a188 added
    config.FINDING_BASELINES to both: 15 runs more each (5 tasks × 3 seeds, their budget checks besides: the standard
    profile plans 720 configs, of which 690 with unchanged run ids), named in both entries."""
    from benchmark.config import DEFAULT_TASKS, FINDING_BASELINES, PROFILES, expand_losses

    for name in ("standard", "full"):
        prof = PROFILES[name]
        extra = len(expand_losses(prof.losses)) - len(expand_losses(("all",)))
        assert extra == len(FINDING_BASELINES) and extra * len(DEFAULT_TASKS) * len(prof.seeds) == 15
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    profiles = text[text.index("Profiles (every field"):text.index("`standard` and `full` take their data")]
    standard = profiles[profiles.index("* `standard`"):profiles.index("* `configs/cpu.yaml`")]
    full = profiles[profiles.index("* `full`"):]
    assert all(spec in standard for spec in FINDING_BASELINES) and "config.FINDING_BASELINES" in standard
    assert "345 runs, before that baseline's 15 more" in standard and "VGG\n  baseline, as `standard`" in full


def test_perf_s_table_names_the_profiles_finding_baseline_whole():
    """`plbench perf` (the command compare's and the leaderboard's notes give to time the grid's losses side by side)
    cut each spec at 28 characters: the profiles' new baseline read ``vgg(layers=('relu1_2', 'rel``."""
    from benchmark.perf import PerfRow, format_rows

    rows = [PerfRow(name, 20.0, 50.0, 1.0, None, None, None, None, "vgg16:random(seed=0)")
            for name in ("l1", _BASELINE)]
    head, one, other = format_rows(rows, "header").splitlines()[1:]
    assert other.startswith(_BASELINE + " ") and one.startswith("l1 ")
    assert head.index("ms/step") + len("ms/step") == one.index("20.00") + len("20.00") == other.index("20.00") + 5


def test_the_still_comparing_lines_count_in_their_number(tmp_path, monkeypatch):
    """probe-data's 15-s lines while a big source is compared (_still_comparing) wrote '1 training and 1 test images'
    the day probe-report made every count read in its number."""
    import contextlib

    import benchmark.data as data

    said = []
    monkeypatch.setattr(data, "_still_comparing", lambda what: said.append(what) or contextlib.nullcontext())
    _png(tmp_path / "train" / "a.png", 1)
    _png(tmp_path / "test" / "b.png", 2)
    data.DataCache().overlap((data.DataSpec.parse(str(tmp_path / "train")),),
                             (data.DataSpec.parse(str(tmp_path / "test")),))
    assert said == ["the overlap check of 1 training image and 1 test image"]
