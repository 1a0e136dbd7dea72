"""Probe of the metrics zoo (follow-up of zoo14), session 14: defects found, each with its test."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch  # noqa: F401 - at collection, not in a test's time

import benchmark.fastiqa  # noqa: F401 - likewise
import benchmark.golden  # noqa: F401 - likewise

pytestmark = pytest.mark.usefixtures("one_thread")


def test_a_metrics_code_tag_is_written_where_the_metric_is_defined(tmp_path):
    """metric_code.CODE_VERSIONS was a second place to edit when a metric's code changed its numbers → the tag is
    the @code_version decorator on the class that computes the metric, read from the source (no torch) by
    metric_code, so the class and the readers' table cannot disagree."""
    from benchmark import metric_code
    from benchmark.fastiqa import DefinedMAD

    assert metric_code.CODE_VERSIONS == {"mad": DefinedMAD.code_version}
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
