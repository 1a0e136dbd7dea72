"""A researcher adds a loss of their own file, compares it with a cached field and publishes
(journey 6): edited loss files, hyper-parameters on the command line, names the store knows."""

from __future__ import annotations

import pandas as pd
import pytest


def _rows(loss: str, version: str, run: str) -> dict:
    return {"run_id": run, "task": "denoise", "loss": loss, "loss_version": version, "weights": "none",
            "weights_kind": "none", "metric": "psnr", "value": 30.0, "seed": 0}


def test_every_spec_of_an_edited_loss_file_names_its_version():
    """Was: after editing `my_loss.py`, `my_loss` showed as two rows `my_loss (v1+<old>)` and
    `my_loss (v1+<new>)`, but `my_loss(w=0.5)` and `my_loss(w=0.5) + 0.1*l1`, trained with the old
    text only, kept a bare label: a reader took them for the current file with w=0.5. A spec with a
    term the table holds at several versions names its version, as the term's own rows do."""
    from benchmark.stats import labels

    t = pd.DataFrame([_rows("my_loss", "my_loss=1+0ld", "a"), _rows("my_loss", "my_loss=1+n3w", "b"),
                      _rows("my_loss(w=0.5)", "my_loss=1+0ld", "c"),
                      _rows("my_loss(w=0.5) + 0.1*l1", "l1=1,my_loss=1+0ld", "d"),
                      _rows("l1", "l1=1", "e"), _rows("l2 + 0.1*l1", "l1=1,l2=1", "f")])
    got = dict(zip(t["run_id"], labels(t)))
    assert got["a"] == "my_loss (v1+0ld)" and got["b"] == "my_loss (v1+n3w)"
    assert got["c"] == "my_loss(w=0.5) (v1+0ld)", got
    assert got["d"] == "my_loss(w=0.5) + 0.1*l1 (v1/1+0ld)", got
    assert got["e"] == "l1" and got["f"] == "l2 + 0.1*l1", got  # one version of every term: no suffix


def _store_with_a_file_loss(root, path="/elsewhere/mine.py"):
    """A field (l1) plus runs of `my_loss`, a loss of the file ``path`` (as `compare --loss-file` writes them)."""
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    for rid, meta, rows in synthetic_runs(offsets={"l1": 0.0, "my_loss": 1.0}, seeds=(0,), metrics=("psnr",),
                                          n_images=3, budget_check=False):
        if (meta.get("config") or {}).get("loss") == "my_loss":
            meta["loss_versions"] = {"my_loss": "1+0123456789ab"}
            meta["loss_files"] = {"my_loss": path}
            rows = [{**r, "loss_version": "my_loss=1+0123456789ab"} for r in rows]
        store.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(store.run_dir(rid) / "meta.json", meta)
    return store


@pytest.mark.parametrize("argv", [["compare", "--loss", "my_loss", "--no-visual"],
                                  ["compare", "--loss", "0.5*my_loss + l1", "--no-visual"],
                                  ["run", "--losses", "my_loss", "--no-budget-check", "--iterations", "2"]])
def test_a_loss_the_store_holds_from_a_file_names_the_file_when_it_was_not_loaded(tmp_path, argv, capsys):
    """Was: `plbench compare --loss my_loss --out results` (the loss file forgotten on a second
    command) said "unknown loss 'my_loss'; did you mean ms_ssim?": a built-in nobody meant, and no
    word of the runs of `my_loss` the store holds or of --loss-file. Now the error names them and the
    file their runs were trained from."""
    from benchmark.cli import main

    _store_with_a_file_loss(tmp_path / "r")
    assert main([*argv, "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert "unknown loss 'my_loss'" in err and "1 run" in err and "v1+0123456789ab" in err, err
    assert "--loss-file /elsewhere/mine.py" in err and "ms_ssim" not in err, err


def test_a_run_records_the_loss_file_its_loss_came_from(tmp_path):
    """What the error above reads: each run's meta.json names the file of every file loss of its spec."""
    from benchmark.registry import LOSSES, load_user_file
    from benchmark.runner import _loss_files

    f = tmp_path / "journey6_loss.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n"
                 "@register_loss('journey6_file_loss')\nclass J(torch.nn.Module):\n    \"\"\"L1.\"\"\"\n"
                 "    def forward(self, pred, target):\n        return (pred - target).abs().mean()\n")
    try:
        assert load_user_file(f) == ["journey6_file_loss"]
        assert _loss_files("0.5*journey6_file_loss + l1") == {"journey6_file_loss": str(f.resolve())}
        assert _loss_files("l1") == {}
    finally:
        LOSSES.remove("journey6_file_loss")


def test_compare_after_editing_the_loss_file_says_the_field_holds_its_earlier_version(tmp_path):
    """Was: after an edit, `compare --loss-file my_loss.py` ranked the new text "of 3 losses" where
    one of the 3 was the file's earlier text (its own row of the field), and the comparison said
    nothing of it: a reader of compare/my_loss.md could not tell the field held an older my_loss.
    Now its notes list the versions, as the leaderboard's do."""
    from conftest import edited_loss_summary

    text = edited_loss_summary(tmp_path / "r", metrics=("psnr",), n_images=4)
    said = [line for line in text.splitlines() if "versions" in line and "(v1+0ld)" in line]
    assert len(said) == 1 and "(v1+n3w)" in said[0] and said[0].startswith("> "), text


_W_LOSS = ("import torch\nfrom benchmark.registry import register_loss\n\n"
           "@register_loss('{name}')\nclass J(torch.nn.Module):\n    \"\"\"w · L1.\"\"\"\n"
           "    def __init__(self, w: float = 1.0):\n        super().__init__()\n        self.w = w\n\n"
           "    def forward(self, pred, target):\n        return self.w * (pred - target).abs().mean()\n")


@pytest.mark.parametrize("losses,expected", [
    ((), ["journey6_w"]),
    (("journey6_w(w=0.5)",), ["journey6_w(w=0.5)"]),
    (("journey6_w(w=0.5)", "journey6_w"), ["journey6_w(w=0.5)", "journey6_w"])])
def test_compare_with_loss_specs_trains_only_those_as_run_does(tmp_path, monkeypatch, losses, expected):
    """Was: `compare --loss-file my_loss.py --loss 'my_loss(w=0.5)'` also trained and compared
    `my_loss` at its defaults (every loss the file registers), doubling the training, where
    `run --loss-file F --losses X` trains X only. --loss now names what is compared; the file is loaded."""
    from benchmark import compare as C
    from benchmark.errors import UserError
    from benchmark.registry import LOSSES

    _store_with_a_file_loss(tmp_path / "r")
    f = tmp_path / "journey6_w.py"
    f.write_text(_W_LOSS.format(name="journey6_w"))
    seen = {}

    def stop(groups, new, *a, **k):
        seen["new"] = list(new)
        raise UserError("stopped before training")

    monkeypatch.setattr(C, "_probe_new_losses", stop)
    try:
        with pytest.raises(UserError, match="stopped before training"):
            C.compare(tmp_path / "r", loss_files=[f], losses=losses, visual=False, formats=("png",))
    finally:
        LOSSES.remove("journey6_w")
    assert seen["new"] == expected


def test_a_dollar_sign_in_a_loss_spec_is_drawn_as_written_in_the_figures(tmp_path):
    """Was: `strloss(tag='$a_b$')` (a string hyper-parameter on the command line) was drawn in every
    figure with matplotlib's mathtext: an italic a with a subscript b, the dollars gone, so the
    figure named a loss that the tables spell otherwise. Figure text is now never parsed as math."""
    from benchmark import figures as F
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    spec = "strloss(tag='$a_b$ 50%')"
    kw = dict(offsets={"l1": 0.0, spec: 1.0, "l2": {"psnr": -9.0}}, seeds=(0,), metrics=("psnr", "ssim"),
              n_images=4, budget_check=False)
    table = synthetic_table(**kw)
    st = compute(table, [m for _, m, _ in synthetic_runs(**kw)], n_boot=20)
    import re

    from matplotlib.lines import Line2D
    from matplotlib.markers import MarkerStyle

    with F.style():
        paths = F.metric_points(st, "denoise", tmp_path / "m", formats=("svg",))
        fig = F.draw_metric_points(st, "denoise")
    svg = paths[0].read_text()
    # one plain <text> (mathtext is drawn glyph by glyph, in <tspan>s, without the dollars)
    assert re.search(r">strloss\(tag=(&apos;|&#39;|')\$a_b\$ 50%", svg), svg[:3000]
    # the legend's worse-than-input mark is still the glyph (the outline of a mathtext "$⚠$" marker), not
    # "$⚠$" spelt out (it is a path since, built without mathtext: tests/test_probe_fonts.py)
    import matplotlib
    import numpy as np

    with matplotlib.rc_context({"text.parse_math": True}):
        glyph = MarkerStyle(f"${F.WORSE}$")

    def outline(m):
        return m.get_transform().transform(m.get_path().vertices)

    marks = [ln for ln in fig.findobj(Line2D) if outline(ln._marker).shape == outline(glyph).shape
             and np.allclose(outline(ln._marker), outline(glyph))]
    assert marks


@pytest.mark.parametrize("body,which", [
    ("target.mul_(255.0)\n        return (pred * 255.0 - target).abs().mean() / 255.0", "target"),
    ("pred.clamp_(0.0, 1.0)\n        return (pred - target).abs().mean()", "pred")])
def test_a_loss_that_changes_its_inputs_in_place_is_refused_before_training(tmp_path, body, which):
    """Was: a loss file whose forward scaled `target` in place (`target.mul_(255)`, a common slip
    when a loss wants 0–255) trained silently: in `mutloss + l1` the ℓ1 term then compared the
    prediction with a target ×255, and the run landed last of the field with no word of why. The
    first call of a spec of several terms now checks that no term changed pred, target or an extra
    input in place (one term alone may: `test_probe_losses.py`'s in-place clamp of its own pred)."""
    import torch

    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss
    from benchmark.registry import LOSSES, load_user_file

    f = tmp_path / "journey6_inplace.py"
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n"
                 "@register_loss('journey6_inplace')\nclass J(torch.nn.Module):\n    \"\"\"In place.\"\"\"\n"
                 f"    def forward(self, pred, target):\n        {body}\n")
    try:
        load_user_file(f)
        loss = build_loss("journey6_inplace + l1")
        pred = torch.rand(2, 3, 16, 16) * 1.2
        net_out = pred.clone().requires_grad_(True) * 1.0  # a non-leaf, as a net's output
        with pytest.raises(UserError, match=rf"^loss 'journey6_inplace' changed its {which} in place"):
            loss(net_out, torch.rand(2, 3, 16, 16))
    finally:
        LOSSES.remove("journey6_inplace")


def test_no_built_in_loss_term_changes_its_inputs():
    """The check above passes the pixel losses the quick profile trains (same tensors after the call)."""
    import torch

    from benchmark.lossfn import build_loss

    for spec in ("l1", "l2", "charbonnier", "ssim", "ms_ssim_l1", "0.5*l1 + 0.5*ssim"):
        pred = torch.rand(2, 3, 48, 48, requires_grad=True) * 1.0
        target = torch.rand(2, 3, 48, 48)
        before = target.clone()
        build_loss(spec)(pred, target).backward()
        assert torch.equal(target, before), spec


@pytest.mark.slow
def test_run_loss_file_beside_a_field_at_another_setting_says_so(tmp_path, caplog):
    """Was: `plbench run --loss-file my_loss.py --out results` (the README: "train and score only your
    loss, next to cached results") on a field trained at other settings (here 2 iterations, crop 16;
    the run took 3 iterations) trained the loss apart and replaced the leaderboard by a one-loss table
    ("baseline 'l1' is not in the results"), with no word that the field was left out or why. It now
    warns, naming the field's losses, what differs and `plbench compare`."""
    import logging

    from benchmark.cli import main

    out = str(tmp_path / "r")
    common = ["--tasks", "denoise", "--crop", "16", "--batch-size", "2", "--metrics", "psnr", "--no-budget-check",
              "--no-report", "--no-progress", "--device", "cpu", "--out", out]
    assert main(["run", "--losses", "l1", "--iterations", "2", *common]) == 0
    f = tmp_path / "journey6_beside.py"
    f.write_text(_W_LOSS.format(name="journey6_beside"))
    caplog.set_level(logging.WARNING)
    try:
        assert main(["run", "--loss-file", str(f), "--iterations", "2", *common]) == 0  # the field's setting
        assert not [r for r in caplog.records if "another setting" in r.getMessage()]
        assert main(["run", "--loss-file", str(f), "--iterations", "3", *common]) == 0
    finally:
        from benchmark.registry import LOSSES

        LOSSES.remove("journey6_beside")
    said = [r.getMessage() for r in caplog.records if "another setting" in r.getMessage()]
    assert len(said) == 1, [r.getMessage() for r in caplog.records]
    assert "denoise" in said[0] and "l1" in said[0] and "iterations: 2 vs 3" in said[0], said
    assert f"plbench compare --loss-file {f}" in said[0], said


def test_two_specs_never_share_one_comparison_file():
    """Was: compare/<name>.md kept letters, digits and `_.-` of the specs and cut at 80 characters, so a
    weight sweep of a long spec (`pdl(layers=(…)) + 0.1*l1`, `… + 0.2*l1`) or `strloss(tag='a b')` and
    `strloss(tag='a_b')` wrote one file: the second comparison replaced the first, and both commands
    printed the same path. A name that had to be changed now ends in a hash of the spec; a plain one stays."""
    from benchmark.compare import _safe

    long = "pdl(layers=('relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'), layer_weights=(1.0, 1.0, 1.0, 1.0))"
    names = [_safe(f"{long} + 0.1*l1"), _safe(f"{long} + 0.2*l1"), _safe("strloss(tag='a b')"),
             _safe("strloss(tag='a_b')"), _safe("my_loss_my_loss(w=0.5)"), _safe("my_loss_my_loss_w_0.5")]
    assert len(set(names)) == len(names), names
    assert all(len(n) <= 80 and n == n.strip("_") for n in names), names
    assert _safe("my_loss") == "my_loss" and _safe("cmp_user_huber") == "cmp_user_huber"


def test_a_baseline_with_several_rows_says_which_one_the_marks_are_against():
    """Was: `plbench report --baseline my_loss` on a store holding two versions of the loss file (two
    rows, `my_loss (v1+0ld)` and `my_loss (v1+n3w)`) tested every ▲/▼ against one of them, taken by
    table order, while every legend said "vs `my_loss`" and nothing said which. The notes now name
    the row the marks are against."""
    from benchmark.export import notes
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_runs, synthetic_table

    kw = dict(offsets={"l1": 0.0, "mine": 1.0, "mine_old": -1.0}, seeds=(0, 1, 2, 3, 4), metrics=("psnr",),
              n_images=4)
    table = synthetic_table(**kw)
    old = table["loss"] == "mine_old"
    table["loss_version"] = ""
    table.loc[table["loss"] == "mine", "loss_version"] = "mine=1+n3w"
    table.loc[old, "loss_version"] = "mine=1+0ld"
    table.loc[old, "loss"] = "mine"
    st = compute(table, [m for _, m, _ in synthetic_runs(**kw)], baseline="mine", n_boot=20)
    c = st.cells[st.cells["metric"] == "psnr"].set_index("label")
    assert c.loc["l1", "vs_base"] in (1.0, -1.0) or c["p_base"].notna().any()
    said = [n for n in notes(st) if "Baseline `mine`" in n and "rows" in n]
    assert len(said) == 1, notes(st)
    base = c["base_label"].dropna().unique().tolist()
    assert len(base) == 1 and f"`{base[0]}`" in said[0].split("against")[-1], said


def test_a_diverged_run_of_an_old_spec_is_counted_in_its_versioned_row():
    """With the labels above, a diverged run (no rows) of `my_loss(w=0.5)` at the file's old text
    is counted in the row `my_loss(w=0.5) (v1+0ld)` of its scored siblings, not in a bare row of its own."""
    from benchmark.stats import cost_table

    def meta(rid, loss, ver, status="ok"):
        return {"run_id": rid, "status": status, "ms_per_it": 10.0, "weights": "none",
                "loss_versions": {"my_loss": ver}, "config": {"task": "denoise", "loss": loss, "seed": 0}}

    metas = [meta("a", "my_loss", "1+0ld"), meta("b", "my_loss", "1+n3w"), meta("c", "my_loss(w=0.5)", "1+0ld"),
             meta("d", "my_loss(w=0.5)", "1+0ld", status="diverged")]
    label_of = {"a": "my_loss (v1+0ld)", "b": "my_loss (v1+n3w)", "c": "my_loss(w=0.5) (v1+0ld)"}
    version_of = {"a": "my_loss=1+0ld", "b": "my_loss=1+n3w", "c": "my_loss=1+0ld"}
    per_loss, _ = cost_table(metas, None, label_of, version_of)
    rows = per_loss.set_index("label")
    assert "my_loss(w=0.5)" not in rows.index, rows.index.tolist()
    assert rows.loc["my_loss(w=0.5) (v1+0ld)", "runs"] == 2 and rows.loc["my_loss(w=0.5) (v1+0ld)", "diverged"] == 1


def test_training_curves_keep_two_versions_of_a_loss_file_apart():
    """Was: the training-curves figure labelled each run by its spec alone: the runs of `my_loss`
    before and after an edit of its file were one curve (their mean, titled "one seed per loss"),
    and `my_loss(w=0.5)` of the old text had a bare name, where every table and other figure keeps
    the versions apart. Each run is now labelled as the tables label it."""
    from benchmark import figures as F

    def meta(rid, loss, ver, scale):
        return {"run_id": rid, "status": "ok", "weights": "none", "loss_versions": {"my_loss": ver},
                "config": {"task": "denoise", "loss": loss, "seed": 0},
                "loss_curve": [[i, scale * (1.0 - 0.01 * i)] for i in range(1, 21)]}

    metas = [meta("a", "my_loss", "1+0ld", 1.0), meta("b", "my_loss", "1+n3w", 2.0),
             meta("c", "my_loss(w=0.5)", "1+0ld", 0.5)]
    with F.style():
        fig = F.draw_training_curves(metas)
    text = {t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))}
    assert {"my_loss (v1+0ld)", "my_loss (v1+n3w)", "my_loss(w=0.5) (v1+0ld)"} <= text, sorted(text)
    assert "my_loss" not in text and "my_loss(w=0.5)" not in text, sorted(text)
