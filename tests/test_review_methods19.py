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


def test_a_listed_variants_note_names_the_counted_one_as_the_rival_not_as_another():
    """Without ``vgg`` as registered, the listed variant's note said it was trained beside X, "another variant counted
    as the vgg rival" — X being that very variant, "another" read as a third arm. The note names X as the one counted,
    whatever order the store holds the arms in (the first by spec)."""
    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    vgg3, vgg23, pre = ("vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))", "vgg(layers=('relu2_2', 'relu3_3'))",
                        "vgg16:IMAGENET1K_V1")
    t = synthetic_table(offsets={"pdl": {"vsi": 0.8}, vgg23: {"vsi": 0.8}, vgg3: 0.0, "l2": 0.0},
                        weights={"pdl": pre, vgg3: pre, vgg23: pre}, tasks=("sr4",), metrics=("vsi",),
                        n_images=2, seeds=(0, 1))
    t = t.iloc[::-1].reset_index(drop=True)  # the store's order reversed: the variant counted does not follow it
    (r,) = check_all(t, ["delbracio2021_pdl"], n_boot=10)
    aside = [p for p in r.parts if p.b.startswith(vgg23)]
    counted = {p.b.split(" [")[0] for p in r.parts if p.counted and p.b.startswith("vgg(")}
    assert counted == {vgg3} and aside, [(p.b, p.counted) for p in r.parts]
    assert all(f"beside {vgg3}, the variant counted as the vgg rival" in p.note and "\n" not in p.note
               for p in aside), [p.note for p in aside]


def test_contrique_fr_scored_before_its_provenance_named_the_mean_is_not_stale(tmp_path):
    """f2fb9a9 appended '+mean_abs_diff(no_ridge_regressor)' to the weights each contrique_fr pass records, with no
    change of its numbers: a stored pass is re-scored only where the file it read differs (metric_sha256, or the
    sha256= prefix an older pass's provenance names), never for the provenance's wording — no silent recompute."""
    from benchmark.results import ResultsStore

    digest = "ab12cd34" + "0" * 56
    before = "resnet50:contrique(sha256=ab12cd34)+contrique_features(v2)"  # as passes recorded it before f2fb9a9
    recorded = {"scored": ["contrique_fr"], "metric_sha256": {"contrique_fr": digest},
                "metric_weights": {"contrique_fr": before}}
    older = {"scored": ["contrique_fr"], "metric_weights": {"contrique_fr": before}}  # before metric_sha256
    store = ResultsStore(tmp_path)
    assert store.stale_metrics("r", {"contrique_fr": digest}, [recorded]) == {}
    assert store.stale_metrics("r", {"contrique_fr": digest}, [older]) == {}
    assert store.stale_metrics("r", {"contrique_fr": "f" * 64}, [recorded]) == {"contrique_fr": digest}


def test_perf_checks_its_flags_before_timing_csrs_pretraining(monkeypatch, tmp_path, capsys):
    """72c0f74's refusal of csr(weights='pretrained') with no encoder cached times a few real pretraining steps
    (seconds on a loaded machine) and came before perf's checks of --net, --device, --task and --crop: a mistyped
    net paid that timing, then was told to pretrain an encoder, not that the net does not exist."""
    from benchmark import pretrain as P
    from benchmark.cli import main

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr("losses.csr._cached_encoder", lambda *a, **k: None)
    timed = []
    monkeypatch.setattr(P, "estimate_seconds", lambda cfg, **_: timed.append(cfg) or (600.0, 1.0))
    assert main(["perf", "--losses", "csr(weights='pretrained')", "--net", "unetx", "--reps", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unetx" in err and "pretrain" not in err and not timed, err
