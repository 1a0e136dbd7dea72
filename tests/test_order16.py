"""The one name order (:func:`benchmark.stats.name_key`: w2 before w10) where names were still sorted as strings."""


def test_results_first_takes_the_first_arm_in_the_boards_name_order():
    """Was: Results.first took the first arm by string order, so of a weight sweep 'l2 + 10*gpl' came before
    'l2 + 2*gpl' (and seed=10 before seed=2): which arm liu2021_random_vgg tested hung on string order, where the
    board lists 2 before 10 → it takes the first by stats.name_key of the label, the board's order."""
    from benchmark.findings import Results
    from benchmark.synthetic import synthetic_table

    two, ten = "l2 + 2*gpl", "l2 + 10*gpl"
    assert sorted([two, ten]) == [ten, two]  # string order differs from the natural one
    kw = dict(tasks=("sr4",), metrics=("vsi",), seeds=range(2), n_images=2)
    t = synthetic_table(offsets={ten: 1.0, two: 1.0, "l2": 0.0},
                        weights={ten: "vgg16:random(seed=0)", two: "vgg16:random(seed=0)"}, **kw)
    res = Results(t)
    mixes = [a for a in res.arms("sr4") if a.loss in (two, ten)]
    assert len(mixes) == 2, res.arms("sr4")
    arm = res.first("sr4", list(reversed(mixes)), "ℓ2 + random-VGG arms")
    assert arm.loss == two, arm
    assert res.passed_over("sr4", arm) == ("ℓ2 + random-VGG arms", (f"{ten} [vgg16:random]",))


def test_the_notes_list_losses_in_the_boards_name_order():
    """Was: the leaderboard's notes that list losses (one-run cells, the losses short of runs, the baseline's rows,
    versions_of's lines) sorted them as strings — 'w10, w2' under a board that lists w2 first → they list them by
    stats.name_key, the board's order (benchmark/export.py, stats.py, report.py)."""
    from benchmark.export import one_run_text
    from benchmark.stats import compute
    from benchmark.synthetic import synthetic_table

    one = compute(synthetic_table(offsets={"w10": 0.0, "w2": 1.0}, tasks=("denoise",), seeds=(0,), n_images=3,
                                  metrics=("psnr",)), n_boot=10)
    assert "One run per cell in denoise (w2, w10)" in one_run_text(one), one_run_text(one)
