"""A new user's day on the merged code: README first commands, compare, own photos, typos, resume, report."""

from __future__ import annotations

import html

import pytest

from benchmark.data import DataSpec, load_images
from benchmark.errors import UserError


def _one_line(err) -> str:
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_a_misspelt_embedded_dataset_is_named_not_sent_to_the_hub(tmp_path, monkeypatch):
    """Was: `--test-data skimage-naturl:test` said it was a hub dataset not cached offline and advised
    `huggingface-cli download skimage-naturl`; the user meant the embedded skimage-natural."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse("skimage-naturl:test"))
    msg = _one_line(err)
    assert "did you mean skimage-natural" in msg
    assert "huggingface-cli" not in msg


def test_a_leaderboard_with_too_few_runs_does_not_speak_of_holm_over_0_comparisons():
    """Was: the quick profile's leaderboard (1 seed) said '▲/▼: significantly better/worse than `l1` (Holm over
    the 0 comparisons with the baseline …)' in markdown and HTML: a newcomer reads of a correction over nothing.
    Now the legend says no comparison was tested and why."""
    from benchmark import stats as S
    from benchmark.export import html_report, markdown
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.5}, seeds=(0,), metrics=("psnr",))
    st = S.compute(t, n_boot=50)
    assert st.cells["p_base"].notna().sum() == 0
    for text in (markdown(st), html_report(st, {})):
        assert "Holm over the 0 comparisons" not in text
        assert "none tested in this leaderboard: each needs the baseline and ≥ 5 paired runs" in text


FIELD = ["--losses", "l1", "--iterations", "2", "--crop", "32", "--batch-size", "2", "--metrics", "psnr",
         "--seeds", "0", "--no-budget-check", "--device", "cpu", "--no-progress", "-q", "--no-report"]
FAST = ["--device", "cpu", "--no-progress", "-q", "--no-visual", "--formats", "png", "--bootstrap", "100"]
MY_LOSS = ("import torch\nfrom benchmark.registry import register_loss\n\n"
           "@register_loss('journey3_grad', version='1')\nclass G(torch.nn.Module):\n"
           "    def forward(self, pred, target):\n        return (pred - target).abs().mean() * 1.5\n")


@pytest.mark.slow  # ≈ 14 s on 2 busy cores: a field of two tasks, then compare
def test_compare_on_some_tasks_keeps_the_other_tasks_in_the_stores_leaderboard(tmp_path):
    """Was: after a quick-profile field of five tasks, `compare --loss-file my_loss.py --tasks denoise sr4`
    rewrote the store's leaderboard.md, results.csv and figures with denoise and sr4 only (the report kept
    the settings of the asked tasks; every task's setting holds its parameters): the field's other tasks
    vanished from the user's leaderboard, nothing said. Now the report keeps every task of the field."""
    from benchmark.cli import main
    from benchmark.registry import LOSSES

    out = tmp_path / "r"
    assert main(["run", "--tasks", "denoise", "sr4", *FIELD, "--out", str(out)]) == 0
    f = tmp_path / "my_loss.py"
    f.write_text(MY_LOSS)
    try:
        assert main(["compare", "--loss-file", str(f), "--tasks", "denoise", "--out", str(out), *FAST]) == 0
    finally:
        LOSSES.remove("journey3_grad")
    board = (out / "leaderboard.md").read_text()
    assert "## denoise" in board and "## sr4" in board
    assert "journey3_grad" in board.split("## sr4")[0]  # the new loss where it was trained


def test_compare_says_when_the_new_loss_restores_worse_than_the_degraded_input(tmp_path):
    """Was: `compare` on the quick field gave the new loss 'rank 1' on sr4's psnr with no word that its run
    restored worse than the degraded input (−0.07 dB), which the leaderboard marks ⚠ and its P–D plane rings:
    a user reading compare/<loss>.md took it for the best. Now the summary says so, with the runs and gap."""
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    store = write_store(tmp_path, tasks=("denoise",), metrics=("psnr",), seeds=(0,), budget_check=False,
                        offsets={"l1": 0.0, "bad": -5.0, "good": 1.0})
    group = [m for m in store.metas() if m.get("kind") != "input"]
    text, _ = _summary(store, {"denoise": group}, ["bad", "good"], {"denoise": []}, 0.05, 50, "l1", ())
    bad, good = (part.lower() for part in text.split("**bad**")[1].split("**good**"))
    assert "worse than the degraded input" in bad and "1 of 1 run of" in bad and " db" in bad
    assert "worse than the degraded input" not in good


@pytest.mark.parametrize("key, value, listed", [("seeds", "0 1", "[0, 1]"), ("tasks", "denoise sr4", "[denoise, sr4]"),
                                                ("metrics", "psnr ssim", "[psnr, ssim]")])
def test_a_config_list_written_as_on_the_command_line_says_how_to_write_it(key, value, listed):
    """Was: `seeds: 0 1` in a config file (as `--seeds 0 1`) gave 'setting argument seeds expects tuple[int, ...]
    | None, got ['0 1'] (list)'; `tasks: denoise sr4` 'unknown task 'denoise sr4'; did you mean denoise?' (as if
    one task were misspelt). Losses already said it names 2 and how to list them; now every list setting does."""
    from benchmark.config import GridSpec

    with pytest.raises(UserError) as err:
        GridSpec.from_mapping({key: value}, source="grid.yaml")
    msg = _one_line(err)
    assert msg.startswith(f"grid.yaml: {key}: {value!r} names 2 values") and listed in msg


def test_check_counts_trained_runs_apart_from_the_degraded_inputs_scores(tmp_path, capsys):
    """Was: `plbench check` on the quick field plus one compared loss said '52 runs' where 47 were trained: the
    5 scorings of each task's degraded input were counted as runs. Now they are counted apart."""
    from benchmark.cli import main
    from benchmark.synthetic import write_store

    write_store(tmp_path, tasks=("denoise", "sr4"), metrics=("psnr",), seeds=(0, 1), budget_check=False,
                offsets={"l1": 0.0, "l2": 0.0})
    capsys.readouterr()
    assert main(["check", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert ": 8 runs (and 2 scorings of the degraded input), every record readable" in out, out


def test_the_overall_ranking_says_what_its_cost_columns_are():
    """Was: the overall ranking's `ms/it` and `peak MB` were explained nowhere (leaderboard, HTML or README): on
    the quick field l1 showed 447.1 ms/it while its five task runs had 239–1520 — the median, steady state,
    which a newcomer could not know. Now the legend says what each is."""
    from benchmark import stats as S
    from benchmark.export import html_report, markdown
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.5}, seeds=(0,), metrics=("psnr",))
    st = S.compute(t, n_boot=50)
    for text in (markdown(st), html.unescape(html_report(st, {})).replace("<code>", "`").replace("</code>", "`")):
        assert "`ms/it`: the median over the loss's runs of its steady-state training time per iteration" in text
        assert "`peak MiB`: the largest peak of GPU memory" in text


def test_the_task_tables_legend_says_what_rank_unconv_and_diverged_are():
    """Was: the legend above the task tables explained `seeds` and `< input` but not their `rank`, `unconv.`
    (1/1 on every quick-profile row) or `diverged` columns. Now it does, in markdown and HTML."""
    from benchmark import stats as S
    from benchmark.export import TASK_COLUMNS, html_report, markdown
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.5}, seeds=(0,), metrics=("psnr",))
    st = S.compute(t, n_boot=50)
    assert "`rank`" in TASK_COLUMNS and "`unconv.`" in TASK_COLUMNS and "`diverged`" in TASK_COLUMNS
    assert TASK_COLUMNS in markdown(st)
    assert TASK_COLUMNS in html.unescape(html_report(st, {})).replace("<code>", "`").replace("</code>", "`")


def test_a_misspelt_split_of_the_embedded_data_gets_the_closest_name():
    """Was: `--test-data skimage:tset` said 'has splits train, test, all; got 'tset'' with no suggestion, where
    flags, losses, tasks and settings all name the closest spelling."""
    with pytest.raises(UserError) as err:
        load_images(DataSpec.parse("skimage:tset"))
    assert "did you mean test?" in _one_line(err)
