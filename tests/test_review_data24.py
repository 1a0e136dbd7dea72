"""Review of round 24's data work (each test failed before its mend): images under 8 px, loaded since 44e3edf for
``modcrop=true`` tasks to test on, must not move a hold-out's draw or an image cap, which count images to train on."""

from __future__ import annotations

import numpy as np

from benchmark.data import DataCache, DataSpec


def _folder(root, tiny: bool):
    """Nine 40×48 photos, and (``tiny``) three 5×5 icons named to come first in the folder's order."""
    from PIL import Image

    root.mkdir(parents=True)
    for i in range(9):
        pixels = np.random.default_rng(i).integers(0, 256, (40, 48, 3)).astype(np.uint8)
        Image.fromarray(pixels).save(root / f"p{i}.png")
    for j in range(3 if tiny else 0):
        Image.fromarray(np.random.default_rng(100 + j).integers(0, 256, (5, 5, 3)).astype(np.uint8)).save(
            root / f"a{j}.png")
    return str(root)


def test_images_under_8px_do_not_move_a_holdouts_draw(tmp_path):
    """A 5×5 icon was drawn into the hold-out as any image: with 10 % of 12 images the test part was one icon (a
    modcrop=false task then had nothing to test on) and the photo it held out before trained on, under another training
    fingerprint. Now such images are held out without being counted or ranked: the photos split as without them."""
    data = DataCache()
    with_tiny, without = _folder(tmp_path / "with", True), _folder(tmp_path / "without", False)

    def part(src, role):
        spec = DataSpec.parse(f"{src}[holdout=10%]", role=role)
        return sorted(r.image_id for r in data.images(spec)), data.fingerprint((spec,), role=role)

    assert part(with_tiny, "train") == part(without, "train")
    test, _ = part(with_tiny, "test")
    assert test == sorted(["a0", "a1", "a2", *part(without, "test")[0]])


def test_images_under_8px_do_not_count_toward_an_image_cap(tmp_path):
    """``--max-train-images 5`` on a folder whose first files are 5×5 icons gave 3 icons and 2 photos (2 images to
    train on, under another training fingerprint). Now the cap counts images of 8 px or more a side: 5 photos, the
    icons before them kept (never trained on), the training fingerprint the one the 5 photos alone have."""
    data = DataCache()
    with_tiny, without = _folder(tmp_path / "with", True), _folder(tmp_path / "without", False)
    capped = DataSpec.parse(with_tiny, max_images=5, role="train")
    assert sorted(r.image_id for r in data.images(capped)) == ["a0", "a1", "a2", "p0", "p1", "p2", "p3", "p4"]
    plain = DataSpec.parse(without, max_images=5, role="train")
    assert data.fingerprint((capped,), role="train") == data.fingerprint((plain,), role="train")
    held = DataSpec.parse(f"{with_tiny}[holdout=10%]", max_images=1, role="test")  # a hold-out's part, capped so too
    assert sorted(r.image_id for r in data.images(held)) == ["a0", "a1", "a2", "p5"]  # (was the one icon a0)


def test_a_test_image_under_8px_is_not_called_trained_on_for_a_copy_in_the_training_source(tmp_path):
    """A 5×5 icon in the test set whose copy is in the training source was named among the test images trained on
    (meta.json's test_overlap, the leaderboard's and verdicts' notes), though images under 8 px are never trained on
    (44e3edf: no training crop comes from them, and the training fingerprint leaves them out). Now the overlap check
    compares the test images with the training images that are trained on; a photo's copy is still named."""
    from PIL import Image

    train, test = _folder(tmp_path / "train", True), tmp_path / "test"
    test.mkdir()
    Image.open(tmp_path / "train" / "a0.png").save(test / "icon.png")
    Image.open(tmp_path / "train" / "p3.png").save(test / "photo.png")
    pixels = np.random.default_rng(77).integers(0, 256, (40, 48, 3)).astype(np.uint8)
    Image.fromarray(pixels).save(test / "own.png")
    data = DataCache()
    assert data.overlap((DataSpec.parse(train),), (DataSpec.parse(str(test)),)) == ["test/photo"]


def test_a_file_name_column_repeating_the_images_absolute_paths_gives_no_id(tmp_path):
    """A saved Dataset whose ``image`` column was cast from absolute paths beside a ``file_name`` column of the same
    paths (``Dataset.from_dict({"image": paths, "file_name": paths}).cast_column("image", Image())``) named its result
    rows by this machine's folders ('/home/me/photos/a.png'); e60e17e mended only a file_name column that is the image
    column. Now such an id column gives no id either: 'a', 'b', as the images' folder would."""
    import datasets
    from PIL import Image

    from benchmark.data import load_images

    (tmp_path / "photos").mkdir()
    paths = []
    for n, seed in (("a", 1), ("b", 2)):
        pixels = np.random.default_rng(seed).integers(0, 256, (32, 32, 3)).astype(np.uint8)
        Image.fromarray(pixels).save(tmp_path / "photos" / f"{n}.png")
        paths.append(str(tmp_path / "photos" / f"{n}.png"))
    ds = datasets.Dataset.from_dict({"image": paths, "file_name": paths}).cast_column("image", datasets.Image())
    ds.save_to_disk(str(tmp_path / "saved"))
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "saved")))] == ["a", "b"]
    named = datasets.Dataset.from_dict({"image": paths, "file_name": ["x.png", "y.png"]}).cast_column(
        "image", datasets.Image())  # a file_name of its own is its id, as before
    named.save_to_disk(str(tmp_path / "named"))
    assert [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "named")))] == ["x.png", "y.png"]
