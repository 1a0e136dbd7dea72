"""Review of the newuser16 probe: every True/False parameter of :mod:`benchmark.api` (found by inspect, so a new one
is covered for free), a config file's ``losses:`` left empty, and the executor a message blames."""

import inspect
import typing

import numpy as np
import pytest

import benchmark.checkpoint  # noqa: F401  (what `run` imports, torch among them: imported once, not in a test's time)
import benchmark.executors  # noqa: F401
import benchmark.report
import benchmark.runner  # noqa: F401
from benchmark import api
from benchmark.config import GridSpec
from benchmark.errors import UserError
from benchmark.params import annotations_of


def _is_switch(tp) -> bool:
    return tp in (bool, "bool") or (typing.get_origin(tp) in (typing.Union, __import__("types").UnionType)
                                   and set(typing.get_args(tp)) == {bool, type(None)})


def _switches():
    """(api function, keyword) of every True/False parameter: its own, ``run``'s settings (GridSpec's) and
    ``report``'s options (write_report's)."""
    found = []
    for fn, extra in ((api.run, annotations_of(GridSpec)), (api.load_results, {}),
                      (api.report, dict(inspect.signature(benchmark.report.write_report).parameters))):
        own = {n: p.annotation for n, p in inspect.signature(fn).parameters.items()}
        extra = {n: getattr(p, "annotation", p) for n, p in extra.items()}
        found += [(fn.__name__, n) for n, tp in {**own, **extra}.items() if _is_switch(tp)]
    return found


SWITCHES = _switches()


def test_the_switches_are_found():
    assert {("run", "report"), ("run", "progress"), ("run", "budget_check"), ("run", "compile"),
            ("load_results", "budget_checks"), ("report", "visual"), ("report", "html")} <= set(SWITCHES)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A small results store (written once: only read)."""
    from benchmark.synthetic import write_store

    return write_store(tmp_path_factory.mktemp("r"), offsets={"l1": 0.0, "l2": 0.1}, seeds=(0,), metrics=("psnr",),
                       n_images=2).root


@pytest.fixture
def calls(store, tmp_path, monkeypatch):
    """Each api function on the store; planning or writing a report fails the test at once."""
    import benchmark.config

    def stop(*a, **k):
        raise AssertionError("went on")

    monkeypatch.setattr(benchmark.config, "build_configs", stop)
    monkeypatch.setattr(benchmark.report, "write_report", stop)
    return {"run": lambda **kw: api.run(out=str(tmp_path / "o"), **kw),
            "load_results": lambda **kw: api.load_results(store, **kw),
            "report": lambda **kw: api.report(store, **kw)}


@pytest.mark.parametrize("fn, name", SWITCHES)
def test_every_api_switch_takes_a_numpy_bool_and_refuses_a_word(fn, name, calls):
    """check_switch said it took a numpy bool, but matched the type name 'bool_' (numpy 2's is 'bool'): np.False_
    (what `(a > 0).any()` gives) was refused, and a setting (compile=np.False_) too, as 'got np.False_ (bool)'."""
    with pytest.raises(UserError) as e:
        calls[fn](**{name: "no"})
    assert name in str(e.value) and "\n" not in str(e.value)
    for value in (1, 0):  # not True or False: refused alike
        with pytest.raises(UserError):
            calls[fn](**{name: value})
    try:
        calls[fn](**{name: np.False_})
    except AssertionError:  # went on to plan or write: taken
        pass


@pytest.mark.parametrize("key", ["tasks", "losses", "seeds", "train_data", "test_data", "metrics"])
def test_a_list_setting_left_without_its_value_in_a_config_file_is_refused_as_an_empty_one(key, tmp_path):
    """`losses:` with its list forgotten (YAML null) ran the profile's losses without a word, while `losses: []` was
    refused: one line too, naming the file; api.run(losses=None) is a keyword not given, as before."""
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"{key}:\n")
    with pytest.raises(UserError) as e:
        GridSpec.from_file(grid)
    assert str(e.value) == f"grid.yaml: {key}: has no value: give its list, or leave {key} out for the profile's"
    assert getattr(GridSpec.from_mapping({key: None}, "api.run()"), key) is None


@pytest.mark.parametrize("flags, said", [(["--device", "tpu"], "error: --device: unknown device 'tpu': use auto, "),
                                         (["--device", "mps"], "error: --device: device 'mps' is not one plbench ")])
def test_a_device_typo_is_said_before_the_out_folders_refusal(flags, said, tmp_path, capsys):
    """As a typo in --loss-tasks (c1111c1): `--device tpu --out <a file>` was refused for its --out, and fixed that,
    the next try said the device: its name is checked with the grid's other names, in build_configs' words."""
    from benchmark.cli import main

    (tmp_path / "afile").write_text("")
    assert main(["run", *flags, "--out", str(tmp_path / "afile")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith(said)


def test_an_executors_setting_refused_blames_the_executor_where_it_was_chosen(tmp_path, capsys, monkeypatch):
    """`--slurm-partition gpu` beside a config file's `executor: ray` said 'this grid runs with --executor ray' (a
    flag never given), api.run(slurm_partition=…) 'runs with executor='ray''; the file that chose it is named."""
    import benchmark.config
    from benchmark.cli import main

    def planned(*a, **k):
        raise AssertionError("the grid was planned: the setting went unused")

    monkeypatch.setattr(benchmark.config, "build_configs", planned)
    grid = tmp_path / "grid.yaml"
    grid.write_text("executor: ray\n")
    assert main(["run", "--config", str(grid), "--slurm-partition", "gpu", "--out", str(tmp_path / "cli")]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: --slurm-partition is an option of --executor slurm, and this grid runs with the ray executor "
        "(grid.yaml): use --executor slurm, or drop it")
    with pytest.raises(UserError) as e:
        api.run(grid, slurm_partition="gpu", out=str(tmp_path / "api"), report=False)
    assert str(e.value) == ("api.run(): slurm_partition is a setting of executor='slurm', and this grid runs with the "
                            "ray executor (grid.yaml): pass executor='slurm', or drop it")


def test_a_config_files_executor_settings_a_flag_overrides_are_said_unused_in_one_line(tmp_path, caplog,
                                                                                          monkeypatch):
    """A file written for SLURM run here by `--executor local` leaves its SLURM settings unused, as documented (not
    refused: tests/test_probe_newuser11.py), but said nothing of it: one line now, by run and api.run alike."""
    import logging

    import benchmark.config
    from benchmark.cli import main

    def planned(*a, **k):
        raise SystemExit("planned")

    monkeypatch.setattr(benchmark.config, "build_configs", planned)
    grid = tmp_path / "grid.yaml"
    grid.write_text("executor: {name: slurm, partition: gpu, time: '4:00:00'}\n")
    said = "grid.yaml: executor.partition, executor.time unused: {} runs this grid"
    out = str(tmp_path / "o")
    for call, chose in ((lambda: main(["run", "--config", str(grid), "--executor", "local", "--out", out]),
                         "--executor local"), (lambda: api.run(grid, executor="local", out=out), "executor='local'")):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="benchmark.config"), pytest.raises(SystemExit):
            call()
        assert [r.getMessage() for r in caplog.records if "unused" in r.getMessage()] == [said.format(chose)]


@pytest.mark.parametrize("key", ["seeds", "metrics", "train_data", "test_data", "loss_files"])
def test_a_list_setting_written_as_a_mapping_is_said_as_the_mapping(key):
    """`seeds: {a: 1}` is read as a list of one mapping: the message said 'got [{'a': 1}] (a list)', a list the file
    never held, where every other value is said as written (26d5753)."""
    with pytest.raises(UserError) as e:
        GridSpec.from_mapping({key: {"a": 1}}, "grid.yaml")
    assert str(e.value).endswith(", got {'a': 1} (a mapping)"), str(e.value)


def test_numpy_numbers_are_taken_as_numpy_bools_are():
    """A numpy bool is taken (aa8aaad), but api.run(seeds=np.arange(3)), iterations=np.int64(100) or lr=np.float32(…)
    were refused ('expects a whole number, got np.int64(100) (int64)'): taken as the Python values they are."""
    spec = GridSpec.from_mapping(dict(seeds=np.arange(3), iterations=np.int64(100), crop=np.int32(64),
                                      lr=np.float32(0.5), metrics=np.array(["psnr", "ssim"])), "api.run()")
    assert (spec.seeds, spec.iterations, spec.crop, spec.lr, spec.metrics) == ((0, 1, 2), 100, 64, 0.5,
                                                                               ("psnr", "ssim"))
    assert all(type(v) is int for v in (*spec.seeds, spec.iterations, spec.crop)) and type(spec.lr) is float
    with pytest.raises(UserError, match=r"^api\.run\(\): setting iterations expects a whole number"):
        GridSpec.from_mapping(dict(iterations=np.True_), "api.run()")  # a bool is no number, numpy's neither


def test_a_saved_grid_is_read_back_without_another_executors_setting_refused(tmp_path):
    """545df8d refused a file naming one executor beside another's settings, but every grid `run` saves (re-run
    with --config, as README says) held slurm_time's default '8:00:00' beside `executor: local`: refused on its
    re-run (tests/test_probe_config.py). Saved now without another executor's settings; one saved before, whose
    slurm_time is the default, is read back as it was; a slurm_time written by hand is still refused."""
    from benchmark.config import check_executor_settings

    saved = GridSpec(executor="local", slurm_partition="gpu", ray_address="auto").resolved()
    mapping = saved.to_mapping()
    assert mapping["executor"] == "local" and not {"slurm_time", "slurm_partition", "ray_address"} & set(mapping)
    assert "slurm_time" in GridSpec(executor="slurm").resolved().to_mapping()  # its own executor's: kept
    grid = tmp_path / "grid.yaml"
    grid.write_text("executor: local\nslurm_time: '8:00:00'\n")  # as saved before
    spec = GridSpec.from_file(grid)
    check_executor_settings(spec, spec.resolved())
    grid.write_text("executor: local\nslurm_time: '4:00:00'\n")
    spec = GridSpec.from_file(grid)
    with pytest.raises(UserError, match=r"^grid\.yaml: slurm_time is a setting of the slurm executor"):
        check_executor_settings(spec, spec.resolved())
