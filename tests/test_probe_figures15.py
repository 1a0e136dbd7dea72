"""Probe of the published figures, tables and report (figures15): awkward synthetic stores drawn and written."""

from __future__ import annotations


def test_tied_losses_and_a_legends_user_losses_go_in_natural_order_l2_before_l10():
    """Equal mean ranks were listed by name as strings, and a legend's user losses (a weight sweep) by string too:
    ``l1 + 10*vgg`` before ``l1 + 2*vgg``, ``w10`` before ``w2``. A number in a name is read as a number: 0.5, 2, 10."""
    from benchmark.figures import loss_styles
    from benchmark.stats import name_key, rank_order

    assert rank_order({"w10": 1.0, "w2": 1.0, "w1": 1.0, "best": 0.5, "none": float("nan")}) == [
        "best", "w1", "w2", "w10", "none"]
    sweep = ["l1 + 10*vgg", "l1 + 2*vgg", "l1 + 0.5*vgg", "l1 + 0.05*vgg", "l1 + 2*vgg [vgg16:random]"]
    styles = loss_styles(sweep)
    assert [s for s in styles if s != "input"] == [
        "l1 + 0.05*vgg", "l1 + 0.5*vgg", "l1 + 2*vgg", "l1 + 2*vgg [vgg16:random]", "l1 + 10*vgg"]
    assert sorted(["w10", "w02", "a", "A", "w2"], key=name_key) == ["A", "a", "w02", "w2", "w10"]
    from benchmark.export import JS

    assert "numeric:true" in JS  # report.html's click-to-sort on the loss column: l2 before l10, as the tables
