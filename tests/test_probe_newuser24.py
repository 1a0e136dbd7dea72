"""Probe 24 of a new user's path: typos a first run makes, each one line naming the word and a close one."""

import pytest

from benchmark.devices import parse_device
from benchmark.errors import UserError


@pytest.mark.parametrize(("given", "meant"), [("cdua", "cuda"), ("cpuu", "cpu"), ("auot", "auto"), ("cuda0", "cuda:0"),
                                              ("gpu 1", "cuda:1"), ("cdua:1", "cuda:1")])
def test_a_misspelt_device_is_offered_its_close_name(given, meant):
    """``--device cdua`` said only 'use auto, cpu, cuda or cuda:N' (a case slip, ``CPU``, alone was offered its name),
    where ``--net smal`` says 'did you mean small?'."""
    with pytest.raises(UserError, match=rf"unknown device '{given}': .*; did you mean {meant}\?$"):
        parse_device(given)


def test_run_with_a_misspelt_device_is_one_line_naming_it_and_the_close_one(tmp_path, capsys):
    from benchmark.cli import main

    assert main(["run", "--device", "cdua", "--out", str(tmp_path / "r"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --device: unknown device 'cdua': use auto, cpu, cuda or cuda:N; did you mean cuda?"], err


def _all_busy_costs(monkeypatch, busy_l2: bool):
    """The cost table of a store of l1 and l2, 2 runs each on 1 CPU thread, l1's timed while other work held the
    cores (0.2 of a core), l2's too where ``busy_l2`` (a loaded 2-core machine), else with the core free."""
    from benchmark import stats as S
    from benchmark.synthetic import synthetic_runs

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    metas = []
    for _, meta, _rows in synthetic_runs(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.3}, seeds=range(2),
                                         metrics=("psnr",), n_images=2, budget_check=False):
        if "config" in meta:
            busy = meta["config"]["loss"] == "l1" or busy_l2
            meta = {**meta, "device": "cpu", "device_name": "AMD EPYC", "threads": 1, "timing_excluded": {},
                    "ms_per_it": 50.0, "cpu_share": 0.2 if busy else 0.95}
        metas.append(meta)
    return S.cost_table(metas)[0]


def test_the_busy_timing_note_of_a_grid_timed_busy_throughout_names_no_others(monkeypatch):
    """``compare``'s and the leaderboard's note on a grid trained on a loaded 2-core machine, every run timed busy,
    said 'ms/it of 3 runs (l1, l2, my_loss) was timed while …: in the median of l1, l2, my_loss, which have none, so
    it reads high next to the others'' — there were no others. Now it says every loss's ms/it reads high and what
    their order then rests on; a loss timed busy beside one timed free keeps its line."""
    from types import SimpleNamespace

    from benchmark.export import reads_high_cost_lines

    (line,) = reads_high_cost_lines(SimpleNamespace(costs=_all_busy_costs(monkeypatch, busy_l2=True)))
    assert line.startswith("ms/it of 4 runs (l1, l2) was timed while"), line
    assert "next to the others'" not in line and "which have none" not in line, line
    assert "in the median of every loss here, none of which has a run timed with the cores free" in line, line
    (line,) = reads_high_cost_lines(SimpleNamespace(costs=_all_busy_costs(monkeypatch, busy_l2=False)))
    assert "in the median of l1, which has none, so it reads high next to the others'" in line, line


def test_the_old_timing_note_of_a_store_timed_before_steady_timing_throughout_names_no_others():
    """The same note's sibling: a store whose every run was recorded before plbench timed the steady state said of
    them all 'in the median of l1, l2, with no such run of the same task, so it reads high next to the others''."""
    from types import SimpleNamespace

    import pandas as pd

    from benchmark.export import reads_high_cost_lines

    costs = pd.DataFrame({"label": ["l1", "l2"], "ms_per_it": [30.0, 40.0], "timed_with_warmup": [2, 2],
                          "warmup_left_out": [0, 0], "timed_busy": [0, 0]})
    (line,) = reads_high_cost_lines(SimpleNamespace(costs=costs))
    assert line.startswith("ms/it of 4 runs (l1, l2) was recorded before plbench timed the steady state"), line
    assert "next to the others'" not in line and "every loss here, none of which has a run timed in the steady" \
        in line, line
    (line,) = reads_high_cost_lines(SimpleNamespace(costs=costs.assign(timed_with_warmup=[2, 0])))
    assert "in the median of l1, with no such run of the same task, so it reads high next to the others'" in line


@pytest.mark.parametrize(("spec", "bad", "meant"), [("charbonnier(esp=0.1)", "esp", "eps"),
                                                     ("l1 + 0.1*pdl(layrs=('relu1_2',))", "layrs", "layers")])
def test_a_misspelt_loss_argument_is_offered_its_close_name(tmp_path, capsys, spec, bad, meant):
    """``--losses 'charbonnier(esp=0.1)'`` (or a config's ``{charbonnier: {esp: 0.1}}``) said 'loss 'charbonnier'
    has no argument 'esp' (it takes: eps)' with no guess, where a task's ``sigam`` is offered sigma."""
    from benchmark.cli import main

    assert main(["run", "--losses", spec, "--out", str(tmp_path / "r"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"has no argument '{bad}'; did you mean {meant}? (it takes: " in err[0], err


def test_a_misspelt_loss_file_in_a_config_is_offered_its_close_name(tmp_path, monkeypatch):
    """A config's ``loss_files: [mine/my_los.py]`` said only 'not found in …: relative paths in a config file are
    resolved against the current directory', where ``--loss-file mine/my_los.py`` is offered mine/my_loss.py."""
    from benchmark.config import GridSpec

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "my_loss.py").write_text("")
    (tmp_path / "grid.yaml").write_text("loss_files: [mine/my_los.py]\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"^grid\.yaml: loss file 'mine/my_los\.py' not found in .*; did you mean "
                                        r"mine/my_loss\.py\?$"):
        GridSpec.from_file("grid.yaml")


@pytest.mark.parametrize("given", ["coffe.png", "chelsea cat e.jpg"])
def test_a_misspelt_photo_as_a_source_is_told_its_name_and_that_one_image_is_no_dataset(tmp_path, capsys, given):
    """``--test-data photos/coffe.png`` said 'dataset folder not found: …/coffe.png; did you mean …/coffee.png?' — a
    file called a folder, and the name offered then refused ('is a file, not a dataset: pass its folder'): two tries
    to learn one thing. Now one line names the image, its close spelling and what a source of photos is."""
    from PIL import Image

    from benchmark.cli import main

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("coffee.png", "chelsea cat é.jpg"):
        Image.new("RGB", (16, 16)).save(photos / name)
    assert main(["run", "--test-data", str(photos / given), "--out", str(tmp_path / "r"), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: image file not found: {photos / given}; did you mean "), err
    assert err[0].endswith("? (and one image is no dataset: pass its folder, or a .txt file listing the images to "
                           "use, one path a line)"), err
