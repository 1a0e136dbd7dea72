"""Defects of compare's labels, file names and messages (review of journey 6), each with a test that
failed before its fix."""

from __future__ import annotations

import pytest


def _edited_store(root, tasks=("denoise", "sr4")):
    """A field (l1) and `mine`, a loss file edited after a compare on denoise: denoise holds runs of its
    old text (v1+0ld) and new text (v1+n3w), the other tasks the new text only; returns (store, the run
    ids of the new text)."""
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    current = set()
    for rid, meta, rows in synthetic_runs(tasks=tasks, offsets={"l1": 0.0, "mine": 1.0, "mine_old": -1.0},
                                          seeds=(0, 1), metrics=("psnr",), n_images=4, budget_check=False):
        loss = (meta.get("config") or {}).get("loss")
        task = (meta.get("config") or {}).get("task")
        if loss == "mine_old" and task != "denoise":
            continue
        if loss in ("mine", "mine_old"):
            version = "mine=1+" + ("0ld" if loss == "mine_old" else "n3w")
            meta["config"]["loss"] = "mine"
            meta["loss_versions"] = {"mine": version.split("=")[1]}
            rows = [{**r, "loss": "mine", "loss_version": version} for r in rows]
            if loss == "mine":
                current.add(rid)
        store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    return store, current


def test_compare_labels_a_loss_as_the_leaderboard_does_on_every_task(tmp_path):
    """Was: compare worked out version labels one task at a time: after an edit of the loss file, sr4
    (which holds only the new text) said `mine` where the leaderboard, labelling over the whole table,
    said `mine (v1+n3w)`. One loss now carries one label in every output of one store."""
    from benchmark.compare import _summary
    from benchmark.stats import labels

    store, current = _edited_store(tmp_path / "r")
    table = store.table()
    board = set(labels(table)[table["task"] == "sr4"])
    assert "mine (v1+n3w)" in board, board
    chosen = {t: [m for m in store.metas() if (m.get("config") or {}).get("task") == t] for t in ("denoise", "sr4")}
    text, _ = _summary(store, chosen, ["mine"], {"denoise": [], "sr4": []}, 0.05, 20, "l1", ("png",), current)
    sr4 = text.split("## sr4", 1)[1]
    assert "**mine (v1+n3w)**" in sr4 and "**mine**" not in sr4, sr4


def test_compare_removes_its_file_written_under_the_name_of_before_hashing(tmp_path):
    """Was: compare files written under the old (unhashed) name (`compare/mine_w_0.5.md` and its
    figures) stayed beside the new hashed ones: two files for one comparison. The old one goes — only
    when its first line is this comparison's, so a file of another spec (or no file of plbench's) stays."""
    from benchmark.compare import _safe, prune_unhashed

    d = tmp_path / "compare"
    d.mkdir()
    spec = "mine(w=0.5)"
    old = d / "mine_w_0.5.md"
    old.write_text("# Where `mine(w=0.5)` lands\n\n![perception–distortion](mine_w_0.5_sr4_pd_plane.png)\n")
    figs = [d / "mine_w_0.5_sr4_pd_plane.png", d / "mine_w_0.5_sr4_pd_plane.pdf"]
    other = [d / "mine_w_0.5_x_sr4_pd_plane.png", d / "notes.md"]  # another comparison's figure, a user's file
    for p in figs + other:
        p.write_text("x")
    new = d / f"{_safe(spec)}.md"
    new.write_text("# Where `mine(w=0.5)` lands\n")
    removed = prune_unhashed(d, [spec])
    assert sorted(removed) == sorted([old, *figs]) and not any(p.exists() for p in removed), removed
    assert new.exists() and all(p.exists() for p in other)
    # a file under that name written for another spec (`mine(w=0 5)` had the same old name) stays
    old.write_text("# Where `mine(w=0 5)` lands\n")
    assert prune_unhashed(d, [spec]) == [] and old.exists()
    assert prune_unhashed(d, ["l1"]) == []  # a name that never changed: nothing to prune


_W_LOSS = ("import torch\nfrom benchmark.registry import register_loss\n\n"
           "@register_loss('fix_labels_w')\nclass J(torch.nn.Module):\n    \"\"\"w · L1.\"\"\"\n"
           "    def __init__(self, w: float = 1.0):\n        super().__init__()\n        self.w = w\n\n"
           "    def forward(self, pred, target):\n        return self.w * (pred - target).abs().mean()\n")


@pytest.mark.parametrize("spec,said", [
    ("charbonnier(epss=1)", "loss 'charbonnier' has no argument 'epss'; did you mean eps? (it takes: eps)"),
    ("fix_labels_w(0.5)", "'fix_labels_w(0.5)': arguments must be name=value, e.g. fix_labels_w(w=...)"),
    ("fix_labels_w(w=1e400)", "'fix_labels_w(w=1e400)': argument w=1e400 of 'fix_labels_w' is not a finite number"),
])
@pytest.mark.parametrize("command", ["compare", "run"])
def test_compare_and_run_say_one_message_for_a_bad_loss_argument_as_typed(tmp_path, capsys, spec, said, command):
    """Was: `compare --loss 'charbonnier(epss=1)'` went on (to Python's "unexpected keyword argument" once it
    built the loss) where `run` said "has no argument 'epss' (it takes: eps)"; `my_loss(0.5)` was a generic
    "cannot parse"; `my_loss(w=1e400)` was "my_loss(w=inf): arguments must be literals", a spec nobody typed.
    Both commands now say one line, through one check, echoing what was typed."""
    from benchmark.cli import main
    from benchmark.registry import LOSSES
    from benchmark.synthetic import write_store

    write_store(tmp_path / "r", offsets={"l1": 0.0}, seeds=(0,), metrics=("psnr",), n_images=2, budget_check=False)
    f = tmp_path / "fix_labels_w.py"
    f.write_text(_W_LOSS)
    argv = (["compare", "--loss", spec, "--no-visual"] if command == "compare" else
            ["run", "--losses", spec, "--iterations", "2", "--no-budget-check", "--tasks", "denoise"])
    try:
        code = main([*argv, "--loss-file", str(f), "--out", str(tmp_path / command)] if command == "run" else
                    [*argv, "--loss-file", str(f), "--out", str(tmp_path / "r")])
    finally:
        LOSSES.remove("fix_labels_w")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err and said in err[-1], err
    assert "unexpected keyword" not in err[-1] and "inf" not in err[-1], err


def test_the_missing_loss_file_message_counts_runs_not_budget_checks(tmp_path, capsys):
    """Was: "holds N runs of it" counted each run's budget check (the same run at half its iterations) as
    a run: 2 runs were "4 runs". Only real runs are counted."""
    from benchmark.cli import main
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(tmp_path / "r")
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "my_loss": 1.0}, seeds=(0, 1), metrics=("psnr",),
                                          n_images=2, budget_check=True):
        if (meta.get("config") or {}).get("loss") == "my_loss":
            meta["loss_versions"] = {"my_loss": "1+0123456789ab"}
            meta["loss_files"] = {"my_loss": "/elsewhere/mine.py"}
            rows = [{**r, "loss_version": "my_loss=1+0123456789ab"} for r in rows]
        store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    assert main(["compare", "--loss", "my_loss", "--no-visual", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert "holds 2 runs of it" in err and "--loss-file /elsewhere/mine.py" in err, err
