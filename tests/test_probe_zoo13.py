"""Probe of the loss zoo and the metrics against their references (session 13)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.metrics import MetricSet


def _photo(folder, name: str, side: int = 96) -> torch.Tensor:
    from PIL import Image

    arr = np.asarray(Image.open(folder / name).convert("RGB"))[:side, :side]
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1)[None].double() / 255


def test_cw_ssim_of_flat_images_is_the_formulas_limit_never_a_million():
    """pyiqa adds 1e-12 inside each complex magnitude: a flat image, whose bands are (rounding) zero, scored
    2e-6 / 2e-12 = 1000000.0 against itself, a leaderboard cell a million times the metric's maximum of 1."""
    cw = MetricSet(["cw_ssim"])
    flat = torch.full((1, 3, 64, 72), 0.5)
    noise = torch.rand(1, 3, 64, 72, generator=torch.Generator().manual_seed(0))
    assert cw.score(flat, flat)["cw_ssim"] == pytest.approx(1.0, abs=1e-12)          # S(x, x) = 1 for every x
    assert cw.score(torch.ones_like(flat), torch.ones_like(flat))["cw_ssim"] == pytest.approx(1.0, abs=1e-12)
    assert cw.score(0.6 * flat, flat)["cw_ssim"] == pytest.approx(1.0, abs=1e-12)    # bandpass: blind to a shift
    assert cw.score(noise, flat)["cw_ssim"] == pytest.approx(0.0, abs=1e-6)          # structure against none
    near = flat.clone()
    near[..., 30:34, 30:34] += 1 / 255
    for p, t in ((near, flat), (flat, near), (near, near), (noise, near)):
        assert cw.score(p, t)["cw_ssim"] <= 1 + 1e-12                               # Cauchy–Schwarz


def test_cw_ssim_equals_pyiqas_on_photos_and_after_its_reference_is_kept(set5):
    import pyiqa

    ref = pyiqa.create_metric("cw_ssim", as_loss=False)
    cw = MetricSet(["cw_ssim"])
    for name in ("bird.png", "butterfly.png"):
        t = _photo(set5, name).float()
        p = (t + 0.04 * torch.randn(t.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
        want = float(ref(p, t))
        assert float(cw.metrics[0].module(p, t)) == pytest.approx(want, abs=1e-9)
        assert float(cw.metrics[0].module(p, t)) == pytest.approx(want, abs=1e-9)  # the clean side from the cache
        assert cw.score(p, t)["cw_ssim"] == pytest.approx(want, abs=1e-6)  # a row's float32
        assert cw.score(t, t)["cw_ssim"] == pytest.approx(1.0, abs=1e-12)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from PIL import Image

    from benchmark.data import DataSpec

    d = tmp_path_factory.mktemp("tiny")
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(d / f"im{i}.png")
    return DataSpec(str(d))


def _checkpoint(path):
    from benchmark.backbones import Backbone

    torch.save(Backbone("vgg16", ("relu2_2",), weights="random", seed=3).net.state_dict(), path)
    return path


def test_the_sha256_of_every_weights_file_a_loss_read_is_listed(tmp_path):
    """A file with no published hash (SimCLR converted, DINO, CONTRIQUE, DISTS α/β, lpips' heads) or a checkpoint named
    inside a loss spec is not in the run's id: another file put at its place later was used with nothing to tell
    which file a stored run read. :func:`benchmark.weights.files_sha256` names each file a loss read and its content."""
    from benchmark.lossfn import build_loss
    from benchmark.weights import file_sha256, files_sha256, get_file

    ckpt = _checkpoint(tmp_path / "enc.pt")
    head = get_file("lpips:alex:v0.1").path
    assert files_sha256(build_loss("l1 + 0.1*lpips(weights='random')")) == {"lpips:alex:v0.1": file_sha256(head)}
    assert files_sha256(build_loss("l1")) == {}
    assert files_sha256(build_loss(f"vgg(weights='{ckpt}')")) == {str(ckpt.resolve()): file_sha256(ckpt)}


def test_each_run_records_the_sha256_of_every_weights_file_its_loss_read(tmp_path, tiny_data, one_thread):
    """meta.json's ``weights_sha256``: each file the run's loss read and its content; the run's id unchanged."""
    from benchmark.config import RunConfig, run_id
    from benchmark.results import ResultsStore
    from benchmark.runner import resolve_all, run_grid
    from benchmark.weights import file_sha256

    ckpt = _checkpoint(tmp_path / "enc.pt")
    spec = f"0.5*vgg(weights='{ckpt}') + l1"
    cfg = resolve_all([RunConfig(task="denoise", loss=spec, iterations=2, batch_size=2, crop=32,
                                 train_data=tiny_data, test_data=(tiny_data,))])[0]
    rid = run_id(cfg)
    store = ResultsStore(tmp_path / "r")
    run_grid([cfg], store, ("psnr_y",), torch.device("cpu"), progress=False)
    assert store.meta(rid)["weights_sha256"] == {str(ckpt.resolve()): file_sha256(ckpt)}
    assert run_id(cfg) == rid


def test_vif_of_a_flat_reference_is_undefined_not_the_metrics_worst(caplog):
    """VIF = information kept / information in the reference: 0/0 for a flat reference, which pyiqa (den + 1e-12)
    scored 0 — the worst score, for a perfect restoration too — on every run alike. NaN, left out of the means and
    named; every other reference keeps pyiqa's score (VIF(x, x) = 1)."""
    import pyiqa

    from benchmark.runner import coverage

    vif = MetricSet(["vif"])
    flat = torch.full((1, 3, 48, 48), 0.5)
    tex = torch.rand(1, 3, 48, 48, generator=torch.Generator().manual_seed(0))
    near = flat.clone()
    near[..., 20:24, 20:24] += 2 / 255
    assert np.isnan(vif.score(flat, flat)["vif"]) and np.isnan(vif.score(tex, flat)["vif"])
    assert "one grey level" in caplog.text
    ref = pyiqa.create_metric("vif", as_loss=False)
    for p, t in ((tex, tex), (flat, tex), (flat, near), ((tex + near) / 2, near)):
        assert vif.score(p, t)["vif"] == pytest.approx(float(ref(p, t)), abs=1e-6)
    assert vif.score(tex, tex)["vif"] == pytest.approx(1.0, abs=1e-5)
    from types import SimpleNamespace

    seen = [(SimpleNamespace(dataset="d", image="flat"), vif.score(flat, flat)),
            (SimpleNamespace(dataset="d", image="tex"), vif.score(tex, tex))]
    assert "not finite on: d/flat" in coverage(seen, vif)[2]["vif"]


def test_a_learned_metrics_cached_files_are_hashed_so_another_file_there_is_scored_again(tmp_path, monkeypatch):
    """torch.hub and pyiqa check a hash on download only; DISTS' α/β and CONTRIQUE's file publish none. Another file
    put at a cached one's place scored new runs while every stored run kept its scores from the old one, one column
    holding two models' numbers. Each pass now records the files' SHA-256 (``metric_sha256``), which the store's
    stale check reads (ResultsStore.stale_metrics, tests/test_probe_metricid12.py)."""
    from benchmark.metrics import weights_digest
    from benchmark.results import current_digests
    from benchmark.weights import file_sha256, get_file

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    trunk, ab, cq = (get_file(k).path for k in ("vgg16:IMAGENET1K_V1", "dists:alpha_beta", "resnet50:contrique"))
    assert weights_digest("dists") == "" and weights_digest("contrique_fr") == ""  # not there: skipped, no digest
    for path, data in ((trunk, b"vgg"), (ab, b"alpha beta"), (cq, b"contrique")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    before = current_digests(["psnr", "dists", "contrique_fr", "ssim"])
    assert set(before) == {"dists", "contrique_fr"} and before["contrique_fr"] == file_sha256(cq)
    ab.write_bytes(b"other alpha beta")
    assert weights_digest("dists") not in ("", before["dists"])
    assert weights_digest("contrique_fr") == before["contrique_fr"]


def test_vif_keeps_the_clean_sides_pyramid_and_equals_pyiqa_to_the_bit(set5):
    """vif built both pyramids and the reference's GSM parameters for every run's output against the same clean
    image; the clean side is kept per image now (a quarter of vif's CPU time on a 512² image), the same bits."""
    import pyiqa

    ref = pyiqa.create_metric("vif", as_loss=False)
    vif = MetricSet(["vif"]).metrics[0].module
    t = _photo(set5, "butterfly.png", 128).float()
    for s in (1, 2):
        p = (t + 0.03 * s * torch.randn(t.shape, generator=torch.Generator().manual_seed(s))).clamp(0, 1)
        assert torch.equal(vif(p, t), ref(p, t))
    assert len(vif.refs.entries) == 1


def test_the_weights_sha256_is_of_the_file_as_loaded_not_as_found_later(tmp_path):
    """Hashed as the loss loads it: a checkpoint replaced (or removed) while the run trains is not recorded as the
    file it read, and writing meta.json never fails on a file gone."""
    from benchmark.lossfn import build_loss
    from benchmark.weights import file_sha256, files_sha256

    ckpt = _checkpoint(tmp_path / "enc.pt")
    digest = file_sha256(ckpt)
    loss = build_loss(f"vgg(weights='{ckpt}')")
    ckpt.unlink()
    assert files_sha256(loss) == {str(ckpt.resolve()): digest}


def test_vif_warns_once_per_flat_reference_not_once_per_run(caplog):
    """Review of 00a4c3c: the warning that a flat reference scores NaN was repeated for every run scored against it
    (a grid of 200 runs: 200 identical lines, while the coverage note already names the image) → once per reference
    image per process; another flat image is named again."""
    import logging

    vif = MetricSet(["vif"])
    flat, other = torch.full((1, 3, 48, 48), 0.5), torch.full((1, 3, 48, 48), 0.25)
    g = torch.Generator().manual_seed(0)
    with caplog.at_level(logging.WARNING, logger="benchmark.fastiqa"):
        for _ in range(3):  # three runs' outputs against the same clean image
            assert np.isnan(vif.score(torch.rand(1, 3, 48, 48, generator=g), flat)["vif"])
        assert np.isnan(vif.score(flat, other)["vif"])
    said = [r.getMessage() for r in caplog.records if "one grey level" in r.getMessage()]
    assert len(said) == 2, said


def test_fsim_of_a_flat_reference_is_undefined_not_rounding_noise(caplog, set5):
    """Review (the category of 00a4c3c): FSIM weights its similarity map by the phase congruency of either image, and
    a flat image has none (the authors' MATLAB: 0/0, NaN); pyiqa's eps/eps made it rounding noise, so an output a
    1e-5 off a flat reference scored 0.49 at 64² and 0.89 at 176² (1.0 when exact) → NaN, said once, left out of the
    means and named by the coverage note like vif's; every other reference keeps pyiqa's score to the bit."""
    import logging

    import pyiqa

    fsim = MetricSet(["fsim"]).metrics[0].module
    g = torch.Generator().manual_seed(0)
    for side in (64, 176):
        flat = torch.full((1, 3, side, side), 0.5)
        with caplog.at_level(logging.WARNING, logger="benchmark.fastiqa"):
            for pred in (flat, (flat + 1e-5 * torch.randn(flat.shape, generator=g)).clamp(0, 1)):
                assert torch.isnan(fsim(pred, flat)).all()
    assert sum("fsim" in r.getMessage() and "one grey level" in r.getMessage() for r in caplog.records) == 2
    ref = pyiqa.create_metric("fsim", as_loss=False)
    t = _photo(set5, "bird.png", 64).float()
    two = torch.cat([t, torch.full_like(t, 0.5)])
    for p, tt in ((torch.full_like(t, 0.5), t), (t.flip(-1), t), (two.flip(0), two)):
        want = ref(p, tt)
        got = fsim(p, tt)
        if tt.shape[0] == 2:
            assert torch.equal(got[:1], want[:1]) and torch.isnan(got[1])
        else:
            assert torch.equal(got, want)
