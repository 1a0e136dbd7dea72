"""Review of fix-signal and fix-labels: each test failed before its fix (or pins a property the review
was asked to check)."""

from __future__ import annotations

import os
import signal

import pytest
from test_probe_store6 import _a_run, _small

pytestmark = pytest.mark.usefixtures("one_thread")


# --------------------------------------------------------------------------------------------
# fix-labels: version_scope leaves a store with no edited loss file as it was
# --------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("no_report_figures")  # the text is compared, not compare's P–D plane
def test_compare_text_of_a_store_with_no_edited_loss_is_the_same_with_and_without_a_scope(tmp_path, monkeypatch):
    """``stats.version_scope`` labels compare's rows over the leaderboard's whole table: where no loss is held at
    two versions the text must be byte for byte what per-task labelling wrote."""
    import benchmark.stats as S
    from benchmark.compare import _summary

    store = _small(tmp_path / "r", tasks=("denoise", "sr4"))
    chosen = {t: [m for m in store.metas() if (m.get("config") or {}).get("task") == t] for t in ("denoise", "sr4")}
    args = (store, chosen, ["good"], {"denoise": [], "sr4": []}, 0.05, 20, "l1", ("png",))
    with_scope, _ = _summary(*args)
    monkeypatch.setattr(S, "version_scope", lambda table: None)
    without, _ = _summary(*args)
    assert with_scope.encode() == without.encode()
    assert "**good**" in with_scope.split("## sr4", 1)[1]


# --------------------------------------------------------------------------------------------
# fix-signal: files set aside (or put back) are moved whole, whatever signal comes
# --------------------------------------------------------------------------------------------
def test_a_ctrl_c_while_a_run_is_set_aside_moves_all_its_files_first(tmp_path, monkeypatch, sigint_as_in_a_terminal):
    """``set_aside`` moved a run's files one by one with nothing holding a stop back: a Ctrl-C (or SIGTERM) after
    the first rename left the run split between ``runs/<id>/`` and ``damaged/<n>/`` (a pass's record aside and its
    rows still there, as orphans the next pass deletes). The stop now comes once every file is moved."""
    store = _small(tmp_path / "r")
    rid = _a_run(store)
    d = store.run_dir(rid)
    before = sorted(p.name for p in d.iterdir())
    assert len(before) >= 3, before
    real, sent = os.replace, []

    def replace(src, dst, *a, **k):
        out = real(src, dst, *a, **k)
        if "damaged" in os.fspath(dst) and not sent:
            sent.append(dst)
            os.kill(os.getpid(), signal.SIGINT)  # the first Ctrl-C, as the first file has gone aside
        return out

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        store.set_aside(rid)
    monkeypatch.undo()
    assert sorted(p.name for p in d.iterdir()) == ["damaged"]
    assert sorted(p.name for p in (d / "damaged" / "0").iterdir()) == before


# --------------------------------------------------------------------------------------------
# fix-labels: prune_unhashed deletes only files plbench wrote
# --------------------------------------------------------------------------------------------
def test_prune_unhashed_leaves_a_symlink_under_the_old_name(tmp_path):
    """plbench writes compare files by rename (never a link): a symlink under the old name (or a figure's) is the
    user's — `compare/mine_w_0.5.md` → their notes that quote the heading — and was deleted. It stays."""
    from benchmark.compare import _header, prune_unhashed

    d, notes = tmp_path / "compare", tmp_path / "notes"
    d.mkdir()
    notes.mkdir()
    spec = "mine(w=0.5)"
    target = notes / "mine.md"
    target.write_text(_header([spec]) + "\n\n![perception–distortion](mine_w_0.5_sr4_pd_plane.png)\n")
    (notes / "fig.png").write_text("x")
    (d / "mine_w_0.5.md").symlink_to(target)
    assert prune_unhashed(d, [spec]) == [] and (d / "mine_w_0.5.md").is_symlink()
    # the old file itself plbench's, a figure it shows linked in by the user: the file goes, the link stays
    (d / "mine_w_0.5.md").unlink()
    (d / "mine_w_0.5.md").write_text(target.read_text())
    (d / "mine_w_0.5_sr4_pd_plane.png").symlink_to(notes / "fig.png")
    assert prune_unhashed(d, [spec]) == [d / "mine_w_0.5.md"]
    assert (d / "mine_w_0.5_sr4_pd_plane.png").is_symlink() and (notes / "fig.png").exists()


def test_a_ctrl_c_while_merge_files_a_failed_attempt_files_its_record_and_curve_together(
        tmp_path, monkeypatch, sigint_as_in_a_terminal):
    """``merge`` replacing a run that failed here moves its record, then its ``curve.csv``, into ``attempts/``: a
    Ctrl-C between the two renames left the curve behind, so the next merge set it aside into ``damaged/`` as if
    it were damage. Both go into ``attempts/`` before the stop."""
    from benchmark.results import ResultsStore, atomic_write_json

    node1, node2 = _small(tmp_path / "node1"), _small(tmp_path / "node2")
    rid = _a_run(node1)
    d = node1.run_dir(rid)
    for p in d.glob("eval-*"):
        p.unlink()
    atomic_write_json(d / "meta.json", {**node1.meta(rid), "status": "failed", "error": "OOM here"})
    (d / "curve.csv").write_text("iteration,seconds,loss,lr\n1,0.1,0.5,0.001\n")
    real, sent = os.replace, []

    def replace(src, dst, *a, **k):
        out = real(src, dst, *a, **k)
        if "attempts" in os.fspath(dst) and not sent:
            sent.append(dst)
            os.kill(os.getpid(), signal.SIGINT)
        return out

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        ResultsStore(node1.root).merge_from(ResultsStore(node2.root))
    monkeypatch.undo()
    assert sent and not (d / "curve.csv").exists() and (d / "attempts" / "0.curve.csv").is_file()
    assert (d / "attempts" / "0.json").is_file()


# --------------------------------------------------------------------------------------------
# fix-labels: a positional argument's message
# --------------------------------------------------------------------------------------------
def test_a_positional_argument_of_a_loss_that_takes_none_says_so():
    """``l1(0.5)`` said "arguments must be name=value, e.g. l1(name=...)": ``l1(name=1)`` is then refused too ("has
    no argument 'name' (it takes: none)"), a message leading nowhere. A loss with no arguments now says so."""
    from benchmark.errors import UserError
    from benchmark.lossfn import check_loss_arguments, parse_loss_spec

    with pytest.raises(UserError, match=r"^loss spec 'l1\(0\.5\)': l1 takes no arguments") as e:
        parse_loss_spec("l1(0.5)")
    assert "name=" not in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(UserError, match=r"e\.g\. charbonnier\(eps=\.\.\.\) \(charbonnier takes: eps\)"):
        check_loss_arguments("charbonnier(0.5)")
