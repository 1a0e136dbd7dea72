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
