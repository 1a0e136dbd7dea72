"""Review of session 25's data and store commits (probe-data, probe-store)."""
from __future__ import annotations


def test_check_does_not_call_a_run_stopped_under_an_older_numbers_code_a_copy_of_another_run_s(
        tmp_path, capsys, monkeypatch):
    """424d5316's check of whom a checkpoint was written for recomputes the run id of its recorded config under today's
    code (CODE_VERSION is in the id). A run stopped by a plbench of another numbers code (an older ``+cN``: no
    command of this code resumes it, nor trains its id) was named 'was written for run X, not this one (a file copied
    from that run's folder …)', exit 1, and --repair set its own checkpoint aside. Its checkpoint is its own: whose it
    is is not known to this code, so it is not named (the run counted unfinished, as before 424d5316)."""
    from test_probe_store24 import _small
    from test_probe_store25 import _save_checkpoint

    import benchmark.config as config
    from benchmark.cli import main
    from benchmark.config import RunConfig, run_id

    store = _small(tmp_path / "res")
    cfg = RunConfig(task="denoise", loss="l1", seed=5, iterations=8)
    with monkeypatch.context() as m:  # the older plbench that started and stopped it
        m.setattr(config, "CODE_VERSION", "0")
        rid = run_id(cfg)
        path = _save_checkpoint(store.run_dir(rid) / "ckpt.pt", cfg)
    assert rid != run_id(cfg)
    capsys.readouterr()
    code = main(["check", "--out", str(store.root)])
    said = capsys.readouterr()
    assert code == 0 and "written for run" not in said.out + said.err, said.out + said.err
    assert main(["check", "--out", str(store.root), "--repair"]) == 0 and path.is_file()
