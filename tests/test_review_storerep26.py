"""Review of session 26's store and report probes (probe-store, probe-report)."""
from __future__ import annotations

from benchmark import export  # imported at collection, not in a test's time


def test_the_visual_grid_s_caption_says_it_shows_one_test_image_s_crop_clean_input_and_restorations():
    """Review 6a60423f: the visual grid's caption read "the same crops of test images as the input and each loss's
    restoration show them", while the grid (figures.visual_grid) shows one crop of one test image — the first — as
    the clean image, the degraded input and each loss's restoration show it: the caption named several images and
    left out the clean panel, the one each restoration is judged against."""
    caption = export.figure_caption("visual_denoise").lower()
    assert caption.startswith("visual denoise: "), caption
    assert "one test image" in caption and "clean" in caption and "input" in caption, caption
    assert "test images" not in caption, caption


def test_a_copied_store_s_held_damaged_line_says_a_copy_s_lock_is_removed_too(tmp_path, capsys):
    """Review 9246d587: the in-flight line for a held run's damaged/ files names another machine's lock and says to
    remove it "if nothing of plbench runs there any more" — but its message names a store copied mid-grid as a case it
    mends, and there that machine may well still run plbench (on the original) while nothing ever releases the copy's
    lock here: told to wait, the user waited for ever, the files never named. The line says a copy's lock is removed
    too (as the check's in-flight lines give copied_mid_grid_hint for a copy)."""
    from test_review_store11 import _noted

    from benchmark.cli import main

    store = _noted(tmp_path / "r")
    rid = next(r for r in store.run_ids() if not r.startswith("input-"))
    aside = store.run_dir(rid) / "damaged" / "0"
    aside.mkdir(parents=True)
    (aside / "ckpt.pt").write_bytes(b"\0" * 2048)
    lock = store.run_dir(rid) / ".lock"
    lock.write_text("pid 4242 on elsewhere-node since 2026-01-01T00:00:00Z")
    assert main(["check", "--out", str(store.root)]) == 0
    said = capsys.readouterr()
    line = next((x for x in (said.out + said.err).splitlines() if "in flight" in x and "damaged/" in x), "")
    assert f"remove {lock}" in line and "copy" in line.split("whose processes")[-1], said
