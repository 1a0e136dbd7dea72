"""Probe of the metrics zoo (follow-up of zoo14), session 14: defects found, each with its test."""

from __future__ import annotations

from pathlib import Path

import huggingface_hub.file_download  # noqa: F401 - imported at collection, not in a test's time (no_downloads)
import pytest
import safetensors.torch  # noqa: F401 - likewise (files_read imports its readers once a process)
import scipy.io  # noqa: F401 - likewise (a second)
import torch  # noqa: F401 - likewise

import benchmark.fastiqa  # noqa: F401 - likewise
import benchmark.golden  # noqa: F401 - likewise
import benchmark.results  # noqa: F401 - likewise (pandas)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_a_metrics_code_tag_is_written_where_the_metric_is_defined(tmp_path):
    """metric_code.CODE_VERSIONS was a second place to edit when a metric's code changed its numbers → the tag is
    the @code_version decorator on the class that computes the metric, read from the source (no torch) by
    metric_code, so the class and the readers' table cannot disagree."""
    from benchmark import metric_code
    from benchmark.fastiqa import CachedFSIM, CachedVSI, DefinedGMSD, DefinedMAD

    assert metric_code.CODE_VERSIONS == {"mad": DefinedMAD.code_version, "gmsd": DefinedGMSD.code_version,
                                         "fsim": CachedFSIM.code_version, "vsi": CachedVSI.code_version}
    assert DefinedMAD.code_version not in Path(metric_code.__file__).read_text(encoding="utf-8")  # one place
    (tmp_path / "probe_metric.py").write_text(
        "from benchmark.metric_code import code_version\n\n\n"
        "@code_version('probe_m', 'probe 2: a fix')\nclass ProbeM:\n    pass\n")
    assert metric_code.declared_code_versions(tmp_path) == {"probe_m": "probe 2: a fix"}
    (tmp_path / "twice.py").write_text("@code_version('probe_m', 'probe 3')\nclass Other:\n    pass\n")
    with pytest.raises(ValueError, match="probe_m.*two @code_version"):
        metric_code.declared_code_versions(tmp_path)
    assert metric_code.tagged("mad") and not metric_code.tagged("psnr_y@shave4")


def test_a_metric_whose_numbers_move_without_a_new_tag_fails_the_golden_numbers(monkeypatch):
    """Nothing failed when a metric's numbers changed and its code kept its tag (stored scores of the old code then
    stand for today's, never re-scored) → golden numbers ``metric:<name>`` for every metric the harness computes
    by its own code, versioned by its tag: moved numbers at an unchanged tag fail tests/test_golden.py (which runs
    every entry of golden.entries(), these included)."""
    from benchmark import golden
    from benchmark.metric_code import CODE_VERSIONS
    from benchmark.metrics import FAST, PaperPSNRY

    own, stored = golden.own_metrics(), golden.load()
    assert set(FAST) | {"psnr_y", "ssim_y", "psnrb_y", "psnr_rgb"} <= set(own) and "contrique_fr" not in own
    assert all(stored[f"metric:{m}"]["version"] == golden.metric_version(m) for m in own)
    assert golden.metric_version("mad") == CODE_VERSIONS["mad"] and golden.metric_version("psnr_y") == "1"
    assert golden.problem("metric:psnr_y", "1", golden.metric_numbers("psnr_y"), stored) is None
    real = PaperPSNRY.score
    monkeypatch.setattr(PaperPSNRY, "score", staticmethod(lambda x, y: real(x, y) * 1.001))
    msg = golden.problem("metric:psnr_y", "1", golden.metric_numbers("psnr_y"), stored)
    assert msg is not None and "numbers moved at unchanged version" in msg and "@code_version" in msg


def test_a_metric_reading_its_weights_through_transformers_safe_open_has_them_hashed(tmp_path, monkeypatch):
    """transformers' from_pretrained (fgresq's CLIP) reads a .safetensors through ``safe_open``, imported by name in
    transformers.modeling_utils: files_read patched module attributes alone, so the file was never hashed — another
    file put in the hub cache scored new runs beside the old file's scores in one column → every binding of a reader
    is patched (and a module imported meanwhile gets the real one back): the metric's digest is the file's."""
    import sys
    import types

    from safetensors.torch import save_file

    from benchmark.metrics import files_read, open_metric, weights_digest
    from benchmark.weights import file_sha256

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = tmp_path / "hf" / "model.safetensors"
    path.parent.mkdir()
    save_file({"w": torch.ones(3)}, str(path))
    (tmp_path / "probe_hf_reader.py").write_text(
        "from safetensors import safe_open\n\n\n"
        "def from_pretrained(path):\n"
        "    with safe_open(path, framework='pt') as f:\n"
        "        return {k: f.get_tensor(k) for k in f.keys()}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "probe_hf_reader", raising=False)
    import probe_hf_reader  # bound before files_read, as transformers' modeling_utils is

    def create_metric(name, device=None, as_loss=False):
        return types.SimpleNamespace(lower_better=False, metric_mode="NR",
                                     state=probe_hf_reader.from_pretrained(str(path)))

    monkeypatch.setitem(sys.modules, "pyiqa", types.SimpleNamespace(create_metric=create_metric))
    m, why = open_metric("probe_hf_iqa")
    assert m is not None and m.sha256 == file_sha256(path) == weights_digest("probe_hf_iqa"), why
    import safetensors

    assert probe_hf_reader.safe_open is safetensors.safe_open  # the real one back
    (tmp_path / "probe_hf_late.py").write_text("from safetensors import safe_open\n")
    monkeypatch.delitem(sys.modules, "probe_hf_late", raising=False)
    read = {}
    with files_read(read):
        import probe_hf_late  # imported meanwhile: binds the patched reader
    assert probe_hf_late.safe_open is safetensors.safe_open


def _remembered_brisque(tmp_path, monkeypatch):
    """A fresh torch hub dir where brisque was opened before and read one file (metric_files.json keeps it)."""
    from benchmark.weights import hub_dir, remember_metric_files

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = hub_dir() / "pyiqa" / "brisque_svm_weights.pth"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"svm")
    remember_metric_files("brisque", [str(path)])
    return path


def test_the_weights_listing_names_the_files_a_metric_outside_the_table_read(tmp_path, monkeypatch):
    """metric_weights_report said "unknown" for brisque, topiq, … though metric_files.json records the files each read
    when it was opened here (what every pass's digest hashes) → a row per recorded file, present or not; "unknown"
    is left for a metric never opened here."""
    from benchmark.weights import metric_weights_report, remembered_metrics

    path = _remembered_brisque(tmp_path, monkeypatch)
    assert remembered_metrics() == ["brisque"]
    rows = metric_weights_report(["brisque", "topiq_fr", "psnr"])
    assert [(r["metric"], r["needs"], r["file"], r["path"], r["present"]) for r in rows] == [
        ("brisque", "read", path.name, str(path), True), ("topiq_fr", "unknown", "", "", False),
        ("psnr", "none", "", "", True)]
    path.unlink()
    assert metric_weights_report(["brisque"])[0]["present"] is False


@pytest.mark.slow
def test_plbench_weights_lists_a_metric_opened_here_with_its_files(tmp_path, monkeypatch, capsys):
    """`plbench weights` listed the default metrics alone: brisque, scored by the user's grids, was not named, nor its
    file → listed after the defaults with its file, and a file gone is said with what brings it back."""
    from benchmark.cli import main

    path = _remembered_brisque(tmp_path, monkeypatch)
    assert main(["weights"]) == 0
    out = capsys.readouterr().out
    assert "and the files others read when opened here" in out
    assert any(line.split()[:3] == ["brisque", "present", path.name] for line in out.splitlines()), out
    path.unlink()
    main(["weights"])
    out = capsys.readouterr().out
    assert any(line.split()[:3] == ["brisque", "MISSING", path.name] for line in out.splitlines()), out
    assert f"{path.name}: read by brisque when it was last opened here, not there now" in out
