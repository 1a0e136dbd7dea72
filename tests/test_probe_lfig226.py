"""Probe lfig2 (round 26): a P–D plane part taller than a page."""


def test_a_pd_plane_spot_note_naming_most_of_a_long_field_says_counts_per_task():
    """Was: the P–D plane's 'Drawn on one spot' / 'Drawn over each other' notes named every loss at every spot: 60
    losses of 40 characters in 5 tasks made 4.3 in of names in the caption, which stays on part 1 when the key goes
    apart (legend_apart), a 9.65-in part 1 past the 9-in page. A note past SPOT_NOTE_LINES lines gives each task's
    spots and losses instead; a short note (a normal field) is the names, word for word as before."""
    from benchmark import figures as F

    head = "Drawn over each other (means closer than a marker as drawn)"
    short = {"denoise": [["l1", "ssim"], ["lpips", "pdl", "mse"]]}
    assert F._spots_note(head, short, False, 3.5) == F.wrap_title(f"{head}: l1, ssim / lpips, pdl, mse", 3.5, 7)
    names = [(f"loss_{i}_" + "long_name_part_" * 4)[:40] for i in range(60)]
    groups = {t: [names[k + j: k + j + 3] for j in range(0, 24, 3)] for k, t in enumerate(("deblur", "sr4"))}
    note = F._spots_note(head, groups, True, 7.2)
    assert note.count("\n") < F.NOTE_LINES, note
    assert "long_name" not in note, note
    for t, gs in groups.items():
        assert f"{t}: {len(gs)} spots, {sum(map(len, gs))} losses" in note.replace("\n", " "), note
    assert "the tables give each loss's means" in note.replace("\n", " ")
    one = F._spots_note(head, {"jpeg": [names[:1] + names[2:3]]}, True, 7.2)
    assert one == F.wrap_title(f"{head}: jpeg: {names[0]}, {names[2]}", 7.2, 7)


def test_a_pd_plane_not_drawn_note_of_most_of_a_long_field_counts_the_losses():
    """Was: 'Not drawn: …' named every loss left off the plane: half of 60 losses of 40 characters unscored on lpips,
    a different half in each of 5 tasks, made a 20.8-in P–D plane whose panels and caption alone were past the page
    (legend_apart could not help). Past NOTE_LINES lines the note counts each task's losses by reason; a short one
    (a task with no panel, two losses unscored) is word for word as before."""
    from benchmark import figures as F

    short = F._not_drawn_note({"sr4": ["lpips"]}, {"denoise": {"lpips not scored": ["l1", "ssim"]}}, 7.2)
    assert short == F.wrap_title("Not drawn: sr4 (lpips not scored); denoise: l1, ssim (lpips not scored)", 7.2, 7)
    names = [(f"loss_{i}_" + "long_name_part_" * 4)[:40] for i in range(60)]
    unplaced = {t: {"lpips not scored": names[k::2][:20 + k], "run lost": names[1:3]}
                for k, t in enumerate(("deblur", "demosaic", "denoise", "jpeg", "sr4"))}
    note = F._not_drawn_note({"gray": []}, unplaced, 7.2)
    assert note.count("\n") < F.NOTE_LINES, note
    assert "long_name" not in note, note
    flat = note.replace("\n", " ")
    assert flat.startswith("Not drawn: gray (no loss scored on both); "), note
    for t, by in unplaced.items():
        assert f"{t}: " + "; ".join(f"{len(ls)} losses ({why})" for why, ls in sorted(by.items())) in flat, note
    assert "the tables show each loss's scores" in flat


def _runs_with_no_curve(n_lost: int):
    """Run records of one task: two losses with curves, and ``n_lost`` of 40 characters whose one run diverged
    before logging its loss (no curve)."""
    from benchmark.synthetic import synthetic_runs

    names = [(f"loss_{i}_" + "long_name_part_" * 4)[:40] for i in range(n_lost)]
    metas = [m for _, m, _ in synthetic_runs(tasks=("denoise",), seeds=(0,), offsets={"l1": 0.0, "ssim": 0.1},
                                             metrics=("psnr",), n_images=1, budget_check=False)]
    lost = [m for _, m, _ in synthetic_runs(tasks=("denoise",), seeds=(), offsets=dict.fromkeys(names, 0.0),
                                            metrics=("psnr",), n_images=1, budget_check=False, diverged=names)]
    return metas + [{**m, "loss_curve": []} for m in lost if m.get("status") == "diverged"], names


def test_training_curves_name_a_few_losses_with_no_curve_and_count_many():
    """Was: the training curves' caption named every loss with no curve (every run diverged or failed before logging
    its loss), whatever their number: 30 of 60 losses of 40 characters in 5 tasks took 3 in, and as the caption stays
    with the panels when the key goes apart (legend_apart), part 1 was 10.1 in, past the 9-in page. Past NOTE_LINES
    lines the note counts them; one such loss is named as before."""
    from benchmark import figures as F
    from benchmark.export import lost_runs_text

    with F.style():
        metas, names = _runs_with_no_curve(1)
        caption = F.draw_training_curves(metas).plb_legend[3].replace("\n", " ")
        assert lost_runs_text("No curve", {names[0]: [("denoise", "diverged 1/1")]},
                              " before logging its loss") in caption, caption
        metas, names = _runs_with_no_curve(14)
        fig = F.draw_training_curves(metas)
    caption = fig.plb_legend[3]
    assert "long_name" not in caption and caption.count("\n") < F.NOTE_LINES + 1, caption
    assert "No curve — every run diverged before logging its loss: 14 losses (too many to name here" in \
        caption.replace("\n", " "), caption
