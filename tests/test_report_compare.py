"""`compare` on a tiny cached field trains only the new loss, with the field's exact settings."""

from __future__ import annotations

import json

import pytest

from benchmark.cli import main
from benchmark.errors import UserError

FIELD = ["--tasks", "denoise", "--losses", "l1", "ssim", "--iterations", "2", "--crop", "32", "--batch-size", "2",
         "--metrics", "psnr", "ssim", "gmsd", "--device", "cpu", "--no-progress", "-q", "--no-report"]
FAST = ["--device", "cpu", "--no-progress", "-q", "--no-visual", "--formats", "png", "--bootstrap", "100"]
LOSS = ("import torch\nfrom benchmark.registry import register_loss\n\n"
        "@register_loss('cmp_user_huber', citation='test')\nclass H(torch.nn.Module):\n"
        "    '''Huber'''\n    def forward(self, p, t):\n"
        "        return torch.nn.functional.smooth_l1_loss(p, t, beta=0.05)\n")


@pytest.fixture
def loss_file(tmp_path):
    f = tmp_path / "my_loss.py"
    f.write_text(LOSS + f"# {tmp_path.name}\n")  # unique content: load_user_file caches modules by file hash
    yield f
    from benchmark.registry import LOSSES

    LOSSES.remove("cmp_user_huber")


def _metas(out):
    return {p.parent.name: json.loads(p.read_text()) for p in (out / "runs").glob("*/meta.json")}


def test_field_groups_split_settings_and_code_versions():
    from benchmark.compare import _diff, field_groups

    def meta(loss, it=2, code="0.1.0+c1", status="ok"):
        return {"run_id": f"{loss}{it}{code}", "status": status, "code_version": code,
                "config": {"task": "denoise", "loss": loss, "seed": 0, "iterations": it, "net": "tiny"}}

    metas = [meta("l1"), meta("ssim"), meta("l2", it=5), meta("charbonnier", code="0.0.1+c0"),
             meta("new"), meta("bad", status="failed"), {"run_id": "input-x", "kind": "input", "status": "ok"}]
    groups = field_groups(metas, exclude={"new"})[0]["denoise"]
    assert [sorted(m["config"]["loss"] for m in g) for g in groups] == [["l1", "ssim"], ["l2"], ["charbonnier"]]
    assert _diff(groups[1][0]["config"], groups[0][0]["config"]) == "iterations: 5 vs 2"


def test_config_rebuilt_from_meta_is_identical():
    from benchmark.compare import _config_from
    from benchmark.config import RunConfig, resolve, run_id, setting
    from benchmark.runner import DataCache

    data = DataCache()
    cfg = resolve(RunConfig(task="denoise", loss="l1", seed=3, task_params=(("sigma", 0.1),), iterations=7, crop=32),
                  data)
    meta = {"config": cfg.to_dict(), "setting": setting(cfg)}
    again = _config_from(meta, "l1", 3, data, "cpu")
    assert again == cfg and run_id(again) == run_id(cfg)
    with pytest.raises(UserError, match="trained on cpu"):
        _config_from(meta, "l1", 3, data, "cuda")
    changed = dict(meta, setting=dict(meta["setting"], iterations=8))
    with pytest.raises(UserError, match="iterations"):
        _config_from(changed, "l1", 3, data, "cpu")
    # the field's test images changed since it was scored: re-planning cannot help, so say what can
    moved = dict(meta, config=dict(meta["config"], test_fingerprint="0123456789ab"))
    with pytest.raises(UserError, match="is not what the field of task 'denoise' was scored on .*restore that data"):
        _config_from(moved, "l1", 3, data, "cpu")


@pytest.mark.slow
def test_compare_trains_only_the_new_loss(tmp_path, loss_file, capsys):
    out = tmp_path / "r"
    assert main([*FIELD, "--out", str(out)]) == 0
    before = {p: p.stat().st_mtime_ns for p in (out / "runs").rglob("*") if p.is_file()}
    field = _metas(out)
    assert main(["compare", "--loss-file", str(loss_file), "--out", str(out), *FAST]) == 0
    text = capsys.readouterr().out
    after = _metas(out)
    new = {k: v for k, v in after.items() if k not in field}
    # the field has budget checks (the same run at half the iterations), so the new loss gets its run and its check
    assert len(new) == 2 and {v["config"]["loss"] for v in new.values()} == {"cmp_user_huber"}
    assert {p: p.stat().st_mtime_ns for p in before} == before  # nothing of the field retrained or rewritten

    def rest(c):  # a config without its loss, comparable across losses
        return tuple(sorted((k, str(v)) for k, v in c.items() if k != "loss"))

    ref = {rest(m["config"]) for m in field.values() if (m.get("config") or {}).get("loss") == "l1"}
    assert {rest(v["config"]) for v in new.values()} == ref  # exactly the field's settings, run and check
    assert "# Where `cmp_user_huber` lands" in text and "mean rank" in text and "Perception–distortion" in text
    # the field's costs were timed when it ran, the new loss's now: a side-by-side timing is named
    assert "timed when each loss ran" in text and "`plbench perf --losses cmp_user_huber l1 --loss-file " in text
    assert (out / "compare" / "cmp_user_huber.md").exists()
    assert "cmp_user_huber" in (out / "leaderboard.md").read_text()


@pytest.mark.slow
def test_compare_says_when_the_field_is_mixed(tmp_path, loss_file, capsys):
    out = tmp_path / "r"
    assert main([*FIELD, "--out", str(out)]) == 0
    # pretend the ssim run was made with other settings and the l1 run by an older code version
    for rid, m in _metas(out).items():
        if (m.get("config") or {}).get("loss") == "ssim":
            m["config"]["iterations"] = m["setting"]["iterations"] = 999
        elif (m.get("config") or {}).get("loss") == "l1":
            m["code_version"] = m["setting"]["code_version"] = "0.0.1+c0"
        else:
            continue
        (out / "runs" / rid / "meta.json").write_text(json.dumps(m))
    assert main(["compare", "--loss-file", str(loss_file), "--out", str(out), *FAST]) == 0
    text = capsys.readouterr().out
    assert "made by code version 0.0.1+c0" in text and "not comparable" in text
    new = [m for m in _metas(out).values() if (m.get("config") or {}).get("loss") == "cmp_user_huber"]
    assert len(new) == 1 and new[0]["config"]["iterations"] == 999  # the only group of this code version


def test_compare_needs_a_loss(tmp_path, capsys):
    assert main(["compare", "--out", str(tmp_path), "-q"]) == 2
    assert "--loss-file" in capsys.readouterr().err


@pytest.mark.parametrize("where, msg", [("dnoise.sigma=0.1", "no task 'dnoise'"),
                                        ("denoise.sigmx=0.1", "no parameter 'sigmx'")])
def test_compare_refuses_a_typo_in_where_before_training(tmp_path, capsys, where, msg):
    """A typo'd task was ignored (the whole field compared); a typo'd parameter dropped the task."""
    from benchmark.synthetic import write_store

    write_store(tmp_path, tasks=("denoise",), metrics=("psnr",), seeds=(0, 1), offsets={"l1": 0.0})
    n = len(_metas(tmp_path))
    assert main(["compare", "--out", str(tmp_path), "--loss", "l2", "--where", where, *FAST]) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1
    assert len(_metas(tmp_path)) == n  # nothing trained


@pytest.mark.slow
def test_compare_on_one_task_keeps_the_other_tasks_and_says_what_is_cached(tmp_path, loss_file, capsys, caplog):
    """``compare --tasks X`` trains on X only but ``compare/<loss>.md`` keeps every task the new loss
    was compared on before (rebuilt from the store, not overwritten); a repeated compare logs its
    runs as already in the store, not as training."""
    import logging

    out = tmp_path / "r"
    two = list(FIELD)
    two.insert(two.index("denoise") + 1, "jpeg")
    assert main([*two, "--out", str(out)]) == 0
    assert main(["compare", "--loss-file", str(loss_file), "--out", str(out), *FAST]) == 0
    md = out / "compare" / "cmp_user_huber.md"
    assert "## denoise" in md.read_text() and "## jpeg" in md.read_text()
    capsys.readouterr()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark.compare"):
        assert main(["compare", "--loss-file", str(loss_file), "--out", str(out), "--tasks", "jpeg", *FAST]) == 0
    text = md.read_text()
    assert "## denoise" in text and "## jpeg" in text and text.count("**cmp_user_huber**") == 2
    said = " ".join(r.getMessage() for r in caplog.records)
    # the run and its budget check (the field has checks), both cached
    assert "0 to train, 2 already in the store" in said and "denoise" not in said


def test_pick_group_sets_aside_a_second_setting_with_a_note():
    """Two settings made by this code version: the first is compared against, the other set aside by
    name and difference (this crashed with a TypeError)."""
    from benchmark.compare import _pick_group

    def meta(loss, it):
        return {"run_id": f"{loss}{it}", "status": "ok", "code_version": "x",
                "config": {"task": "denoise", "loss": loss, "seed": 0, "iterations": it}}

    group, notes = _pick_group([[meta("l1", 2), meta("l2", 2)], [meta("l1", 3)]], "x")
    assert [m["run_id"] for m in group] == ["l12", "l22"]
    assert len(notes) == 1 and "(l1) used different settings (iterations: 3 vs 2)" in notes[0]


# fine at its first call (a loss raising from the start is refused before any run, by compare as by run:
# test_probe_journey.py), raising after it: a run that fails in training
RAISES = ("import torch\nfrom benchmark.registry import register_loss\n\n"
          "@register_loss('cmp_user_raises', citation='test')\nclass R(torch.nn.Module):\n"
          "    '''raises'''\n    calls = 0\n\n    def forward(self, p, t):\n        self.calls += 1\n"
          "        if self.calls > 1:\n            raise ValueError('boom')\n        return (p - t).abs().mean()\n")


@pytest.mark.usefixtures("no_report_figures")  # its reports are read for their text
def test_compare_exits_non_zero_when_the_new_loss_fails(tmp_path, capsys):
    """Every run of the new loss failing is a failure of the command (exit 1, as `plbench run`), and the
    comparison says so; the field stays as it was."""
    out = tmp_path / "r"
    assert main([*FIELD, "--out", str(out)]) == 0
    before = {p: p.stat().st_mtime_ns for p in (out / "runs").rglob("*") if p.is_file()}
    f = tmp_path / "raises.py"
    f.write_text(RAISES + f"# {tmp_path.name}\n")
    try:
        assert main(["compare", "--loss-file", str(f), "--out", str(out), *FAST]) == 1
    finally:
        from benchmark.registry import LOSSES

        LOSSES.remove("cmp_user_raises")
    md = (out / "compare" / "cmp_user_raises.md").read_text()
    assert "runs of the new loss failed" in md
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_compare_counts_diverged_runs_of_the_new_loss_also_when_they_are_cached(tmp_path, capsys, monkeypatch):
    """Was: compare counted only the diverged runs it trained itself; one already in the store (a second
    compare, or a `plbench run` before) went unmentioned, leaving 'no scored results' unexplained."""
    import benchmark.report
    from benchmark.registry import LOSSES

    monkeypatch.setattr(benchmark.report, "write_report", lambda *a, **k: {})  # the note is what is tested
    out = tmp_path / "r"
    f = tmp_path / "nan_loss.py"
    # finite at its first call (a loss NaN from the start is refused before any run: test_probe_losses.py), NaN
    # after: a run that diverges in training
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n"
                 "@register_loss('cmp_nan_test')\nclass N(torch.nn.Module):\n"
                 "    calls = 0\n\n"
                 "    def forward(self, p, t):\n        self.calls += 1\n"
                 "        return (p - t).abs().mean() * (1.0 if self.calls == 1 else float('nan'))\n")
    try:
        assert main(["--tasks", "denoise", "--losses", "l1", "cmp_nan_test", "--loss-file", str(f), "--iterations",
                     "2", "--crop", "32", "--batch-size", "2", "--metrics", "psnr", "--seeds", "0",
                     "--no-budget-check", "--device", "cpu", "--no-progress", "-q", "--no-report",
                     "--out", str(out)]) == 0
        capsys.readouterr()
        assert main(["compare", "--loss-file", str(f), "--out", str(out), *FAST]) == 0
        assert "1 of 1 run of the new loss diverged" in capsys.readouterr().out
    finally:
        LOSSES.remove("cmp_nan_test")
