"""Review of the store session 14: a comparison's loss file whose losses --loss leaves out, the store read only at
its write points."""
from __future__ import annotations

import logging

import pytest

import benchmark.compare  # noqa: F401 - imported once at collection (pandas, the store): no test here pays it
import benchmark.config  # noqa: F401
import benchmark.report  # noqa: F401
import benchmark.runner  # noqa: F401
import benchmark.synthetic  # noqa: F401


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 3, "metrics": ("psnr",),
          "budget_check": False, **kw}
    store = write_store(root, **kw)
    for rid in store.run_ids():
        store.note_finished(rid, store.meta(rid))
    return store


def test_compare_says_in_one_line_that_a_loss_files_loss_not_named_by_loss_is_not_compared(tmp_path, caplog):
    """``plbench compare --loss-file bad3.py --loss l1`` compares l1 alone (as ``plbench run --losses l1 --loss-file
    bad3.py`` trains l1 alone), but said nothing of bad3, which the user passed the file to compare: ``run`` warns
    in one line that the file's loss is not trained and how to train it; compare now says it the same way."""
    from benchmark.compare import compare
    from benchmark.errors import UserError

    store = _small(tmp_path / "r")
    f = tmp_path / "bad3_review.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n\n"
                 "@register_loss('bad3_review')\nclass Bad3(torch.nn.Module):\n"
                 "    def forward(self, pred, target):\n        return (pred - target).abs().mean()\n")
    with caplog.at_level(logging.WARNING, logger="benchmark.compare"), pytest.raises(UserError, match="no-such-task"):
        compare(store.root, loss_files=[str(f)], losses=["l1"], tasks=["no-such-task"])  # stops before any work
    (line,) = [r.getMessage() for r in caplog.records if "bad3_review" in r.getMessage()]
    assert "does not train" in line and "add bad3_review" in line and "\n" not in line, line


def test_the_file_standing_for_todays_is_named_with_its_date(tmp_path, monkeypatch):
    """On a machine without a metric's file (a store copied to a laptop to publish its plots), the newest scoring's
    file stands for today's (2abd987): the line said its digest alone. The newest scoring may be a user's trial file,
    so the line (the log's and the leaderboard's notes') says which file stood in, when it scored, and that a report
    on a machine with today's file keeps that file's scores instead."""
    import json

    import benchmark.metrics
    from benchmark.results import stale_lines

    store = _small(tmp_path / "r", metrics=("psnr", "ssim"))
    old = next(r for r in store.run_ids() if not r.startswith("input-"))
    for d in store.runs.iterdir():  # ssim scored with file a… by one run (its net.pt gone), later with b… by the rest
        p = d / "eval-0.json"
        rec = json.loads(p.read_text())
        rec["metric_sha256"] = {"ssim": ("a" if d.name == old else "b") * 64}
        rec["written"] = 1.7e9 if d.name == old else 1.765e9  # 2023-11-14, 2025-12-06 05:46 UTC
        p.write_text(json.dumps(rec))
    monkeypatch.setattr(benchmark.metrics, "weights_digest", lambda n: "")  # no file here to hash
    store.table()  # as every report reads it: its notes carry stale_lines (write_report: 17 s, checked by hand)
    line = stale_lines(store)["ssim"]
    assert "2025-12-06 05:46 UTC" in line and "stands for it" in line, line
    assert "machine with today's file keeps" in line, line


def test_a_gone_run_that_cannot_be_noted_is_said_to_be_named_again(tmp_path, monkeypatch, caplog):
    """A report that named a gone run notes it in finished.log so it is named once; where that file cannot be written
    (another user's file, a read-only copy) the warning said 'a run folder deleted before the next report may go
    unnamed' — the opposite of what follows: the run is named again by the next check and report."""
    import errno
    import os

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    for p in store.run_dir(rid).iterdir():
        p.unlink()
    store.run_dir(rid).rmdir()
    real = os.open

    def denied(path, flags, *a, **k):
        if str(path).endswith("finished.log") and flags & os.O_WRONLY:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", denied)
    with caplog.at_level(logging.WARNING, logger="benchmark.results"):
        store.forget_gone([rid])
    (line,) = [r.getMessage() for r in caplog.records if "finished.log" in r.getMessage()]
    assert "named again by the next check and report" in line and "unnamed" not in line, line
    assert list(store.gone()) == [rid]  # nothing lost: still named


def test_a_run_cut_short_by_a_copy_is_told_to_have_its_files_put_back_not_its_folder(tmp_path, capsys):
    """A finished run whose folder holds none of its results (an rsync cut short: curve.csv and tb/ there) is named
    as gone (5d421c9), with the deleted folder's way forward: 'put the folder back' — the folder is there; its files
    are what to copy again (or the same ``plbench run`` retrains it)."""
    from benchmark.cli import main
    from benchmark.report import gone_lines

    store = _small(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    d = store.run_dir(rid)
    for p in d.iterdir():
        p.unlink()
    (d / "curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.5,0.002\n")
    assert main(["check", "--out", str(store.root)]) == 1
    (line,) = [x for x in capsys.readouterr().out.splitlines() if rid in x]
    assert "put its files back, or the same `plbench run` retrains it" in line, line
    (line,) = gone_lines(store)
    assert "put its files back" in line, line


def test_a_grid_naming_a_missing_metric_checkpoint_is_refused_before_any_training(tmp_path, monkeypatch, capsys):
    """90577f9 dropped the runner's own map of each metric's file (runner.weights_digests, which raised for a
    ``contrique_fr@<checkpoint>`` not there): a missing checkpoint is now refused where the metric is opened. That is
    still one line before anything is trained or written — not a grid that trains for hours, then fails scoring."""
    import benchmark.runner
    from benchmark.cli import main

    def trained(*a, **k):
        raise AssertionError("trained or scored before the missing checkpoint was refused")

    monkeypatch.setattr(benchmark.runner, "_run_one", trained)
    monkeypatch.setattr(benchmark.runner, "_score_input", trained)
    out = tmp_path / "out"
    assert main(["run", "--losses", "l1", "--metrics", "psnr", f"contrique_fr@{tmp_path / 'gone.pt'}", "--out",
                 str(out), "--tasks", "denoise", "--seeds", "0", "--no-budget-check", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no checkpoint" in err[0] and "gone.pt" in err[0], err
    assert not out.exists()
