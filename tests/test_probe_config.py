"""Probe round (configuration and spec grammar): config files whose shape or YAML spelling crashed
or was misread, and loss/task spec forms that must plan the same runs (benchmark/config.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmark.cli import build_parser, grid_spec
from benchmark.config import GridSpec
from benchmark.errors import UserError


def _spec(*argv) -> GridSpec:
    return grid_spec(build_parser().parse_args(["run", *argv]))


def _file(tmp_path, text: str):
    f = tmp_path / "grid.yaml"
    f.write_text(text)
    return f


@pytest.mark.parametrize("text, pattern", [
    # were AttributeError ("'list' object has no attribute 'items'"): an internal error
    ("tasks: {denoise: [0.1]}\n", r"grid\.yaml: the parameters of task 'denoise' are a mapping \{name: value\}"),
    ("tasks: {denoise: 'sigma=0.1'}\n", r"the parameters of task 'denoise' are a mapping"),
    ("losses: [{pdl: [1, 2]}]\n", r"grid\.yaml: the arguments of loss 'pdl' are a mapping \{argument: value\}"),
    ("losses: [{charbonnier: 'eps=1'}]\n", r"the arguments of loss 'charbonnier' are a mapping"),
    # were TypeError (unhashable type): a list or mapping as a key
    ("? [a]\n: 1\n", r"grid\.yaml: line 1: a config key is a name, not a list"),
    ("{[lr]: 1}\n", r"a config key is a name, not a list"),
    ("tasks: {? {a: 1} : 2}\n", r"a config key is a name, not a mapping"),
    ("tasks: [{denoise: {sigma: 0.1}}, {denoise: {sigma: 0.2}}]\n", r"task 'denoise' is given twice with different"),
    ("tasks: [{denoise: {}, sr4: {}}]\n", r"a task is a name or \{name: \{parameter: value\}\}"),
    ("tasks: {denoise: {sigma: 0.1}}\ntask_params: {denoise: {sigma: 0.1}}\n", r"under tasks and under task_params"),
])
def test_config_shapes_that_crashed_are_one_line_errors(tmp_path, text, pattern):
    with pytest.raises(UserError, match=pattern):
        GridSpec.from_file(_file(tmp_path, text))


def test_scientific_notation_is_a_float(tmp_path):
    """PyYAML reads ``1e-3`` (no dot) as a string: ``lr: 1e-3`` was refused as "expects float, got
    '1e-3' (str)", and so were task parameters and loss arguments written that way."""
    spec = GridSpec.from_file(_file(tmp_path, "lr: 1e-3\ntasks: {denoise: {sigma: 1e-1}}\n"
                                              "losses: [{charbonnier: {eps: 1e-3}}, '1e-2*l1']\n"))
    assert spec.lr == 0.001 and dict(spec.task_params)["denoise"] == (("sigma", 0.1),)
    assert spec.losses == ("charbonnier(eps=0.001)", "1e-2*l1")
    assert GridSpec.from_file(_file(tmp_path, "out: 1.0.0\nslurm_mem: 1e\n")).out == "1.0.0"  # strings stay strings


def test_yaml_merge_keys_are_read(tmp_path):
    """``<<: *defaults`` is YAML; it was "not valid YAML: could not determine a constructor for the tag
    'tag:yaml.org,2002:merge'". A key beside the merge overrides the merged one (YAML's rule), not a
    duplicate; a key written twice is still refused."""
    spec = GridSpec.from_file(_file(tmp_path, "<<: {lr: 0.1, iterations: 5}\nlr: 0.2\n"))
    assert (spec.lr, spec.iterations) == (0.2, 5)
    with pytest.raises(UserError, match="config key 'lr' is given twice"):
        GridSpec.from_file(_file(tmp_path, "lr: 0.2\n<<: {lr: 0.1}\nlr: 0.3\n"))


def test_tasks_as_a_list_with_parameters_and_task_params_as_a_mapping(tmp_path):
    """``tasks: [{denoise: {sigma: 0.1}}, sr4]`` (the list form losses also take) and
    ``task_params: {denoise: {sigma: 0.1}}`` (a listed setting; its mapping was a type error naming
    the internal tuple type) plan what the documented mapping form plans."""
    want = _spec("--config", str(_file(tmp_path, "tasks: {denoise: {sigma: 0.1}, sr4: {}}\n"))).resolved()
    for text in ("tasks: [{denoise: {sigma: 0.1}}, sr4]\n", "tasks: [{denoise: {sigma: 0.1}}, {sr4: null}]\n",
                 "tasks: [denoise, sr4]\ntask_params: {denoise: {sigma: 0.1}}\n"):
        got = _spec("--config", str(_file(tmp_path, text))).resolved()
        assert (got.tasks, got.task_params) == (want.tasks, want.task_params), text


def test_a_misspelt_executor_in_a_config_is_named(tmp_path):
    """``executor: {name: locl}`` was refused for ``--device auto`` ("the runs would be planned for
    this machine's device ... pass --device cuda or --device cpu"), not for the typo."""
    from benchmark.config import EXECUTOR_NAMES, build_configs
    from benchmark.executors import EXECUTORS

    assert EXECUTOR_NAMES == EXECUTORS
    f = _file(tmp_path, "executor: {name: locl}\n")
    with pytest.raises(UserError, match=r"unknown executor 'locl'; did you mean local\?"):
        build_configs(_spec("--config", str(f), "--tasks", "denoise", "--losses", "l1", "--seeds", "0"))


def test_a_task_parameter_given_twice_with_two_values_is_refused():
    """``--task-param denoise.sigma=0.1 --task-param denoise.sigma=0.2`` ran sigma 0.2 silently."""
    with pytest.raises(UserError, match=r"--task-param denoise\.sigma is given twice \(0\.1 and 0\.2\): keep one"):
        _spec("--tasks", "denoise", "--task-param", "denoise.sigma=0.1", "--task-param", "denoise.sigma=0.2")
    spec = _spec("--tasks", "denoise", "--task-param", "denoise.sigma=0.1", "--task-param", "denoise.sigma=0.10")
    assert dict(spec.task_params)["denoise"] == (("sigma", 0.1),)  # the same value twice is one value


def test_the_saved_grid_of_a_loss_file_run_names_its_losses_and_replans_the_same_runs(tmp_path):
    """``run --loss-file F`` (no --losses) trains F's losses, but the saved grid listed the quick
    profile's nine losses: re-running it as ``--config`` trained those and not F's."""
    from benchmark.cli import main
    from benchmark.config import build_configs, run_id
    from benchmark.runner import DataCache

    loss = tmp_path / "probe_cfg_loss.py"
    loss.write_text("import torch\nfrom benchmark.registry import register_loss\n\n\n"
                    "@register_loss('probe_cfg_l1', version='1')\nclass L(torch.nn.Module):\n"
                    "    def forward(self, pred, target):\n        return (pred - target).abs().mean()\n")
    out = tmp_path / "r"
    argv = ["--loss-file", str(loss), "--tasks", "denoise", "--seeds", "0", "--iterations", "2", "--crop", "16",
            "--batch-size", "2", "--max-train-images", "1", "--metrics", "psnr", "--no-budget-check",
            "--device", "cpu", "--out", str(out)]
    from benchmark.registry import LOSSES

    try:
        assert main(["run", *argv, "--no-progress", "--no-report", "-q"]) == 0
        (saved,) = list((out / "grids").glob("*.yaml"))
        assert GridSpec.from_file(saved).losses == ("probe_cfg_l1",)
        data = DataCache()
        first = [run_id(c) for c in build_configs(_spec(*argv), data)[0]]
        again = [run_id(c) for c in build_configs(_spec("--config", str(saved)), data)[0]]
        assert again == first
    finally:  # a throw-away loss: later tests list every registered loss (test_list_weights)
        LOSSES.remove("probe_cfg_l1")


@pytest.mark.parametrize("spec, canonical", [
    ("2*0.5*l1", "l1"),                          # was "only number*loss products are allowed"
    ("0.5*2*l2 + 2*3*l1", "l2 + 6*l1"),
    ("0.1*0.2*l1", "0.02*l1"),                   # as 0.1*(0.2*l1): one weight, to 15 digits
    ("(2*0.5)*(3*l1)", "3*l1"),
])
def test_a_product_of_numbers_is_one_weight(spec, canonical):
    from benchmark.lossfn import canonical_spec

    assert canonical_spec(spec) == canonical == canonical_spec(canonical)


@pytest.mark.parametrize("spec", ["l1 # + 0.1*vgg", "l1 + 0.1*vgg  # perceptual", "l1#"])
def test_a_comment_in_a_loss_spec_is_refused(spec):
    """``'l1 # + 0.1*vgg'`` trained ``l1``: Python's parser dropped the rest as a comment."""
    from benchmark.lossfn import canonical_spec

    with pytest.raises(UserError, match=r"'#' outside quotes would end the spec there"):
        canonical_spec(spec)
    assert canonical_spec("pdl(weights='a#b.pt')") == "pdl(weights='a#b.pt')"  # inside quotes: part of a value


@pytest.mark.parametrize("a, b", [
    ("0.5*l1 + 0.5*l2", "0.5*l2+0.5*l1"),                       # term order
    ("charbonnier(eps=1)", "charbonnier(eps=1.0)"),              # an int for a float argument
    ("pdl(layers=['relu1_2'])", "pdl(layers=('relu1_2',))"),    # the command line's list, a config file's tuple
    ("charbonnier", "charbonnier(eps=0.001)"),                   # a default given
    ("l1 + 0.1*charbonnier(eps=1e-3)", "0.1*charbonnier + l1"),
])
def test_one_loss_written_two_ways_runs_once_with_a_warning(a, b, caplog):
    """Each spelling has its own run id (changing that would orphan cached runs), so one grid naming
    both trained the same loss twice and showed it as two leaderboard rows, without a word."""
    import logging

    from benchmark.config import expand_losses
    from benchmark.lossfn import canonical_spec

    with caplog.at_level(logging.WARNING, logger="benchmark.config"):
        assert expand_losses([a, b]) == [canonical_spec(a)]
    assert f"{canonical_spec(b)} is {canonical_spec(a)} written differently" in caplog.text
    assert canonical_spec(a) != canonical_spec(b)  # the ids stay as they were


def test_arguments_the_runner_fills_are_not_defaults():
    """``vgg(weights='pretrained')`` is not ``vgg`` (the run's --backbone-weights fill it), nor is
    ``vgg(seed=0)`` (the run's seed): they stay distinct losses."""
    from benchmark.config import expand_losses

    specs = ["vgg", "vgg(weights='pretrained')", "vgg(seed=0)", "pdl", "pdl(layers=('relu1_2',))"]
    assert expand_losses(specs) == specs


def test_loss_tasks_finds_the_grids_spelling_of_a_loss():
    from benchmark.config import _restricted_tasks

    only = _restricted_tasks((("charbonnier(eps=1e-3)", ("sr4",)),), ["charbonnier", "l1"], ["denoise", "sr4"])
    assert only == {"charbonnier": ("sr4",)}


def test_every_boolean_setting_of_a_config_can_be_turned_off_by_a_flag(tmp_path):
    """Flags override the file, but ``compile: true`` in a config had no flag to undo it
    (``--compile`` only turned it on)."""
    f = _file(tmp_path, "compile: true\nbudget_check: true\n")
    spec = _spec("--config", str(f), "--no-compile", "--no-budget-check")
    assert (spec.compile, spec.budget_check) == (False, False)
    assert _spec("--config", str(f)).compile is True and _spec("--compile").compile is True
    assert _spec().compile is None  # not given: the profile's (off)


@pytest.mark.parametrize("token, flags, mapping", [
    ("denoise(sigma=0.1)", "denoise.sigma=0.1", "{denoise: {sigma: 0.1}}"),
    ("denoise.sigma=0.1", "denoise.sigma=0.1", "{denoise: {sigma: 0.1}}"),
    ("deblur(gaussian_sigma=(1.0, 2.0), p_motion=0)", "deblur.gaussian_sigma=(1.0, 2.0) deblur.p_motion=0",
     "{deblur: {gaussian_sigma: [1.0, 2.0], p_motion: 0}}"),
])
def test_a_task_written_with_parameters_says_where_they_go(token, flags, mapping):
    """``--tasks 'denoise(sigma=0.1)'`` (the loss grammar) was "unknown task ...; did you mean denoise?"."""
    import re

    from benchmark.config import build_configs

    with pytest.raises(UserError, match=re.escape(f"task {token!r}: a task is a name; its parameters go in "
                                                  f"--task-param {flags} (or a config file's tasks: {mapping})")):
        build_configs(_spec("--tasks", token, "--losses", "l1"))


def test_task_param_and_loss_tasks_take_several_values():
    """``--task-param denoise.sigma=0.1 sr4.scale=2`` was "unrecognized arguments: sr4.scale=2"."""
    spec = _spec("--tasks", "denoise", "sr4", "--task-param", "denoise.sigma=0.1", "sr4.scale=2",
                 "--task-param", "denoise.clip=False", "--loss-tasks", "vgg=sr4", "l2=denoise")
    assert dict(spec.task_params) == {"denoise": (("clip", False), ("sigma", 0.1)), "sr4": (("scale", 2),)}
    assert dict(spec.loss_tasks) == {"vgg": ("sr4",), "l2": ("denoise",)}


def test_the_python_api_takes_tuples_and_ranges_for_list_settings():
    """``api.run(losses=("l1", "l2"))`` was "a loss is a spec string or {name: {argument: value}}, got
    ('l1', 'l2')" and ``seeds=range(3)`` "expects tuple[int, ...]"."""
    spec = GridSpec.from_mapping({"losses": ("l1", "l2"), "seeds": range(3), "tasks": ({"denoise": {"sigma": 0.1}},),
                                  "metrics": ("psnr",)}, "api.run()")
    assert (spec.losses, spec.seeds, spec.tasks, spec.metrics) == (("l1", "l2"), (0, 1, 2), ("denoise",), ("psnr",))
    assert dict(spec.task_params) == {"denoise": (("sigma", 0.1),)}


@pytest.mark.parametrize("spec, pattern", [
    ("contextual(max_positions=-1)", r"max_positions must be ≥ 1"),    # its pooling loop never ended: a hung grid
    ("contextual(max_positions=0)", r"max_positions must be ≥ 1"),     # a failed run (RuntimeError)
    ("contextual(h=0.0)", r"argument h must be > 0"),                   # a NaN loss: a diverged run
    ("ffl(patch_factor=0)", r"patch_factor must be ≥ 1"),              # ZeroDivisionError at the first step
    ("swd(num_proj=-1)", r"num_proj must be ≥ 1"),                     # RuntimeError (negative dimension)
    ("pdl_proj(num_proj=-1)", r"num_proj must be ≥ 1"),
    ("lpips(eps=-1.0)", r"argument eps must be > 0"),                   # NaN
    ("dists(c1=0.0)", r"argument c1 must be > 0"),                      # NaN
    ("dists(c2=0.0)", r"argument c2 must be > 0"),
    ("contrastive_select(lr=-1.0)", r"argument lr must be > 0"),       # Adam refused it at the first step
    ("contrastive_select(update_every=0)", r"update_every must be ≥ 1"),  # silently 1: another id, same loss
])
def test_loss_arguments_that_hung_failed_or_gave_nan_are_refused_when_planned(spec, pattern):
    from benchmark.lossfn import check_loss_arguments

    with pytest.raises(UserError, match=pattern):
        check_loss_arguments(spec)


@pytest.mark.parametrize("spec", ["swd(layers=('relu1_1', 'relu1_1'))", "pdl_proj(layers=('relu1_2', 'relu1_2'))",
                                  "vgg(layers=('relu2_2', 'relu2_2'))"])
def test_a_layer_named_twice_is_refused(spec):
    """swd and pdl_proj failed at their first step (AttributeError: no attribute 'dirs1'); the others
    silently counted the layer twice."""
    from benchmark.lossfn import build_loss

    with pytest.raises(UserError, match=r"layer 'relu\d_\d' is given twice in layers"):
        build_loss(spec, weights="random")


def test_a_loss_file_whose_losses_the_grid_does_not_train_is_named(tmp_path, caplog):
    """``--config grid.yaml --loss-file mine.py`` (the file lists its losses) loaded mine.py and
    trained only the file's losses, without a word: the new loss was not in the grid."""
    import logging

    from benchmark.config import build_configs
    from benchmark.runner import DataCache

    loss = tmp_path / "probe_unused_loss.py"
    loss.write_text("import torch\nfrom benchmark.registry import register_loss\n\n\n"
                    "@register_loss('probe_unused_l1', version='1')\nclass L(torch.nn.Module):\n"
                    "    def forward(self, pred, target):\n        return (pred - target).abs().mean()\n")
    f = _file(tmp_path, "tasks: [denoise]\nlosses: [l1]\nseeds: [0]\niterations: 2\nmetrics: [psnr]\n")
    data = DataCache()
    with caplog.at_level(logging.WARNING, logger="benchmark.config"):
        configs, _, _ = build_configs(_spec("--config", str(f), "--loss-file", str(loss), "--no-budget-check"), data)
    assert [c.loss for c in configs] == ["l1"]
    assert "registers probe_unused_l1, which this grid does not train" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="benchmark.config"):
        build_configs(_spec("--config", str(f), "--loss-file", str(loss), "--losses", "l1 + 0.1*probe_unused_l1",
                            "--no-budget-check"), data)
    assert "does not train" not in caplog.text  # a term of a planned spec is trained


def test_compare_reads_a_field_loss_written_differently_as_the_loss_compared():
    """``compare --loss '0.5*l2+0.5*l1'`` against a field holding ``0.5*l1 + 0.5*l2`` trained it again
    and ranked it as a second loss, without a word. Since the new loss is spelt as the store records it
    (config.spelt_as_stored) and a twin spelling of it in the store is its own, never the field's
    (compare._spellings_of; tests/test_probe_compare26.py), no field loss is the compared loss written differently."""
    from benchmark.compare import _spellings_of

    mine = _spellings_of(["0.5*l2 + 0.5*l1", "charbonnier(eps=1.0)", "lpips_vgg"],
                         {"0.5*l1 + 0.5*l2", "charbonnier(eps=1)", "l2", "gone_loss(x=1)", "lpips(net='vgg')",
                          "lpips(net='squeeze')"})
    assert mine == {"0.5*l1 + 0.5*l2", "charbonnier(eps=1)", "lpips(net='vgg')"}, mine


def test_losses_as_a_mapping_like_tasks(tmp_path):
    """``losses: {l1: null, charbonnier: {eps: 0.01}}`` (the form tasks take) was "a loss is a spec
    string or {name: {argument: value}}, got {...}"."""
    spec = GridSpec.from_file(_file(tmp_path, "losses: {l1: null, charbonnier: {eps: 0.01}, '0.5*l1 + 0.5*l2': {}}\n"))
    assert spec.losses == ("l1", "charbonnier(eps=0.01)", "0.5*l1 + 0.5*l2")


def test_a_leaderboard_names_the_task_parameters_that_differ_from_the_defaults():
    """A grid at ``denoise.sigma=0.2`` or ``sr4.scale=2`` was headed ``denoise`` / ``sr4`` with nothing
    in the setting line to tell it from the defaults."""
    from benchmark.settings import task_parameters_text
    from benchmark.task import build_task

    default = {"task_params": dict(build_task("denoise").params)}
    assert task_parameters_text({"denoise": default}) == ""
    assert task_parameters_text({"denoise": {"task_params": {**default["task_params"], "sigma": 0.2}},
                                 "sr4": {"task_params": {"scale": 2}},
                                 "deblur": {"task_params": {**build_task("deblur").params,
                                                            "gaussian_sigma": [1.0, 2.0]}}}) == \
        ", task parameters: deblur gaussian_sigma=(1.0, 2.0); denoise sigma=0.2; sr4 scale=2"


@pytest.mark.parametrize("spec, pattern", [
    ("l1, l2", r"holds a comma: give each loss as its own argument \(--losses l1 l2\)"),
    ("l1,", r"holds a comma: give each loss as its own argument \(--losses l1\)"),  # `--losses l1, l2`
    ("l1 l2", r"names 2 losses: give each as its own argument \(--losses l1 l2; a config file's list: \[l1, l2\]\)"),
])
def test_several_losses_in_one_spec_say_how_to_list_them(spec, pattern):
    """``'l1, l2'`` / ``'l1 l2'`` (one quoted argument) were "cannot parse loss spec"."""
    from benchmark.lossfn import canonical_spec

    with pytest.raises(UserError, match=pattern):
        canonical_spec(spec)


def test_the_repositorys_results_folder_with_its_gitkeep_is_a_fresh_out(tmp_path):
    """A fresh clone's default ``--out results`` holds the tracked ``results/.gitkeep``: the README's
    first command (``run_all.py``) was refused ("results is not a plbench results directory (no
    store.json) and holds other files (.gitkeep)")."""
    from benchmark.results import ResultsStore

    out = tmp_path / "results"
    out.mkdir()
    (out / ".gitkeep").write_text("")
    ResultsStore(out).preflight()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match=r"holds other files \(notes\.txt\)"):
        ResultsStore(out).preflight()
    assert (Path(__file__).resolve().parents[1] / "results" / ".gitkeep").is_file()  # what a clone holds
    (out / "notes.txt").unlink()  # report/compare/check there before a run: "no results", not "not a store"
    with pytest.raises(UserError, match=r"no results in .*run `plbench run --out results` first"):
        ResultsStore(out).require_results("results")


@pytest.mark.parametrize("spec, char", [("0.5×l1", "U+00D7"), ("l1\u00a0+ l2", "U+00A0"), ("l1 + 0.01∗vgg", "U+2217")])
def test_a_character_pasted_from_a_paper_is_named(spec, char):
    """``0.5×l1`` or a no-break space were "cannot parse loss spec" with nothing pointing at the character."""
    from benchmark.lossfn import canonical_spec

    with pytest.raises(UserError, match=rf"holds .* \(U\+{char[2:]}\): write products with \* and separate"):
        canonical_spec(spec)


@pytest.mark.parametrize("text, pattern", [
    ("losses:\n\t- l1\n", r"found character '\\t' that cannot start any token \(line 2, column 1\): YAML indents with "
                          r"spaces, not tabs"),
    ("a: b: c\n", r"not valid YAML: mapping values are not allowed here \(line 1, column 5\)"),
])
def test_invalid_yaml_says_what_and_where(tmp_path, text, pattern):
    """A tab was "not valid YAML: while scanning for the next token": no line, no word of the tab."""
    with pytest.raises(UserError, match=pattern):
        GridSpec.from_file(_file(tmp_path, text))


def test_an_integral_float_is_an_integer_setting(tmp_path):
    """``iterations: 1e4`` (YAML 1.2 reads it as a float, as ML configs write it) is 10000; 10.5 is still refused."""
    spec = GridSpec.from_file(_file(tmp_path, "iterations: 1e4\nbatch_size: 16.0\nseeds: [0, 1e0]\n"))
    assert (spec.iterations, spec.batch_size, spec.seeds) == (10000, 16, (0, 1))
    assert isinstance(spec.iterations, int)
    with pytest.raises(UserError, match=r"iterations expects a whole number, got 10\.5"):
        GridSpec.from_file(_file(tmp_path, "iterations: 10.5\n"))
    assert GridSpec.from_file(_file(tmp_path, "executor: {name: local, workers: 2.0}\n")).workers == "2"  # was '2.0'
    with pytest.raises(UserError, match=r"workers expects text, got True"):  # was 'True', refused later
        GridSpec.from_file(_file(tmp_path, "workers: true\n"))


def test_loss_tasks_takes_a_loss_with_keywords():
    """``--loss-tasks 'charbonnier(eps=1e-3)=sr4'`` was split at its first '=' (loss 'charbonnier(eps')."""
    from benchmark.config import parse_loss_tasks

    assert parse_loss_tasks(["charbonnier(eps=1e-3)=sr4,jpeg"]) == (("charbonnier(eps=1e-3)", ("sr4", "jpeg")),)
    with pytest.raises(UserError, match=r"--loss-tasks expects LOSS=TASK\[,TASK\.\.\.\], got 'charbonnier\(eps=1\)'"):
        parse_loss_tasks(["charbonnier(eps=1)"])
    assert parse_loss_tasks(["vgg=my-task,t.v2"]) == (("vgg", ("my-task", "t.v2")),)  # names the registry takes


def test_a_second_config_file_overrides_the_first(tmp_path):
    """``--config base.yaml --config mine.yaml`` read mine.yaml alone: base.yaml was dropped silently."""
    a, b = tmp_path / "base.yaml", tmp_path / "mine.yaml"
    a.write_text("tasks: {denoise: {sigma: 0.1}}\nlosses: [l1]\niterations: 50\ncrop: 32\n")
    b.write_text("tasks: {denoise: {clip: false}}\niterations: 20\n")
    spec = _spec("--config", str(a), "--config", str(b), "--crop", "16")
    assert (spec.losses, spec.iterations, spec.crop) == (("l1",), 20, 16)
    assert dict(spec.task_params)["denoise"] == (("clip", False), ("sigma", 0.1))


@pytest.mark.parametrize("spec, combined", [
    ("charbonnier + charbonnier(eps=0.001)", "2*charbonnier"),            # the default written out
    ("0.5*charbonnier(eps=1) + charbonnier(eps=1.0)", "1.5*charbonnier(eps=1)"),
])
def test_one_term_written_twice_in_a_sum_is_refused(spec, combined):
    """``'l1 + l1'`` was refused but ``'charbonnier + charbonnier(eps=0.001)'`` trained 2*charbonnier as two terms."""
    import re

    from benchmark.lossfn import check_loss_arguments

    with pytest.raises(UserError, match=r"are one term .*: combine the weights \(" + re.escape(combined) + r"\)"):
        check_loss_arguments(spec)
    check_loss_arguments("charbonnier(eps=0.01) + charbonnier(eps=0.001)")  # two eps: two terms
