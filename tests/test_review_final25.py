"""Final review of session 25: interactions between branches merged apart."""
from __future__ import annotations


def test_the_stopped_note_does_not_promise_a_resume_from_another_run_s_checkpoint(tmp_path):
    """691e3b4f's stopped-run note × 424d5316's foreign checkpoint: run B's folder holding run A's ckpt.pt (a file
    copied into the wrong folder) — which B's run ignores ('written for another configuration') and `plbench check`
    names as trained from iteration 0 — was named in the board's notes by A's task/loss/seed and iteration alone, among
    the runs the same `plbench run` 'resumes'. It says too that the checkpoint was written for another run and that B
    trains again from iteration 0, as check does."""
    from dataclasses import replace

    from test_probe_store25 import _save_checkpoint

    from benchmark.config import RunConfig, run_id
    from benchmark.report import stopped_lines
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), metrics=("psnr",), n_images=2,
                        budget_check=False)
    a = RunConfig(task="denoise", loss="l1", seed=5, iterations=8, batch_size=8)
    rb = run_id(replace(a, seed=6))
    _save_checkpoint(store.run_dir(rb) / "ckpt.pt", a)
    (line,) = stopped_lines(store)
    assert f"(run {rb}: its checkpoint was written for run {run_id(a)}, not this one (" in line, line
    assert "; it trains again from iteration 0, `plbench check --out" in line, line
    assert "resumes or retrains" in line, line


def test_a_finding_knows_an_alias_s_spelt_out_form_for_the_alias(monkeypatch):
    """c6845b42 × findings' is_loss: ``lpips(net='vgg')`` is ``lpips_vgg`` (one loss, merged into one board row under
    the spelling with most runs), but ``Results.is_loss`` first kept only the names the spec's terms call, so Ding's
    winners (dists, lpips, lpips_vgg, lpips_squeeze) and Liu's candidates (gpl, vgg, vgg_esrgan) missed the spelt-out
    form: a store whose runs read as ``lpips(net='vgg')`` lost its DISTS/LPIPS winner. It is the alias now, and the
    profiles' same-tap vgg baseline is still told apart from vgg_esrgan without the loss identity (no torch)."""
    import test_mend_find17

    from benchmark.config import FINDING_BASELINES
    from benchmark.findings import Results
    from benchmark.synthetic import synthetic_table

    res = Results(synthetic_table(offsets={"l2": 0.0}, tasks=("sr4",), metrics=("psnr",), n_images=2, seeds=(0,)))
    assert res.is_loss("lpips(net='vgg')", "dists", "lpips", "lpips_vgg", "lpips_squeeze")
    assert res.is_loss("lpips(net='squeeze')", "lpips_squeeze")
    assert res.is_loss("vgg(arch='vgg19', layers=('conv5_4',), criterion='l1')", "gpl", "vgg", "vgg_esrgan")
    assert not res.is_loss("lpips(net='vgg')", "lpips_squeeze")
    fresh = Results(synthetic_table(offsets={"l2": 0.0}, tasks=("sr4",), metrics=("psnr",), n_images=2, seeds=(0,)))
    asked = test_mend_find17._no_identity(monkeypatch)
    for spec in FINDING_BASELINES:  # vgg(layers=(…)): another loss than vgg_esrgan, known from the specs
        assert fresh.is_loss(spec, "gpl", "vgg", "vgg_esrgan") is False
    assert asked == []
