"""Review of the session-20 data fixes: what they left of their own category."""

from __future__ import annotations

import pytest

from benchmark.data import DataSpec, load_images
from benchmark.errors import UserError


@pytest.mark.parametrize("mode", ["L", "RGBA"])
def test_a_multi_page_tiff_whose_turned_main_page_follows_a_preview_is_read_turned(tmp_path, mode):
    """524c8d9 read a TIFF turned by 90° from memory only where its first page was turned: a scanner's file of a
    preview (NewSubfileType 1) then the full page, turned, was read unturned from its path, turned from a hub
    dataset's bytes."""
    import numpy as np
    import tifffile
    import torch

    yy, xx = np.mgrid[0:24, 0:40]
    grey = (xx * 6 + yy).astype(np.uint8)
    kw = {"photometric": "minisblack"}
    page, preview = grey, grey[:6, :10]
    if mode == "RGBA":
        page = np.stack([grey, 255 - grey, grey // 2, np.full_like(grey, 255)], -1)
        preview, kw = page[:6, :10], {"photometric": "rgb", "extrasamples": [2]}
    with tifffile.TiffWriter(tmp_path / "scan.tif") as tif:
        tif.write(preview, subfiletype=1, **kw)
        tif.write(page, extratags=[(0x0112, 3, 1, 6, True)], **kw)
    (record,) = load_images(DataSpec.parse(str(tmp_path)))
    planes = page[..., :3] if mode == "RGBA" else np.stack([grey] * 3, -1)
    expected = torch.from_numpy(np.rot90(planes, -1).copy()).permute(2, 0, 1)
    assert record.pixels.shape == expected.shape and torch.equal(record.pixels, expected), mode


def _hub_answer(status, headers, url="https://huggingface.co/api/datasets/me/photos"):
    """The hub client's own error for an answer of ``status`` (its words, as it raises them)."""
    import httpx2
    from huggingface_hub.utils import hf_raise_for_status

    response = httpx2.Response(status, headers={**headers, "X-Request-Id": "Root=1-abc"},
                               json={"error": headers.get("X-Error-Message", "")},
                               request=httpx2.Request("GET", url))
    try:
        hf_raise_for_status(response)
    except Exception as exc:  # noqa: BLE001 - whichever type it is
        return exc
    raise AssertionError("no error raised")


@pytest.mark.parametrize("source, status, headers, said", [
    ("me/photos", 404, {"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"},
     r"'me/photos' from the hub \(the hub holds no dataset me/photos, or it is private or gated and no token with "
     r"access to it is set: HF_TOKEN, or hf auth login\)"),
    ("me/photos", 401, {"X-Error-Message": "Invalid username or password."},
     r"no dataset me/photos, or it is private or gated and no token with access"),
    ("me/photos", 403, {"X-Error-Message": "Forbidden"},
     r"the hub refuses the token set for dataset me/photos \(403 Forbidden: Forbidden\.\): a token with read access"),
    ("me/photos@v9:test", 404, {"X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id: v9"},
     r"from the hub \(the hub's dataset me/photos has no revision 'v9'\)"),
])
def test_the_hubs_refusal_is_said_in_words_not_its_status_line(monkeypatch, tmp_path, source, status, headers,
                                                                 said):
    """ace9b5a said the hub's real 'not found' by its first line, '404 Client Error. (Request ID: Root=…)', a
    private dataset's 401 the same (no word of a token), a revision not there no better, and a token refused (403)
    only after the training sources were decoded: each is said in words, while the grid is planned."""
    from huggingface_hub import HfApi

    from benchmark.data import check_source_readable

    for switch in ("huggingface_hub.constants.HF_HUB_OFFLINE", "datasets.config.HF_HUB_OFFLINE"):
        monkeypatch.setattr(switch, False)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    exc = _hub_answer(status, headers)

    def info(self, repo, **kw):
        raise exc

    monkeypatch.setattr(HfApi, "dataset_info", info)
    with pytest.raises(UserError, match=said) as caught:
        check_source_readable(DataSpec.parse(source))
    assert "\n" not in str(caught.value) and "Request ID" not in str(caught.value)


def test_a_folder_whose_name_holds_a_dollar_is_read_as_written_with_a_split_or_column(tmp_path, monkeypatch):
    """3b6c340 expanded ``$VAR`` where the source as written was no path, its ``:SPLIT`` or ``#COLUMN`` still on it:
    a folder named ``run$TAG`` (a folder may hold a ``$``; a hub id cannot) with ``TAG`` set was another path,
    'not found', as ``run$TAG:test``, though read as ``run$TAG``. The path as written wins where it is there."""
    import numpy as np
    from PIL import Image

    for split, name in (("test", "a"), ("train", "b")):
        (tmp_path / "run$TAG" / split).mkdir(parents=True)
        Image.fromarray(np.zeros((16, 24, 3), np.uint8)).save(tmp_path / "run$TAG" / split / f"{name}.png")
    monkeypatch.setenv("TAG", "x")
    spec = DataSpec.parse(f"{tmp_path}/run$TAG:test")
    assert (spec.source, spec.split, spec.kind) == (str(tmp_path / "run$TAG"), "test", "folder")
    assert [r.image_id for r in load_images(spec)] == ["test/a"]
    assert DataSpec.parse(f"{tmp_path}/run$TAG#image").source == str(tmp_path / "run$TAG")


def test_same_named_photos_listed_from_a_lists_folder_are_named_by_their_own_folders(tmp_path):
    """73a3253 named same-named files by the path as written in the list: ``../x.png`` and ``x.png`` of a list kept in
    ``photos/lists/`` were ``../x`` and ``x`` (an id that names no folder of its own); named by the folders they are
    in, from the list's folder as a folder source names its files, they are ``photos/x`` and ``x``."""
    import numpy as np
    from PIL import Image

    (tmp_path / "photos" / "lists").mkdir(parents=True)
    Image.fromarray(np.full((16, 24, 3), 10, np.uint8)).save(tmp_path / "photos" / "x.png")
    Image.fromarray(np.full((16, 24, 3), 90, np.uint8)).save(tmp_path / "photos" / "lists" / "x.png")
    (tmp_path / "photos" / "lists" / "l.txt").write_text("../x.png\nx.png\n")
    ids = [r.image_id for r in load_images(DataSpec.parse(str(tmp_path / "photos" / "lists" / "l.txt")))]
    assert ids == ["photos/x", "x"]


def test_a_hash_line_inside_a_quoted_cell_of_a_tab_separated_list_is_the_cell_s(tmp_path):
    """A tab-separated ``.txt`` (Excel's 'Text (Tab delimited)') whose caption, quoted over two lines, has a second
    line starting with ``#`` lost that line as a comment: the quote left open, 'EOF inside string', the table
    unread. A line inside a quoted cell is the cell's, as in a .csv or .tsv; a ``#`` note line elsewhere still
    passed over."""
    import numpy as np
    from PIL import Image

    from benchmark.data import load_raw

    for name in "abc":
        Image.fromarray(np.full((16, 24, 3), 10, np.uint8)).save(tmp_path / f"{name}.png")
    (tmp_path / "l.txt").write_text('path\tcaption\na.png\t"two\n# lines"\n# a note\nb.png\tx\nc.png\ty\n')
    ds = load_raw(DataSpec.parse(str(tmp_path / "l.txt")))
    assert ds["path"] == ["a.png", "b.png", "c.png"] and ds["caption"] == ["two\n# lines", "x", "y"]


def test_the_dry_run_times_its_evaluation_on_the_test_images_the_grid_decoded(tmp_path, monkeypatch):
    """A dry run decoded the test data a second time (estimate_grid's own DataCache) to time an evaluation, so every
    skipped file's warning was said twice: it is given the grid's DataCache and reads the images decoded there."""
    import types

    import numpy as np
    from PIL import Image

    import benchmark.data as data
    import benchmark.runner as runner
    from benchmark.perf import estimate_grid

    (tmp_path / "test").mkdir()
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(tmp_path / "test" / "a.png")
    spec = DataSpec.parse(str(tmp_path / "test"))
    cache = data.DataCache()
    cache.images(spec)
    decoded = []
    real = data._decoded
    monkeypatch.setattr(data, "_decoded", lambda s, *a, **k: decoded.append(str(s)) or real(s, *a, **k))
    given = []

    class Stop(Exception):
        pass

    def held_out(task, images):
        given.append({s: [r.image_id for r in rs] for s, rs in images.items()})
        raise Stop

    monkeypatch.setattr(runner, "held_out_items", held_out)

    class Times:  # every training time known; the evaluation's measured (stopped where it reads the images)
        measured = busy = reused = 0
        path = tmp_path / "steptimes.json"

        def get(self, key, fn):
            return fn() if "|eval|" in key else 1e-3 if "|data|-|" in key else (1e-3, 0.0)

        def save(self):
            pass

    config = types.SimpleNamespace(loss="l1", task="denoise", task_params=(), net="tiny", batch_size=2, crop=32,
                                   compile=False, iterations=10, test_data=(spec,), test_fingerprint="f")
    with pytest.raises(Stop):
        estimate_grid([config], ["psnr"], "cpu", Times(), metric_set=object(), data=cache)
    assert given == [{spec: ["a"]}] and decoded == []
