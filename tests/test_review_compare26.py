"""Session 26's review of the compare probe's commits (tests/test_probe_compare26.py)."""

from __future__ import annotations


def _meta(loss, it, seed=0):
    """A finished run's meta of ``loss`` in the setting of ``it`` iterations (denoise, tiny net)."""
    return {"run_id": f"{loss}{it}{seed}", "status": "ok", "code_version": "0.1.0+c1",
            "config": {"task": "denoise", "loss": loss, "seed": seed, "iterations": it, "net": "tiny"}}


def test_a_field_setting_s_size_counts_a_seed_run_under_two_spellings_of_one_loss_once():
    """Was (3cc7b3b9): _group_size counted a loss spelt two ways once but its runs by run id, so a seed it ran under
    both spellings (ffl and ffl(alpha=1) seed 0: a merge of two stores of one grid) counted twice — the board averages
    them into one run — and a setting of 2 losses × 2 seeds (6 run ids) outranked one of the same 2 losses with 5 runs
    (3 and 2 seeds): the new loss was compared against the smaller field. Now each such seed is one run."""
    from benchmark.compare import _group_size, field_groups

    twins = [_meta(loss, 2, seed) for loss in ("l1", "ffl", "ffl(alpha=1)") for seed in (0, 1)]  # 2 × 2 runs
    larger = [_meta("l1", 3, seed) for seed in (0, 1, 2)] + [_meta("ssim", 3, seed) for seed in (0, 1)]  # 5 runs
    assert _group_size(twins) == (2, 4)
    groups = field_groups(twins + larger, set())[0]["denoise"]
    assert [g[0]["config"]["iterations"] for g in groups] == [3, 2], groups
    # runs of one spelling and seed under two ids (a loss file edited between them: two rows) still count apart
    assert _group_size([_meta("l1", 2), {**_meta("l1", 2), "run_id": "other"}]) == (1, 2)
