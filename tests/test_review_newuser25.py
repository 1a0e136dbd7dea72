"""Review 25 of a new user's path: the mends of probe-newuser's commits (tests/test_probe_newuser25.py)."""


def test_the_stopped_note_leaves_out_a_run_superseded_by_one_finished_under_another_id(tmp_path):
    """691e3b4f's note named every unfinished run with a ``ckpt.pt``, one whose config and code version finished
    since under another id (its ``--loss-file`` edited: check's 'superseded') too: 'not in these tables; the same
    `plbench run` resumes it', though the run of that config is in the tables and no command resumes the old one.
    Such a run is left out of the note (``plbench check`` names it); a run stopped and not superseded still named."""
    import json

    import torch

    from benchmark.ckptrecord import FORMAT
    from benchmark.report import stopped_lines
    from benchmark.results import ResultsStore
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), metrics=("psnr",), n_images=2,
                        budget_check=False)
    (meta,) = [m for m in store.metas() if m.get("config")]
    meta["code_version"] = "0.1.0+c1"  # as a run records it
    (store.run_dir(meta["run_id"]) / "meta.json").write_text(json.dumps(meta))
    store = ResultsStore(store.root)
    old = store.run_dir("0123456789abcdef")
    old.mkdir(parents=True)
    torch.save({"format": FORMAT, "fingerprint": {"config": meta["config"], "code_version": meta["code_version"]},
                "iteration": 5}, old / "ckpt.pt")
    assert stopped_lines(store) == []
    other = store.run_dir("fedcba9876543210")
    other.mkdir(parents=True)
    torch.save({"format": FORMAT, "fingerprint": {"config": {**meta["config"], "seed": 1},
                                                  "code_version": meta["code_version"]}, "iteration": 7},
               other / "ckpt.pt")
    (line,) = stopped_lines(store)
    assert line.startswith("1 run of this results directory stands stopped") and "seed 1, stopped at iteration 7" \
        in line, line
