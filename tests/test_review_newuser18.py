"""Review of probe-newuser (18): a GridSpec read from a file keeps its file's name in api.run()'s messages, a file or
folder named as the first word is not taken for a misspelt command, the shipped-config hint in api.run()'s words,
and a UTF-16 config without its byte-order mark."""

import pytest
import torchvision.models  # noqa: F401  (what a backbone loss's check imports: imported once, not in a test's time)

import benchmark.checkpoint  # noqa: F401
import benchmark.executors  # noqa: F401
import benchmark.runner  # noqa: F401
from benchmark import api
from benchmark.cli import main
from benchmark.config import GridSpec
from benchmark.errors import UserError


@pytest.fixture
def a_file(tmp_path):
    """An --out that `run` refuses (a file in the way): nothing is read or trained past the checks."""
    p = tmp_path / "afile"
    p.write_text("mine\n")
    return p


def test_api_run_of_a_gridspec_read_from_a_file_names_the_file_for_its_bad_number(tmp_path, a_file):
    """``api.run(GridSpec.from_file('g.yaml'))`` with ``lr: -1`` said 'api.run(): lr must be positive': the file's
    numbers are checked in run's sequence now (8c354c5), and the GridSpec was re-read as keywords (76fc5b2)."""
    (tmp_path / "g.yaml").write_text("tasks: [denoise]\nlosses: [l1]\nlr: -1\n")
    with pytest.raises(UserError, match=r"^g\.yaml: lr must be positive, got -1"):
        api.run(GridSpec.from_file(tmp_path / "g.yaml"), out=str(a_file))
    with pytest.raises(UserError, match=r"^api\.run\(\): lr must be positive, got -2"):  # a keyword over it: its own
        api.run(GridSpec.from_file(tmp_path / "g.yaml"), lr=-2, out=str(a_file))
    (tmp_path / "w.yaml").write_text("tasks: [denoise]\nlosses: [l1]\nexecutor: {name: local, workers: 0}\n")
    with pytest.raises(UserError, match=r"^w\.yaml: executor\.workers must be at least 1, got 0"):
        api.run(GridSpec.from_file(tmp_path / "w.yaml"), out=str(a_file))


@pytest.mark.parametrize("word, says", [
    ("merge.yaml", "a config file is run with `plbench run --config merge.yaml`"),
    ("lists.py", "a loss file is run with `plbench run --loss-file lists.py`"),
    ("perf.toml", "a config file is run with `plbench run --config perf.toml`"),
    ("runs/", "(commands: run, "),
    ("report", None),
])
def test_a_file_or_folder_as_the_first_word_is_not_a_misspelt_command(word, says, capsys, tmp_path, monkeypatch):
    """``plbench merge.yaml`` was 'did you mean merge?', ``plbench runs/`` 'did you mean run?': a file's suffix or a
    path's slash says what it is."""
    monkeypatch.chdir(tmp_path)
    if says is None:  # a folder that exists, named bare: no command's misspelling either
        (tmp_path / "reports").mkdir()
        word, says = "reports", "(commands: run, "
    assert main([word]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "did you mean" not in err and says in err, err


def test_a_shipped_config_named_as_a_profile_in_api_run_is_told_as_its_keyword(a_file):
    """``api.run(profile='cpu')`` was told to 'run with --config configs/cpu.yaml', a flag api.run() has not."""
    with pytest.raises(UserError) as e:
        api.run(profile="cpu", out=str(a_file))
    said = str(e.value)
    assert said.startswith("api.run(): unknown profile 'cpu': ") and "--config" not in said, said
    assert "pass config=" in said and "cpu.yaml" in said, said


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_config_without_its_byte_order_mark_is_read(tmp_path, a_file, capsys, codec):
    """UTF-16 without a BOM (``[IO.File]::WriteAllText`` with ``UnicodeEncoding($false, $false)``): its ASCII read as
    UTF-8 holds NULs, 'a binary file: a config is YAML'; with an accent, 'not a text file (not UTF-8)'."""
    (tmp_path / "g.yaml").write_bytes("# réglages\ntasks: [denoize]\n".encode(codec))
    assert main(["run", "--config", str(tmp_path / "g.yaml"), "--out", str(a_file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: g.yaml: unknown task 'denoize'"), err


@pytest.mark.parametrize("argv, flag", [
    (["compare", "--loss", "l1", "--iterations", "50"], "--iterations"),
    (["compare", "--config", "configs/cpu.yaml"], "--config"),
    (["compare", "--loss", "l1", "--seeds", "0", "1", "--crop", "32"], "--seeds"),
])
def test_compare_given_an_option_of_run_says_it_trains_at_the_fields_settings(argv, flag, capsys):
    """``compare --iterations 50`` was 'unrecognized arguments: --iterations 50 (`plbench compare -h` shows the
    options)': a new user's try at a shorter comparison; compare trains at its field's own settings, which it takes
    from the runs in --out."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert f"{flag} is an option of run: compare trains at the settings of the field's runs in --out" \
        in err, err


@pytest.mark.parametrize("argv, says", [
    (["-v", "list", "tasks"], "unrecognized arguments: -v (`plbench list -h` shows the options)"),
    (["--verbose", "-q", "report"], "unrecognized arguments: --verbose (`plbench report -h` shows the options)"),
])
def test_an_unknown_option_before_the_command_is_said_by_that_command(argv, says, capsys):
    """``plbench -v list tasks`` was 'unrecognized arguments: -v list tasks (`plbench run -h` shows the options)': the
    command and its words taken as arguments of run."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {says}", err


def test_a_loss_item_indented_deeper_is_said_as_such_not_as_a_subtraction(tmp_path, a_file, capsys):
    """``losses: - l1 / '    - ssim'`` (YAML folds it into 'l1 - ssim') was told 'terms are added, never subtracted:
    weights must be positive', where tasks, seeds and metrics say the indentation (9de9b19)."""
    (tmp_path / "g.yaml").write_text("tasks: [denoise]\nlosses:\n  - l1\n    - ssim\n")
    assert main(["run", "--config", str(tmp_path / "g.yaml"), "--out", str(a_file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: g.yaml: losses: 'l1 - ssim' is one item: a `- ssim` line indented deeper than "
                          "the item above it continues that item: indent the items alike"), err


@pytest.mark.parametrize("key", ["train_data", "test_data", "loss_files"])
def test_a_path_item_indented_deeper_is_said_as_such_not_as_a_missing_path(tmp_path, a_file, capsys, key,
                                                                          monkeypatch):
    """``train_data: - d1 / '    - d2'`` was 'dataset folder not found: d1 - d2', ``loss_files`` 'loss file 'a.py -
    b.py' not found': the same fold; a folder whose name holds ' - ' is still read as one."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.yaml").write_text(f"tasks: [denoise]\nlosses: [l1]\n{key}:\n  - d1\n    - d2\n")
    assert main(["run", "--config", "g.yaml", "--out", str(a_file)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == (f"error: g.yaml: {key}: 'd1 - d2' is one item: a `- d2` line indented deeper than the item above "
                   "it continues that item: indent the items alike"), err
    (tmp_path / "d1 - d2").mkdir()
    assert main(["run", "--config", "g.yaml", "--out", str(a_file)]) == 2
    assert "is one item" not in capsys.readouterr().err
