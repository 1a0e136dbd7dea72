"""A new user's first hour, probed (18): flag, config file and api.run() checked in one order, each number once."""

import pytest
import torchvision.models  # noqa: F401  (what a backbone loss's check imports)

import benchmark.checkpoint  # noqa: F401  (what `run` imports, torch among them: imported once, not in a test's time)
import benchmark.executors  # noqa: F401
import benchmark.runner  # noqa: F401
from benchmark import api
from benchmark.cli import main
from benchmark.errors import UserError


@pytest.fixture
def a_file(tmp_path):
    """An --out that `run` refuses (a file in the way): nothing is read or trained past the checks."""
    p = tmp_path / "afile"
    p.write_text("mine\n")
    return p


def _last_error(capsys) -> str:
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_a_task_typo_beside_a_bad_lr_is_said_first_by_flag_config_file_and_api(tmp_path, a_file, capsys):
    """``api.run(tasks=['denoize'], lr=-1)`` and a config file's ``tasks: [denoize]`` + ``lr: -1`` said the lr (checked
    as the keywords or the file were read), ``run --tasks denoize --lr -1`` the task: one order now, the same line."""
    assert main(["run", "--tasks", "denoize", "--lr", "-1", "--out", str(a_file)]) == 2
    flag = _last_error(capsys)
    assert flag.startswith("error: unknown task 'denoize'; did you mean denoise"), flag
    (tmp_path / "g.yaml").write_text("tasks: [denoize]\nlr: -1\n")
    assert main(["run", "--config", str(tmp_path / "g.yaml"), "--out", str(a_file)]) == 2
    assert _last_error(capsys) == flag.replace("error: ", "error: g.yaml: ", 1)
    with pytest.raises(UserError) as e:
        api.run(tasks=["denoize"], lr=-1, out=str(a_file))
    assert str(e.value).startswith("api.run(): unknown task 'denoize'; did you mean denoise"), e.value
    assert str(e.value).split("; did you mean")[1].split(" (")[0] == flag.split("; did you mean")[1].split(" (")[0]


def test_a_config_files_bad_number_is_overridden_by_its_flag_and_still_said_by_the_file_alone(tmp_path, a_file,
                                                                                             capsys):
    """A flag replaces the file's value; `--config g.yaml --lr 0.01` was refused for the file's `lr: -1` it replaced."""
    (tmp_path / "g.yaml").write_text("tasks: [denoise]\nlosses: [l1]\nseeds: [0]\nlr: -1\n")
    assert main(["run", "--config", str(tmp_path / "g.yaml"), "--lr", "0.01", "--out", str(a_file)]) == 2
    assert _last_error(capsys) == f"error: results directory {a_file} exists and is not a directory"
    assert main(["run", "--config", str(tmp_path / "g.yaml"), "--out", str(a_file)]) == 2
    assert _last_error(capsys) == "error: g.yaml: lr must be positive, got -1.0"
    with pytest.raises(UserError, match=r"^g\.yaml: lr must be positive, got -1\.0$"):
        api.run(tmp_path / "g.yaml", out=str(a_file))
    with pytest.raises(UserError, match=f"^results directory {a_file} exists"):
        api.run(tmp_path / "g.yaml", lr=0.01, out=str(a_file))


@pytest.mark.parametrize("how", ["flags", "config", "api"])
def test_the_numbers_are_checked_once_per_invocation(tmp_path, a_file, monkeypatch, how):
    """`check_numbers` ran twice for every `run` (before check_grid, then inside it) and three times for a config
    file or api.run() (also as it was read): once is enough, in the one sequence of checks."""
    import benchmark.config as config

    calls = []
    original = config.check_numbers
    monkeypatch.setattr(config, "check_numbers", lambda s: (calls.append(s), original(s))[1])
    (tmp_path / "g.yaml").write_text("tasks: [denoise]\nlosses: [l1]\nseeds: [0]\n")
    with pytest.raises(UserError, match="exists and is not a directory"):
        if how == "api":
            api.run(tasks=["denoise"], losses=["l1"], seeds=[0], out=str(a_file))
        else:
            from benchmark.cli import build_parser, cmd_run  # main() would turn the error into an exit code

            grid = ["--config", str(tmp_path / "g.yaml")] if how == "config" else \
                ["--tasks", "denoise", "--losses", "l1", "--seeds", "0"]
            cmd_run(build_parser().parse_args(["run", *grid, "--out", str(a_file)]))
    assert len(calls) == 1, calls


@pytest.mark.parametrize("text, key, whose", [
    ("iterations:\n", "iterations", "the profile's"),
    ("lr:\n", "lr", "the profile's"),
    ("profile:\n", "profile", "its default"),
    ("out:\n", "out", "its default"),
    ("max_train_images: ~\n", "max_train_images", "its default"),
    ("executor: {name: slurm, time: null}\n", "executor.time", "its default"),
    ("executor:\n  name:\n  workers: 2\n", "executor.name", "its default"),
])
def test_a_setting_left_without_its_value_in_a_config_file_is_refused(tmp_path, a_file, capsys, text, key, whose):
    """`iterations:` with its number forgotten (YAML null) trained the profile's 120 iterations without a word, `out:`
    wrote into results/, where `losses:` without its list is refused (a4f8bb6): every setting alike, as the file's."""
    from benchmark.config import GridSpec

    (tmp_path / "grid.yaml").write_text(text)
    said = f"grid.yaml: {key}: has no value: give one, or leave {key} out for {whose}"
    assert main(["run", "--config", str(tmp_path / "grid.yaml"), "--out", str(a_file)]) == 2
    assert _last_error(capsys) == f"error: {said}"
    if "." not in key:  # a keyword's None is one not given, as before
        assert getattr(GridSpec.from_mapping({key: None}, "api.run()"), key) is None


def test_an_executor_block_without_a_name_is_still_the_grids_executor_by_default(tmp_path):
    from benchmark.config import GridSpec

    (tmp_path / "grid.yaml").write_text("executor: {workers: 2}\niterations: 5\n")
    spec = GridSpec.from_file(tmp_path / "grid.yaml")
    assert (spec.executor, spec.workers, spec.resolved().executor) == (None, "2", "local")


@pytest.mark.parametrize("argv, says", [
    (["status"], "error: unknown command 'status' (commands: run, list, report, weights, pretrain, compare, perf, "
                 "findings, calibrate, check, merge; `plbench -h` describes them)"),
    (["-q", "status", "--out", "r"], "error: unknown command 'status' (commands: run, "),
    (["grid.yaml"], "error: unknown command 'grid.yaml'; a config file is run with `plbench run --config grid.yaml`"),
    (["my_loss.py"], "error: unknown command 'my_loss.py'; a loss file is run with `plbench run --loss-file "
                     "my_loss.py`"),
])
def test_a_word_that_is_no_command_is_named_so_not_an_argument_of_run(argv, says, capsys, tmp_path, monkeypatch):
    """`plbench status` (or `plbench grid.yaml`) said 'unrecognized arguments: status (`plbench run -h` shows the
    options)', sending a new user to run's options; a close misspelling (`reprot`) was already named a command."""
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(says) and err.count("\n") == 1, err
    assert not (tmp_path / "results").exists() and not (tmp_path / "r").exists()


def test_api_run_takes_a_mapping_or_the_gridspec_it_exports_as_its_config(a_file):
    """`api.run({'tasks': ['denoise']})` — a config file's settings as a dict — and `api.run(api.GridSpec(...))`, the
    class api exports for them, failed with TypeError: expected str, bytes or os.PathLike object: both are a grid now,
    checked as keywords are; anything else is one line."""
    from benchmark.config import GridSpec

    with pytest.raises(UserError, match=r"^api\.run\(\): unknown task 'denoize'; did you mean denoise"):
        api.run({"tasks": ["denoize"]}, out=str(a_file))
    with pytest.raises(UserError, match=r"^api\.run\(\): iterations must be positive, got 0$"):
        api.run(api.GridSpec(tasks=("denoise",), iterations=0), out=str(a_file))
    with pytest.raises(UserError, match=r"^api\.run\(\): task 'denoise': sigma must be in \(0, 1\)"):
        api.run(GridSpec(tasks=("denoise",), task_params=(("denoise", (("sigma", 2.0),)),)), out=str(a_file))
    with pytest.raises(UserError, match=f"^results directory {a_file} exists and is not a directory$"):
        api.run({"tasks": ["denoise"], "losses": ["l1"], "seeds": [0]}, iterations=5, out=str(a_file))
    with pytest.raises(UserError, match=f"^results directory {a_file} exists"):
        api.run(GridSpec(tasks=("denoise",), losses=("l1",), seeds=(0,), loss_tasks=(("l1", ("denoise",)),)),
                out=str(a_file))
    with pytest.raises(UserError) as e:
        api.run(42, out=str(a_file))
    assert str(e.value) == ("api.run(): config is a config file's path, a mapping of settings or a GridSpec; "
                            "got 42 (int)")


@pytest.mark.parametrize("name, data", [
    ("grid.toml", b'\xef\xbb\xbftasks = ["denoise"]\nlosses = ["l1"]\n'),  # Notepad's "UTF-8 with BOM"
    ("grid.yaml", "tasks: [denoise]\r\nlosses: [l1]\r\n".encode("utf-16")),  # PowerShell 5's `>`: UTF-16 with a BOM
    ("grid.toml", 'tasks = ["denoise"]\nlosses = ["l1"]\n'.encode("utf-16-be").join([b"\xfe\xff", b""])),
], ids=["toml-utf8-bom", "yaml-utf16le", "toml-utf16be"])
def test_a_config_file_saved_with_a_byte_order_mark_is_read(tmp_path, a_file, capsys, name, data):
    """A TOML file saved with a UTF-8 BOM was 'not valid TOML: Invalid statement (at line 1, column 1)' (the same
    file as YAML was read), and one saved as UTF-16 — PowerShell 5 writes `echo … > grid.yaml` so — 'not a text
    file (not UTF-8)'."""
    (tmp_path / name).write_bytes(data)
    assert main(["run", "--config", str(tmp_path / name), "--out", str(a_file)]) == 2
    assert _last_error(capsys) == f"error: results directory {a_file} exists and is not a directory"


def test_a_config_file_in_another_encoding_is_named_so_with_its_line(tmp_path, capsys):
    """A YAML file saved in Windows-1252 (an accent in a comment) was 'not a text file (not UTF-8)'."""
    (tmp_path / "grid.yaml").write_bytes("tasks: [denoise]\n# photos d'été\nlosses: [l1]\n".encode("cp1252"))
    assert main(["run", "--config", str(tmp_path / "grid.yaml"), "--out", str(tmp_path / "r")]) == 2
    assert _last_error(capsys) == ("error: grid.yaml is not UTF-8 text (line 2 holds the byte 0xe9, as Windows-1252 "
                                   "or Latin-1 write é): save it as UTF-8")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("text, said", [
    ("tasks:\n  - denoise\n    - sr4\n", "grid.yaml: tasks: ['denoise - sr4'] names 2 values: a config file's list is "
                                         "[denoise, sr4] (--tasks denoise sr4 on the command line); a `- sr4` line "
                                         "indented deeper than the item above it continues that item: indent the "
                                         "items alike"),
    ("seeds: 0 1\n", "grid.yaml: seeds: '0 1' names 2 values: a config file's list is [0, 1] (--seeds 0 1 on the "
                     "command line)"),
])
def test_a_list_item_indented_deeper_is_said_as_such_not_as_a_value_dash(tmp_path, text, said):
    """`- sr4` indented under `- denoise` (YAML reads 'denoise - sr4') was told 'a config file's list is [denoise, -,
    sr4]', a '-' task among them."""
    from benchmark.config import GridSpec

    (tmp_path / "grid.yaml").write_text(text)
    with pytest.raises(UserError) as e:
        GridSpec.from_file(tmp_path / "grid.yaml")
    assert str(e.value) == said


@pytest.mark.parametrize("spec, said", [
    ("vgg(layers=(relu1_2, relu2_2))", "loss spec 'vgg(layers=(relu1_2, relu2_2))': arguments must be literals: "
                                       "layers=(relu1_2, relu2_2) is not one; text is quoted, "
                                       "layers=('relu1_2', 'relu2_2') (on a command line inside double quotes: "
                                       "\"vgg(layers=('relu1_2', 'relu2_2'))\")"),
    ("l1 + 0.1*vgg(layers=relu2_2)", "loss spec 'l1 + 0.1*vgg(layers=relu2_2)': arguments must be literals: "
                                     "layers=relu2_2 is not one; text is quoted, layers='relu2_2' (on a command line "
                                     "inside double quotes: \"vgg(layers='relu2_2')\")"),
    ("charbonnier(eps=float('nan'))", "loss spec \"charbonnier(eps=float('nan'))\": arguments must be literals: "
                                      "eps=float('nan') is not one"),
])
def test_a_loss_argument_whose_quotes_the_shell_took_is_shown_quoted(spec, said, capsys):
    """`--losses 'vgg(layers=('relu1_2', 'relu2_2'))'` — the README's spec in single quotes, whose inner quotes the
    shell removes — was 'arguments must be literals', naming neither the argument nor the quotes it lacks."""
    assert main(["run", "--losses", spec, "--dry-run"]) == 2
    assert _last_error(capsys) == f"error: {said}"


@pytest.mark.parametrize("argv, said", [
    (["run", "--loss-file", "a.py", "b.py"], "error: unrecognized arguments: b.py; --loss-file takes one value at a "
                                            "time: --loss-file a.py --loss-file b.py (`plbench run -h` shows"),
    (["run", "--iterations", "100", "200"], "error: unrecognized arguments: 200; --iterations takes one value "
                                            "(`plbench run -h` shows"),
    (["compare", "--loss", "l1", "l2"], "error: unrecognized arguments: l2; --loss takes one value at a time: "
                                        "--loss l1 --loss l2, or several at once: --losses l1 l2 (`plbench compare"),
])
def test_a_second_value_after_a_one_value_option_is_said_so(argv, said, capsys):
    """`--loss-file a.py b.py`, as --losses and --train-data take several, was 'unrecognized arguments: b.py (`plbench
    run -h` shows the options)', not saying that --loss-file takes one file a time."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert _last_error(capsys).startswith(said)


def test_load_results_and_report_given_no_path_say_so_in_one_line():
    """`api.load_results(summary)` — what api.run() returned, not its out — and `api.report(42)` failed with
    TypeError: expected str, bytes or os.PathLike object."""
    from benchmark.runner import GridSummary

    for call, arg, said in ((api.load_results, GridSummary(), "GridSummary"), (api.report, 42, "42 (int)")):
        with pytest.raises(UserError) as e:
            call(arg)
        assert str(e.value).startswith("out is a results directory's path (api.run()'s out=), got ") \
            and said in str(e.value), e.value


@pytest.mark.parametrize("name", ["cpu", "standard-cpu", "configs/cpu.yaml"])
def test_a_shipped_config_named_as_a_profile_points_to_its_file(name, a_file, capsys, tmp_path, monkeypatch):
    """README calls configs/cpu.yaml 'the CPU profile': `--profile cpu` was 'unknown profile 'cpu' (choose from quick,
    standard, full)', and `--profile standard-cpu` (its 'CPU smoke subset') 'did you mean standard?' — the GPU profile,
    5,878 h on this CPU."""
    from pathlib import Path

    import benchmark

    shipped = Path(benchmark.__file__).resolve().parent / "configs" / f"{Path(name).stem}.yaml"
    mine = tmp_path / "mine"  # a folder holding a configs/<name>.yaml of its own: the shipped one named by its path
    (mine / "configs").mkdir(parents=True)
    (mine / "configs" / shipped.name).write_text("seeds: [7]\n")
    here = f"configs/{shipped.name}"  # as --config reads it from there: the shipped file, from a checkout or not
    for where, shown in ((shipped.parent.parent.parent, here), (tmp_path, here), (mine, str(shipped))):
        monkeypatch.chdir(where)
        assert main(["run", "--profile", name, "--out", str(a_file)]) == 2
        assert _last_error(capsys) == (f"error: unknown profile {name!r}: {shown} is a config file, run with --config "
                                       f"{shown} (profiles: quick, standard, full)")
