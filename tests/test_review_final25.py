"""Final review of session 25: interactions between branches merged apart."""
from __future__ import annotations


def test_the_stopped_note_does_not_promise_a_resume_from_another_run_s_checkpoint(tmp_path):
    """691e3b4f's stopped-run note × 424d5316's foreign checkpoint: run B's folder holding run A's ckpt.pt (a file
    copied into the wrong folder) — which B's run ignores ('written for another configuration') and `plbench check`
    names as trained from iteration 0 — was named in the board's notes by A's task/loss/seed and iteration, among
    the runs the same `plbench run` 'resumes'. It says the checkpoint was written for another run and that B trains
    again from iteration 0, as check does."""
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
    assert f"run {rb}, its checkpoint was written for run {run_id(a)}, not this one (" in line, line
    assert "): it trains again from iteration 0 (`plbench check --out" in line, line
    assert "seed 5" not in line and "stopped at iteration" not in line, line
    assert "resumes or retrains" in line, line
