"""Three small leftovers found probing --where, the lost-workers line and the README: each test failed on the code
before its fix."""

from __future__ import annotations

import re

import pytest

from benchmark.errors import UserError
from benchmark.settings import parse_where


@pytest.mark.parametrize("items", [["lr=1e-3", "lr=0.001"], ["lr=1e-3 lr=0.001"],
                                   ["iterations=300", "iterations=300.0"], ["denoise.sigma=0.1", "denoise.sigma=.10"]])
def test_one_number_written_two_ways_in_where_is_one_value_not_given_twice(items):
    """`--where lr=1e-3 lr=0.001` was refused as "lr is given twice (1e-3 and 0.001)": the values were compared as
    text, though a run's value matches both (settings._equal compares numbers as numbers). Now they are one value,
    kept as first written; two different values are still refused."""
    key = items[0].split()[0].partition("=")[0]
    assert parse_where(items) == {key: items[0].split()[0].partition("=")[2]}


@pytest.mark.parametrize("items,said", [(["lr=1e-3", "lr=0.01"], "--where lr is given twice (1e-3 and 0.01)"),
                                        (["net=tiny", "net=small"], "--where net is given twice (tiny and small)"),
                                        (["lr=nan", "lr=nan2"], "--where lr is given twice (nan and nan2)")])
def test_really_different_where_values_are_still_refused(items, said):
    with pytest.raises(UserError, match="^" + re.escape(said)):
        parse_where(items)
