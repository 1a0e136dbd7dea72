"""Review of the figures15 probe (natural name order, budget checks on metrics with no finite score)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest


@pytest.fixture(scope="module", autouse=True)
def _imported():
    """What the tests' calls import on first use (pandas through :mod:`benchmark.export`): once for the file."""
    import benchmark.export  # noqa: F401


def test_name_order_reads_decimals_and_exponents_as_numbers_and_the_pages_sort_agrees_with_the_tables():
    """``name_key`` read ``1e-3`` as 1, ``e-``, 3 (so a sweep ``1e-2, 1e-3, 1e-4`` listed backwards, after
    ``0.5``), and report.html's click-to-sort (localeCompare numeric) put ``0.5`` before ``0.25``: the page's order of
    tied names disagreed with the tables'. One order: numbers as numbers, decimals and exponents included."""
    from benchmark.stats import name_key, rank_order

    sweep = ["l1 + 1e-2*vgg", "l1 + 0.5*vgg", "l1 + 1e-4*vgg", "l1 + 0.25*vgg", "l1 + 1e-3*vgg", "l1 + 2*vgg"]
    want = ["l1 + 1e-4*vgg", "l1 + 1e-3*vgg", "l1 + 1e-2*vgg", "l1 + 0.25*vgg", "l1 + 0.5*vgg", "l1 + 2*vgg"]
    assert rank_order(dict.fromkeys(sweep, 2.0)) == want
    odd = ["a1", "a01", "L1", "l1", "w1.10", "w1.2", "x٣", "x3", "", "1", "a" + "9" * 400, "a" + "9" * 401, ".5", "w",
           "w1e999", "w1e998"]
    names = sorted(odd + sweep, key=name_key)
    assert len(set(map(name_key, names))) == len(names)  # a total order: names equal as numbers differ by the string
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node to run report.html's sort")
    from benchmark.export import NAME_CMP

    script = NAME_CMP + f"console.log(JSON.stringify({json.dumps(names[::-1])}.sort(nameCmp)));"
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=20, check=True).stdout
    assert json.loads(out) == names
