"""Probe ysmall (round 20): reviewers' leftovers — one direction per metric everywhere a table is judged, ..."""

from __future__ import annotations

import re

import pytest

import benchmark.stats  # noqa: F401 (imported once at collection, not in a test's time)
from benchmark.errors import UserError


def _split_table():
    """A synthetic table (l1 and good on denoise, psnr and lpips) whose first run's lpips rows say higher is better."""
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), metrics=("psnr", "lpips"), offsets={"good": 0.0, "l1": 0.0},
                        seeds=range(2), n_images=3, budget_check=False)
    first = t.loc[t["loss"] != "input", "run_id"].astype(str).min()
    flip = (t["run_id"].astype(str) == first) & (t["metric"] == "lpips")
    t["higher_is_better"] = t["higher_is_better"].astype(object)
    t.loc[flip, "higher_is_better"] = not bool(t.loc[~flip & (t["metric"] == "lpips"), "higher_is_better"].iloc[0])
    return t.astype({"higher_is_better": bool}), first


@pytest.mark.parametrize("reader", ["blocks", "check_all"])
def test_a_table_from_python_whose_rows_disagree_on_a_direction_is_refused(reader):
    """Was: ResultsStore.table() refused a metric whose rows disagree on higher/lower is better, but a table passed
    straight to stats.blocks or findings.check_all (a notebook, the API) took the direction from its first row and
    judged the whole column that way. Now both apply the same rule (results.one_direction): one line naming the
    metric and the runs on each side."""
    from benchmark.findings import check_all
    from benchmark.stats import blocks

    t, first = _split_table()
    with pytest.raises(UserError) as e:
        blocks(t) if reader == "blocks" else check_all(t, ["zhao2017_l1_vs_l2"])
    msg = str(e.value)
    assert "\n" not in msg and "'lpips'" in msg and "psnr" not in msg
    assert first in msg and "higher in" in msg and "lower in" in msg
    agreed = t[t["metric"] == "psnr"]
    assert [b.metric for b in blocks(agreed)] == ["psnr"]  # a table whose rows agree reads as before


def test_check_reports_a_metric_whose_runs_disagree_on_its_direction(tmp_path, capsys):
    """Was: `plbench check` (the store's health check) said every record was readable and exited 0 on a store whose
    lpips rows disagree on their direction, which every report, findings and compare then refuses. Now it says the
    same line table() raises, and exits 1; a store whose metrics agree is as clean as before."""
    from conftest import direction_store

    from benchmark.cli import main

    def store(root, flip):
        return min(direction_store(root, "first" if flip else "", n_images=2).run_ids())

    first = store(tmp_path / "bad", True)
    assert main(["check", "--out", str(tmp_path / "bad")]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "which way is better" in x)
    assert "'lpips'" in line and first in line and "higher in" in line and "lower in" in line
    store(tmp_path / "good", False)
    assert main(["check", "--out", str(tmp_path / "good")]) == 0
    assert "which way is better" not in capsys.readouterr().out


@pytest.mark.parametrize("status", ["failed", "running"])
def test_check_says_which_command_retries_a_compared_loss_in_plain_words(tmp_path, capsys, status):
    """Was: `plbench check`'s line for a failed or interrupted run read "(the same `plbench run` retries it, the same
    `plbench compare` a compared loss's)", a terse clause hard to parse. Now: "…, or the same `plbench compare` for a
    compared loss"."""
    from benchmark.cli import main
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    s = ResultsStore(tmp_path)
    s.ensure_writable()
    runs = list(synthetic_runs(offsets={"l1": 0.0}, metrics=("psnr",), seeds=range(2), n_images=2,
                               budget_check=False))
    stopped = max(rid for rid, meta, _ in runs if meta.get("kind") != "input")
    for rid, meta, rows in runs:
        if rid == stopped:
            atomic_write_json(s.run_dir(rid) / "meta.json", {**meta, "status": status})
            continue
        s.write_eval(rid, rows, sorted({r["metric"] for r in rows}), {})
        atomic_write_json(s.run_dir(rid) / "meta.json", meta)
    main(["check", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    verb = "retries" if status == "failed" else "resumes"
    assert f"the same `plbench run` {verb} it, or the same `plbench compare` for a compared loss)" in out, out
    assert "a compared loss's" not in out


def test_lost_run_notes_docstring_wraps_as_a_paragraph():
    """compare._lost_run_notes' docstring had a line broken after two words ("per\\n    loss whose\\n    finished"):
    each line of it but the last now fills its width (none under half the module's 120 columns)."""
    from benchmark.compare import _lost_run_notes

    lines = [x.strip() for x in _lost_run_notes.__doc__.splitlines()]
    assert all(len(x) > 60 for x in lines[:-1]), lines


#: a plain string, an f-string
_PLAIN, _F = r"""(?:'[^'\n{}\\]*'|"[^"\n{}\\]*")""", r"""(?:f'[^'\n\\]*'|f"[^"\n\\]*")"""
#: ``'that run is' if n == 1 else f'those {n} runs are'``: a singular/plural choice by hand whose plural side is an
#: f-string (test_mend_words17's scan reads plain strings only), told by an agreeing pair of words on its two sides
_HAND_F = re.compile(rf"""(?P<one>{_PLAIN}|{_F})\s+if\s+[^\n]{{0,80}}?\s(?:==\s*1|!=\s*1|>\s*1|<\s*2)\s+else\s+"""
                     rf"""(?P<many>{_PLAIN}|{_F})""")
_PAIRS = (("is", "are"), ("was", "were"), ("has", "have"), ("it", "them"), ("this", "these"), ("that", "those"))


def _agreements_by_hand_in_f_strings(paths):
    found = []
    for path in paths:
        text = path.read_text()
        for m in _HAND_F.finditer(text):
            if not (m.group("one").startswith("f") or m.group("many").startswith("f")):
                continue  # plain strings on both sides: test_mend_words17's scan
            a, b = (set(re.findall(r"[a-z]+", m.group(k))) for k in ("one", "many"))
            if any({x, y} <= a | b and (x in a) != (y in a) for x, y in _PAIRS):
                found.append(f"{path.name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)[:90]}")
    return found


def test_no_singular_or_plural_is_chosen_by_hand_inside_an_f_string(tmp_path):
    """Was: cli.cmd_check said `'that run is' if away == 1 else f'those {away} runs are'`, a singular/plural choice
    written by hand (its plural side an f-string, which the product-wide scan of plain strings does not read). Now
    docmarkup.agree makes it, same text; the scan below reads f-strings too, and finds the form where written."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    paths = [p for d in ("benchmark", "losses", "tasks") for p in sorted((root / d).glob("*.py"))]
    assert not (found := _agreements_by_hand_in_f_strings([*paths, root / "run_all.py"])), "\n".join(found)
    f = tmp_path / "m.py"
    f.write_text("a = 'that run is' if n == 1 else f'those {n} runs are'\nb = '' if n == 1 else f'-{n}'\n"
                 "c = f'{x} has' if len(x) > 1 else 'they have'\n")
    assert [x.split(":")[1] for x in _agreements_by_hand_in_f_strings([f])] == ["1", "3"]


def test_a_metric_registered_in_any_product_package_is_known_as_the_harnesss(tmp_path, monkeypatch):
    """Was: metric_code's scan (REGISTERED, READS_NO_FILE, CODE_VERSIONS) read benchmark/*.py only, so a metric
    registered in losses/ or tasks/ (a loss file registering its companion metric) escaped it and was taken for
    pyiqa's: its digest pyiqa's files', its reads_no_file and code tag unread. Now the scan reads every package the
    registries import (tasks, losses, findings) besides benchmark/."""
    import shutil
    import sys
    from pathlib import Path

    from benchmark import metric_code
    from benchmark.registry import FINDINGS, LOSSES, TASKS

    root = Path(__file__).resolve().parents[1]
    for pkg in (TASKS.package, LOSSES.package, FINDINGS.package):
        shutil.copytree(root / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / LOSSES.package / "companion.py").write_text(
        "from benchmark.registry import register_metric\nfrom benchmark.metric_code import code_version\n\n\n"
        "@register_metric(\"companion_fr\", reads_no_file=True)\n@code_version(\"companion_fr\", \"v2\")\n"
        "class Companion:\n    pass\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    for pkg in (TASKS.package, LOSSES.package, FINDINGS.package):
        monkeypatch.delitem(sys.modules, pkg, raising=False)
    tags, _, fileless, registered = metric_code._scan()
    assert "companion_fr" in registered and "companion_fr" in fileless and tags["companion_fr"] == "v2"
    assert registered >= metric_code.REGISTERED  # benchmark/'s own metrics still read


@pytest.mark.parametrize("loss, field, said", [
    ("pdl", ("none", "none"), "pdl(weights='pretrained')"),
    ("l1 + 0.1*vgg(layers=('relu2_2',))", ("none",), "l1 + 0.1*vgg(layers=('relu2_2',), weights='pretrained')"),
    ("pdl(weights='pretrained')", ("none",), ""),  # its weights named: nothing to guess
    ("pdl", ("none", "pretrained"), ""),  # the field's deep loss's weights, taken
    ("l1", ("none",), ""),  # no backbone
])
def test_compare_says_which_weights_a_new_deep_loss_gets_beside_a_pixel_only_field(loss, field, said):
    """Was: `plbench compare --loss pdl` beside a field of pixel losses alone (trained with `--backbone-weights
    pretrained` or not: a pixel run records `none`) trained PDL on a random VGG without a word. Now its planning says
    which weights the new loss gets, why, and the spec that chooses pretrained ones."""
    from benchmark.compare import field_weights_note

    note = field_weights_note([{"config": {"backbone_weights": w}} for w in field], loss)
    if not said:
        assert note == ""
        return
    assert "\n" not in note and "random" in note and "pixel" in note and "--backbone-weights" in note
    assert f'--loss "{said}"' in note
