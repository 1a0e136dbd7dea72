"""Published figures, tables and the report: defects found probing them with awkward stores (session 16)."""

from __future__ import annotations


def test_a_user_loss_keeps_its_colour_when_a_name_sorting_before_it_is_added():
    """User losses all started at the first extra colour in name order: ``mine`` was the sky blue alone and took
    another colour once ``aaa`` (or any name sorting before it) joined a store, so one loss changed colour from
    figure to figure across stores. Now its home colour follows its own name; only a loss with the same home colour
    can still move it."""
    from benchmark.figures import _home_colour, loss_styles

    field = ["l1", "l2", "ssim"]  # the pixel losses own their colours: the four extra ones free
    alone = loss_styles(field + ["mine"])["mine"]
    home = _home_colour("mine", "mine", 10)
    others = [f"a{i}" for i in range(12) if _home_colour(f"a{i}", f"a{i}", 10) != home]
    assert others, "some names have another home colour"
    for other in others:
        styles = loss_styles(field + [other, "mine"])
        assert styles["mine"] == alone, other
        assert styles[other] != styles["mine"]
    assert loss_styles(["mine", "zz_other"])["mine"] == loss_styles(["mine"])["mine"] or \
        _home_colour("zz_other", "zz_other", 10) == home

