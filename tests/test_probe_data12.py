"""Data inputs, probed as a user with a folder of their own photos would hit them (session 12)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from benchmark.config import GridSpec, build_configs
from benchmark.data import DataCache
from benchmark.errors import UserError


def _photos(folder, sizes) -> str:
    """PNG photos of (height, width) ``sizes`` in a new ``folder``."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate(sizes):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    return str(folder)


def _plan(train, test, tasks=("deblur",), **task_params):
    return build_configs(GridSpec(tasks=tasks, losses=("l1",), seeds=(0,), metrics=("psnr",), device="cpu",
                                  iterations=2, crop=16, batch_size=2, budget_check=False, train_data=(train,),
                                  test_data=(test,), task_params=task_params), DataCache())


def test_deblur_test_images_within_the_kernels_reach_once_cut_are_refused_when_planned(tmp_path):
    """A 14-px test photo is cut to 8 px (multiples of 8) and deblur's 21-px kernel reaches 10 px past each border:
    10c9b4d mirrors it where the code before replicated its edge, under the same version 2 and run ids, so its
    scores would mix two degradations under one id → refused at planning, naming the image, its cut side and the
    floor; a 16-px one is planned, as is the same tiny set for denoise (no kernel)."""
    train = _photos(tmp_path / "train", [(32, 32)])
    tiny = _photos(tmp_path / "tiny", [(20, 24), (14, 30)])
    with pytest.raises(UserError, match=r"test image tiny/p1 \(30×14\) is cut to 8 px on a side .*task deblur needs "
                                        r"≥ 11 px .*kernel_size 21"):
        _plan(train, tiny)
    with pytest.raises(UserError, match=r"test image tiny/p0 \(12×9\) is cut to 9 px .*needs ≥ 11 px"):
        _plan(train, _photos(tmp_path / "m" / "tiny", [(9, 12)]), deblur={"modcrop": True})


@pytest.mark.slow  # three grids planned: 1.3 s
def test_deblur_test_images_beyond_the_kernels_reach_and_other_tasks_are_planned(tmp_path):
    train = _photos(tmp_path / "train", [(32, 32)])
    tiny = _photos(tmp_path / "tiny", [(20, 24), (14, 30)])
    assert _plan(train, _photos(tmp_path / "ok", [(16, 20)]))
    assert _plan(train, tiny, tasks=("denoise",))
    assert _plan(train, tiny, deblur={"kernel_size": 15, "gaussian_sigma": (1.0, 1.5), "motion_length": (3, 7)})


def test_a_deblur_plan_made_before_the_test_side_floor_trains_nothing_on_such_test_images(tmp_path):
    """A config resolved without planning (an executor's saved configs, compare's field) still reaches run_grid:
    refused there before any work, nothing written under its id."""
    import torch

    from benchmark.config import RunConfig, resolve, run_id
    from benchmark.data import DataSpec
    from benchmark.results import ResultsStore
    from benchmark.runner import run_grid

    data = DataCache()
    train, test = (DataSpec.parse(_photos(tmp_path / n, sizes)) for n, sizes in (("train", [(32, 32)]),
                                                                                  ("tiny", [(14, 30)])))
    cfg = resolve(RunConfig(task="deblur", loss="l1", iterations=2, crop=16, batch_size=2, train_data=(train,),
                            test_data=(test,)), data)
    store = ResultsStore(tmp_path / "results")
    with pytest.raises(UserError, match=r"test image tiny/p0 \(30×14\) is cut to 8 px .*needs ≥ 11 px"):
        run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False, data=data)
    assert not store.is_done(run_id(cfg))


def _progressive(seed: int = 0, side: int = 96) -> bytes:
    """A smooth colour photo-like progressive JPEG (quality 90), ``side`` px square."""
    import io

    y, x = np.mgrid[0:side, 0:side]
    noise = np.random.default_rng(seed).normal(0, 8, (side, side, 3))
    img = np.dstack([x * 2, y * 2, (x + y)]).astype(np.float64) + noise
    buf = io.BytesIO()
    Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90, progressive=True)
    return buf.getvalue()


def test_a_progressive_jpeg_cut_at_a_scan_boundary_is_skipped_not_read_blurred(tmp_path, caplog):
    """A progressive JPEG whose later scans are gone but that ends in EOI (a CDN's progressive preview of the first
    scans, a download cut where a scan starts and 'repaired'): libjpeg decodes it without a word — no data ends early
    within a scan — at the precision the scans it has give (Astronaut cut after its first scan: 21 dB from the whole
    file), and it was trained on or scored as a clean photo → skipped as unreadable, named; the whole file and
    a baseline JPEG are read."""
    import logging

    from benchmark.data import DataSpec, load_images

    raw = _progressive(1)
    scans = [i for i in range(len(raw) - 1) if raw[i:i + 2] == b"\xff\xda"]
    assert len(scans) > 3
    (tmp_path / "whole.jpg").write_bytes(_progressive(0))
    (tmp_path / "preview.jpg").write_bytes(raw[:scans[2]] + b"\xff\xd9")
    (tmp_path / "late.jpg").write_bytes(raw[:scans[-1]] + b"\xff\xd9")  # only the last refinement scan lost
    with caplog.at_level(logging.WARNING, logger="benchmark.data"):
        recs = load_images(DataSpec.parse(str(tmp_path)))
    assert [r.image_id for r in recs] == ["whole"]
    for name in ("preview.jpg", "late.jpg"):
        line = next(r.getMessage() for r in caplog.records if name in r.getMessage() and "skipping" in r.getMessage())
        assert "progressive scans end before" in line and "\n" not in line


def _photo(h: int, w: int, seed: int) -> np.ndarray:
    """A photo-like (h, w, 3) uint8 image: smooth gradients plus grain, distinct per seed."""
    y, x = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(seed)
    img = np.dstack([x * rng.uniform(0.5, 2), y * rng.uniform(0.5, 2), (x + y) * rng.uniform(0.3, 1)])
    return (img + rng.normal(0, 12, (h, w, 3)) + rng.uniform(0, 60)).clip(0, 255).astype(np.uint8)


def test_a_test_image_cut_from_a_training_photo_is_named(tmp_path, caplog):
    """A test set made by cutting patches out of the training photos (a crop saved as PNG, one turned as well, as
    training crops are): pixel for pixel a window of a training image, so its scores are not held out, and only
    whole images (identical, turned, re-encoded, resized) were looked for → named '(cut from a training image)';
    a patch of another photo and a flat patch are not."""
    import logging

    from benchmark.data import DataCache, DataSpec

    big = _photo(120, 160, seed=1)
    _photos(tmp_path / "train", [])
    Image.fromarray(big).save(tmp_path / "train" / "holiday.png")
    Image.fromarray(_photo(90, 90, seed=2)).save(tmp_path / "train" / "beach.png")
    (tmp_path / "test").mkdir()
    Image.fromarray(big[13:61, 21:85]).save(tmp_path / "test" / "patch.png")
    Image.fromarray(np.rot90(big[70:110, 100:148]).copy()).save(tmp_path / "test" / "turned.png")
    Image.fromarray(_photo(120, 160, seed=3)[13:61, 21:85]).save(tmp_path / "test" / "other.png")
    Image.fromarray(np.full((40, 40, 3), 128, np.uint8)).save(tmp_path / "test" / "flat.png")
    Image.fromarray(np.full((60, 50, 3), 128, np.uint8)).save(tmp_path / "train" / "grey.png")
    train, test = DataSpec.parse(str(tmp_path / "train")), DataSpec.parse(str(tmp_path / "test"))
    with caplog.at_level(logging.WARNING):
        both = DataCache().overlap((train,), (test,))
    assert sorted(both) == ["test/patch (cut from a training image)",
                            "test/turned (cut from a training image, turned or mirrored)"]
    assert "2 of 4 test images are also training images" in caplog.text and "cut from one" in caplog.text


def _saved_dict(path, splits: dict[str, int]) -> str:
    import datasets

    def part(n, seed):
        return datasets.Dataset.from_dict(
            {"image": [Image.fromarray(_photo(24, 32, seed + i)) for i in range(n)]},
            features=datasets.Features({"image": datasets.Image()}))

    datasets.DatasetDict({name: part(n, 10 * k) for k, (name, n) in enumerate(splits.items())}).save_to_disk(str(path))
    return str(path)


def test_a_saved_dataset_with_kaggle_s_split_names_gives_each_role_its_split(tmp_path, caplog):
    """A DatasetDict saved with splits 'Train'/'Test' (Kaggle's capitals, as an image folder's Train/ is read) or
    'train'/'valid' was refused without ':SPLIT' — 'has splits Train, Test, none of them 'test' or 'validation'' —
    where the folder layout's val/valid are taken → split names match without case, and 'valid'/'val' are a
    validation split, logged as 'validation' is, where no name matches as spelt (what was taken before is taken)."""
    import logging

    from benchmark.data import DataSpec

    kaggle = _saved_dict(tmp_path / "kaggle", {"Train": 3, "Test": 2})
    assert (DataSpec.parse(kaggle, role="train").split, DataSpec.parse(kaggle, role="test").split) == ("Train", "Test")
    valid = _saved_dict(tmp_path / "valid", {"train": 3, "valid": 2})
    with caplog.at_level(logging.INFO, logger="benchmark.data"):
        assert DataSpec.parse(valid, role="test").split == "valid"
    assert "testing on its 'valid' split" in caplog.text
    both = _saved_dict(tmp_path / "both", {"test": 1, "Test": 1, "train": 1})
    assert DataSpec.parse(both, role="test").split == "test"
    before = _saved_dict(tmp_path / "before", {"validation": 1, "Test": 1, "train": 1})
    assert DataSpec.parse(before, role="test").split == "validation"  # as planned before: its runs keep their ids


def test_a_source_without_a_held_out_split_is_split_in_two_by_a_seeded_hold_out(tmp_path, caplog):
    """A folder (or a hub set with only 'train') had no way to test on images kept out of training: the same source
    as --test-data was its training images (the overlap warning), split slices are refused, and the README's answer was
    to copy files by hand → SOURCE[holdout=P%] given to both: the test data are the images whose pixels draw them
    into the P %, training the others, recorded in each token (the runs' ids), read back as written."""
    import logging

    from benchmark.data import DataSpec

    folder = tmp_path / "mine"
    folder.mkdir()
    for i in range(40):
        Image.fromarray(_photo(24, 32, seed=100 + i)).save(folder / f"p{i:02d}.png")
    train = DataSpec.parse(f"{folder}[holdout=25%]", role="train")
    test = DataSpec.parse(f"{folder}[holdout=25%]", role="test")
    assert (train.holdout, test.holdout) == ((25.0, "train"), (25.0, "test"))
    assert DataSpec.parse(test.token()) == test and DataSpec.parse(train.token()) == train
    data = DataCache()
    with caplog.at_level(logging.WARNING):
        tr, te = {r.image_id for r in data.images(train)}, {r.image_id for r in data.images(test)}
        assert data.overlap((train,), (test,)) == []
    assert not tr & te and tr | te == {f"p{i:02d}" for i in range(40)} and 4 <= len(te) <= 16
    assert DataSpec.parse(str(folder), role="test").token() == str(folder)  # a plain source: its token, its ids
    for bad, said in (("[holdout=150%]", "between 0.01 and 99.99"), ("[holdout=10]", "between 0.01 and 99.99"),
                      ("[holdout=10%:val]", "name the part")):
        with pytest.raises(UserError, match=said):
            DataSpec.parse(f"{folder}{bad}", role="test")
    with pytest.raises(UserError, match=r"name the part of the hold-out .*\[holdout=10%:test\]"):
        DataSpec.parse(f"{folder}[holdout=10%]")


def test_a_training_set_smaller_than_the_crop_is_refused_when_the_grid_is_planned(tmp_path):
    """Every training photo under the --crop: planning (and so a dry run's estimate, exit 0, and an executor's
    submission of every job) went through, and each run then failed at its start ('every image … is smaller than the
    64 px crop') — overnight, a SLURM grid of jobs that each fail at once → refused when the grid is planned."""
    train = _photos(tmp_path / "small", [(30, 40), (50, 60)])
    test = _photos(tmp_path / "test", [(64, 64)])
    with pytest.raises(UserError, match=r"every image in .*small is smaller than the 64 px crop \(largest short side "
                                        r"50 px\); lower --crop"):
        build_configs(GridSpec(tasks=("denoise",), losses=("l1",), seeds=(0,), metrics=("psnr",), device="cpu",
                               iterations=2, crop=64, batch_size=2, budget_check=False, train_data=(train,),
                               test_data=(test,)), DataCache())


def test_both_parts_of_a_hold_out_are_read_from_one_decoding_of_their_source(tmp_path, monkeypatch):
    """SOURCE[holdout=P%] as --train-data and --test-data: each part decoded the whole source (every image must be
    decoded to know its part), so planning read a big folder twice, and every job of an executor did again → the source
    is decoded once per cache and split; a part read alone (load_images) is the same images under the same ids."""
    import benchmark.data as data_mod
    from benchmark.data import DataSpec, fingerprint, load_images

    folder = tmp_path / "mine"
    folder.mkdir()
    for i in range(12):
        Image.fromarray(_photo(16, 24, seed=200 + i)).save(folder / f"p{i:02d}.png")
    decoded = []
    real = data_mod._load_images
    monkeypatch.setattr(data_mod, "_load_images", lambda spec: decoded.append(spec) or real(spec))
    cache = DataCache()
    train = DataSpec.parse(f"{folder}[holdout=30%]", max_images=5, role="train")
    test = DataSpec.parse(f"{folder}[holdout=30%]", role="test")
    parts = cache.images(train), cache.images(test)
    assert len(decoded) == 1 and len(parts[0]) == 5 and parts[1]
    for spec, part in zip((train, test), parts):
        assert fingerprint(load_images(spec)) == fingerprint(part)


def test_a_hold_out_composes_with_revision_split_and_column_wherever_it_is_written():
    """`hub[holdout=10%]@rev`, `hub[holdout=10%]:train` or `hub:train[holdout=10%]#img` (the syntax lists @REV, :SPLIT
    and #COLUMN after SOURCE): only a [holdout=…] at the very end was read — before an '@' or ':' it became part of a
    hub id, silently; before '#' it was refused as a split slice, pointing to a form that dropped the column → read
    where it is written, one spec and token whatever the place; a slice's refusal keeps the column in its form."""
    from benchmark.data import DataSpec

    want = DataSpec.parse("user/set@abc:train#img[holdout=10%]", role="test")
    assert (want.source, want.revision, want.split, want.image_column, want.holdout) == \
        ("user/set", "abc", "train", "img", (10.0, "test"))
    for text in ("user/set[holdout=10%]@abc:train#img", "user/set@abc[holdout=10%]:train#img",
                 "user/set@abc:train[holdout=10%]#img"):
        assert DataSpec.parse(text, role="test") == want, text
    assert DataSpec.parse("user/set[holdout=5%]:train", role="train").token() == "user/set:train[holdout=5%:train]"
    with pytest.raises(UserError, match=r"the same user/set:train#img\[holdout=10%\] as --train-data"):
        DataSpec.parse("user/set:train[:10%]#img", role="test")


def test_a_held_out_part_is_named_so_in_the_result_rows(tmp_path):
    """The held-out 10 % of a folder was scored under the folder's bare name (`mine`, in every result row and the
    report's 'By test set' table: 'mine 3 images'), as a run tested on the whole folder is → the part is in the name
    (`mine[holdout=10%:test]`), two folders of one name told apart as before; a plain source's name is unchanged."""
    from benchmark.data import DataSpec, dataset_names

    for parent in ("a", "b"):
        (tmp_path / parent / "mine").mkdir(parents=True)
    a, b = (DataSpec.parse(f"{tmp_path / p / 'mine'}[holdout=10%]", role="test") for p in ("a", "b"))
    assert a.name == "mine[holdout=10%:test]"
    assert dataset_names([a, b]) == {a: "a/mine[holdout=10%:test]", b: "b/mine[holdout=10%:test]"}
    assert DataSpec.parse(str(tmp_path / "a" / "mine"), role="test").name == "mine"


def test_a_hold_out_share_reads_back_from_its_token_as_given():
    """[holdout=33.3333333%] was kept to every digit but written '33.3333%' in its token (the runs' configs), which
    read back as another spec than the one planned → the share is taken to the 0.01 % that the split draws at
    (held_out), so its token reads back as the very spec; a share that rounds to 0 is refused in one line."""
    from benchmark.data import DataSpec

    spec = DataSpec.parse("user/set[holdout=33.3333333%]", role="test")
    assert spec.holdout == (33.33, "test") and DataSpec.parse(spec.token()) == spec
    with pytest.raises(UserError, match=r"between 0\.01 and 99\.99"):
        DataSpec.parse("user/set[holdout=0.001%]", role="test")


def test_looking_for_cut_patches_in_a_noisy_dark_set_does_not_compare_whole_images_again_and_again(monkeypatch):
    """Dark, grainy photos (a low-light set: a few levels of sensor noise) share many 8-px windows by chance, so each
    test image had up to 64 × 8 candidate windows compared whole, pixel for pixel (a 12 MP test image: seconds each,
    at planning) → a candidate is first compared at a sparse grid of its pixels, and only one agreeing there is
    compared whole; a patch cut from such a photo is still found."""
    import torch

    import benchmark.data as data_mod
    from benchmark.data import DataSpec, ImageRecord

    rng = np.random.default_rng(5)
    pool = [ImageRecord(f"t{i}", torch.from_numpy(rng.integers(0, 4, (3, 256, 256), dtype=np.uint8)))
            for i in range(8)]
    spec = DataSpec("x")
    test = [ImageRecord("q", torch.from_numpy(rng.integers(0, 4, (3, 96, 96), dtype=np.uint8))),
            ImageRecord("cut", pool[1].pixels[:, 30:126, 40:136].clone())]
    whole = []
    real = np.array_equal
    monkeypatch.setattr(np, "array_equal", lambda a, b, *k: (whole.append(1) if np.size(a) >= 3 * 96 * 96 else None)
                        or real(a, b, *k))
    assert data_mod._cropped_copies(pool, {spec: test}, {spec: "x"}, set()) == ["x/cut (cut from a training image)"]
    assert len(whole) <= 8


def test_patches_cut_from_a_noisy_dark_set_are_found_though_chance_matches_abound():
    """In dark, grainy photos most 8-px windows recur by chance, and the search tried its first 64 candidate positions
    in the order the index gave them: the true one came too late, so 1 of 20 patches cut (and turned) from such photos
    was named → the positions are ranked by how many of the test image's windows point to each (the true one: every
    window on the index's grid; a chance one: one or two), and the best tried first."""
    import torch

    import benchmark.data as data_mod
    from benchmark.data import DataSpec, ImageRecord

    rng = np.random.default_rng(0)
    pool = [ImageRecord(f"t{i}", torch.from_numpy(rng.integers(0, 4, (3, 1000, 1000), dtype=np.uint8)))
            for i in range(8)]
    cuts = []
    for i in range(12):
        j, (y, x), k = rng.integers(8), rng.integers(0, 800, 2), rng.integers(4)
        cuts.append(ImageRecord(f"c{i}", torch.from_numpy(np.rot90(pool[j].pixels[:, y:y + 150, x:x + 180].numpy(), k,
                                                                   axes=(1, 2)).copy())))
    spec = DataSpec("x")
    assert len(data_mod._cropped_copies(pool, {spec: cuts}, {spec: "x"}, set())) == 12


def test_a_test_set_with_no_image_a_task_can_cut_is_refused_when_the_grid_is_planned(tmp_path):
    """×3 super-resolution cuts test images to multiples of 24 px: a test set of 20-px photos was planned (a dry run's
    estimate, exit 0; an executor's submission), and the grid stopped when it reached that task, after every task
    before it had trained ('no test image is at least 24 px …') → refused when planned, in the same words."""
    train = _photos(tmp_path / "train", [(48, 48)])
    test = _photos(tmp_path / "test", [(20, 20), (22, 30)])
    with pytest.raises(UserError, match=r"no test image is at least 24 px on each side, as task sr4 needs"):
        _plan(train, test, tasks=("denoise", "sr4"), sr4={"scale": 3})


def test_run_help_says_how_a_hold_out_is_drawn_and_where_it_is_written():
    """`run --help` called the hold-out 'a seeded 10 %' (there is no seed to set: each image's part is drawn from its
    pixels) and --train-data's syntax line left it out → both say it as it is."""
    from benchmark.cli import build_parser

    sub = next(a for a in build_parser()._actions if getattr(a, "choices", None) and "run" in a.choices)
    text = " ".join(sub.choices["run"].format_help().split())
    assert "seeded" not in text and "SOURCE[@REV][:SPLIT][#COLUMN][holdout=P%]" in text
    assert "chosen by their pixels' hash" in text


def test_test_images_too_small_for_deblur_are_said_before_any_loss_is_built(tmp_path):
    """ad6bf53 moved the refusal of deblur test images within the kernel's reach before the losses are built and
    probed (a minute for a feature loss on 2 busy cores): a grid with a loss whose weights are missing said the weights
    first, and the small test images only once they were fetched → the data is judged first."""
    train = _photos(tmp_path / "train", [(32, 32)])
    tiny = _photos(tmp_path / "tiny", [(14, 30)])
    with pytest.raises(UserError, match=r"test image tiny/p0 \(30×14\) is cut to 8 px"):
        build_configs(GridSpec(tasks=("deblur",), losses=("lpips",), seeds=(0,), metrics=("psnr",), device="cpu",
                               iterations=2, crop=16, batch_size=2, budget_check=False, train_data=(train,),
                               test_data=(tiny,), backbone_weights="pretrained"), DataCache())
