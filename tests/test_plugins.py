"""Third-party losses arrive through the `plbench.losses` entry-point group: a tiny package is
built, installed into a folder, and its loss appears in `plbench list losses` and trains."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # builds and installs a wheel (20 s); a loss in one file: tests/test_end_to_end.py
def test_a_plugin_package_is_found(tmp_path):
    pkg = tmp_path / "plbench-huber"
    (pkg / "plbench_huber").mkdir(parents=True)
    (pkg / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "plbench-huber"
        version = "0.1"

        [project.entry-points."plbench.losses"]
        huber_plugin = "plbench_huber.loss"

        [project.entry-points."plbench.metrics"]
        mean_abs_plugin = "plbench_huber.metric:MeanAbs"

        [tool.setuptools]
        packages = ["plbench_huber"]
    """))
    (pkg / "plbench_huber" / "__init__.py").write_text("")
    (pkg / "plbench_huber" / "loss.py").write_text(textwrap.dedent('''
        import torch
        from benchmark.registry import register_loss

        @register_loss("huber_plugin", citation="Huber, 1964")
        class Huber(torch.nn.Module):
            """Huber loss (a third-party plugin)."""
            def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
                return torch.nn.functional.smooth_l1_loss(pred, target, beta=0.05)
    '''))
    (pkg / "plbench_huber" / "metric.py").write_text(textwrap.dedent('''
        import torch

        class MeanAbs(torch.nn.Module):
            """Mean absolute error per image (a third-party metric plugin); lower is better."""
            lower_better = True
            metric_mode = "FR"
            provenance = "none"

            def __init__(self, weights="pretrained", device="cpu"):
                super().__init__()

            def forward(self, pred, target):
                return (pred - target).abs().mean((1, 2, 3))
    '''))
    site = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                          "--target", str(site), str(pkg)], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr[-2000:]
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]))
    listed = subprocess.run([sys.executable, str(ROOT / "run_all.py"), "list", "losses"], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=300)
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if "huber_plugin" in line)
    assert "Huber loss (a third-party plugin)" in line and "plugin: plbench_huber.loss (plbench-huber)" in line
    metrics = subprocess.run([sys.executable, str(ROOT / "run_all.py"), "list", "metrics"], capture_output=True,
                             text=True, env=env, cwd=ROOT, timeout=300)
    assert any(line.split()[0] == "mean_abs_plugin" for line in metrics.stdout.splitlines()[1:] if line.strip())
    out = tmp_path / "r"
    run = subprocess.run([sys.executable, str(ROOT / "run_all.py"), "--tasks", "denoise", "--losses", "huber_plugin",
                          "--iterations", "2", "--crop", "32", "--batch-size", "2", "--metrics", "psnr",
                          "mean_abs_plugin", "--test-data", "skimage-natural:test", "--device", "cpu", "--no-progress",
                          "-q",
                          "--no-report", "--out", str(out)], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert any('"loss": "huber_plugin"' in p.read_text() for p in out.glob("runs/*/meta.json"))
    import pandas as pd

    table = pd.concat([pd.read_parquet(f) for f in out.glob("runs/*/eval-*.parquet")])
    scored = table[table["metric"] == "mean_abs_plugin"]
    assert len(scored) > 0 and (scored["value"] >= 0).all() and not scored["higher_is_better"].any()


# -- mistakes a researcher makes in a one-file loss (--loss-file): each a one-line error before training --

def _loss_file(tmp_path, body: str, name: str = "my_loss.py") -> Path:
    f = tmp_path / name
    f.write_text("import torch\nfrom benchmark.registry import register_loss\n\n" + textwrap.dedent(body))
    return f


def test_an_edited_loss_file_replaces_its_old_version_in_the_same_process(tmp_path):
    """A notebook session: load the file, edit it, load it again — the new version, not a clash."""
    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss
    from benchmark.registry import LOSSES, load_user_file

    body = '''
        @register_loss("edited_plugin_test")
        class L(torch.nn.Module):
            def forward(self, pred, target):
                return {} * (pred - target).abs().mean()
    '''
    pred, target = torch.zeros(1, 3, 8, 8), torch.ones(1, 3, 8, 8)
    try:
        f = _loss_file(tmp_path, body.format(1.0))
        assert load_user_file(f) == ["edited_plugin_test"]
        first = LOSSES.get("edited_plugin_test").meta["file_sha256"]
        _loss_file(tmp_path, body.format(2.0))
        assert load_user_file(f) == ["edited_plugin_test"]
        assert LOSSES.get("edited_plugin_test").meta["file_sha256"] != first
        assert float(build_loss("edited_plugin_test")(pred, target)) == 2.0
        _loss_file(tmp_path, body.format(1.0))  # back to the first version (its module is still cached)
        assert load_user_file(f) == ["edited_plugin_test"]
        assert LOSSES.get("edited_plugin_test").meta["file_sha256"] == first
        assert float(build_loss("edited_plugin_test")(pred, target)) == 1.0
        _loss_file(tmp_path, textwrap.dedent(body.format(1.0)) + "\nraise RuntimeError('half-edited')\n")
        with pytest.raises(UserError, match="failed to import: RuntimeError: half-edited"):
            load_user_file(f)
        assert LOSSES.get("edited_plugin_test").meta["file_sha256"] == first  # the last good version stays
    finally:
        LOSSES.remove("edited_plugin_test")


@pytest.mark.parametrize("body,match", [
    ('''
        @register_loss("sig_plugin_test")
        class L(torch.nn.Module):
            def forward(self, pred):
                return pred.mean()
     ''', r"L.forward\(pred\) cannot be called as forward\(pred, target\) \(too many positional arguments\)$"),
    ('''
        @register_loss("sig_plugin_test")
        class L(torch.nn.Module):
            def forward(self, pred, target, degraded):
                return pred.mean()
     ''', r"missing a required argument: 'degraded'\); a loss that needs the degraded input declares "
          r"needs=\(\"degraded\",\)"),
    ('''
        @register_loss("sig_plugin_test")
        class L(torch.nn.Module):
            def loss(self, pred, target):
                return pred.mean()
     ''', r"loss 'sig_plugin_test' \(L\) defines no forward\(self, pred, target\)"),
])
def test_a_forward_that_does_not_fit_the_protocol_is_refused_before_training(tmp_path, body, match):
    """Was: every run of the grid trained to its first step, failed with a TypeError and was recorded
    as failed (exit 1)."""
    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss
    from benchmark.registry import LOSSES, load_user_file

    try:
        load_user_file(_loss_file(tmp_path, body))
        with pytest.raises(UserError, match=match):
            build_loss("sig_plugin_test")
    finally:
        LOSSES.remove("sig_plugin_test")


def test_needs_given_as_a_string_and_forward_via_call_are_accepted(tmp_path):
    from benchmark.lossfn import build_loss
    from benchmark.registry import LOSSES, load_user_file

    f = _loss_file(tmp_path, '''
        @register_loss("needs_str_plugin_test", needs="degraded")
        class L(torch.nn.Module):
            def forward(self, pred, target, degraded):
                return (pred - degraded).abs().mean()

        @register_loss("call_plugin_test")
        class C(torch.nn.Module):
            def __call__(self, pred, target):
                return (pred - target).abs().mean()
    ''')
    try:
        load_user_file(f)
        assert LOSSES.get("needs_str_plugin_test").meta["needs"] == ("degraded",)  # was ('d', 'e', 'g', …)
        assert build_loss("needs_str_plugin_test").needs_all == {"degraded"}
        build_loss("call_plugin_test")
    finally:
        LOSSES.remove("needs_str_plugin_test")
        LOSSES.remove("call_plugin_test")


def test_an_unannotated_keyword_is_checked_against_its_default(tmp_path):
    """Was: `myloss(alpha="abc")` on `def __init__(self, alpha=1.0)` trained, failed at the first step with
    'only integer tensors of a single element can be converted to an index' (exit 1)."""
    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss, check_loss_arguments
    from benchmark.registry import LOSSES, load_user_file

    f = _loss_file(tmp_path, '''
        @register_loss("kw_plugin_test")
        class L(torch.nn.Module):
            def __init__(self, alpha=1.0, steps=1, flag=False, mode="a", extra=None):
                super().__init__()
                self.alpha = alpha
            def forward(self, pred, target):
                return self.alpha * (pred - target).abs().mean()
    ''')
    try:
        load_user_file(f)
        with pytest.raises(UserError, match=r"^loss 'kw_plugin_test' argument alpha expects float \(like its default "
                                            r"1.0\), got 'abc' \(str\)$"):
            check_loss_arguments("kw_plugin_test(alpha='abc')")
        with pytest.raises(UserError, match=r"argument flag expects bool \(like its default False\), got 1 \(int\)"):
            check_loss_arguments("kw_plugin_test(flag=1)")
        with pytest.raises(UserError, match="argument mode expects str"):
            check_loss_arguments("kw_plugin_test(mode=2)")
        check_loss_arguments("kw_plugin_test(alpha=2, steps=0.5, extra=[1, 2])")  # an int default takes a float
        assert build_loss("kw_plugin_test(alpha=2)").parts[0].alpha == 2.0
    finally:
        LOSSES.remove("kw_plugin_test")


def test_cli_refuses_a_bad_loss_file_in_one_line_and_leaves_the_results_alone(tmp_path, capsys):
    from benchmark.cli import main
    from benchmark.lossfn import loss_family
    from benchmark.registry import LOSSES, load_user_file

    out = tmp_path / "field"
    (out / "runs" / "earlier").mkdir(parents=True)
    (out / "runs" / "earlier" / "meta.json").write_text("{}")
    f = _loss_file(tmp_path, '''
        @register_loss("cli_sig_plugin_test")
        class L(torch.nn.Module):
            def forward(self, pred):
                return pred.mean()
    ''', name="wrong_sig.py")
    try:
        code = main(["run", "--tasks", "denoise", "--loss-file", str(f), "--iterations", "2", "--crop", "32",
                     "--batch-size", "2", "--metrics", "psnr", "--device", "cpu", "--no-progress", "-q",
                     "--no-report", "--out", str(out)])
        err = capsys.readouterr().err.strip()
        assert code == 2 and "\n" not in err and "Traceback" not in err
        assert err.startswith("error: loss 'cli_sig_plugin_test': L.forward(pred) cannot be called as")
        assert sorted(p.name for p in (out / "runs").iterdir()) == ["earlier"]
        load_user_file(f)
        assert loss_family("cli_sig_plugin_test") == "wrong_sig"  # was plbench_user_wrong_sig_<hash>: one per edit
    finally:
        LOSSES.remove("cli_sig_plugin_test")


@pytest.mark.parametrize("name", ["my-loss", "my.loss", "lambda"])
def test_a_loss_name_a_spec_cannot_write_is_refused_at_registration(tmp_path, name):
    """Was: `@register_loss("my-loss")` registered, then every run / compare of it failed with "loss spec
    'my-loss': terms are added, never subtracted"."""
    from benchmark.errors import UserError
    from benchmark.registry import load_user_file

    f = _loss_file(tmp_path, f'''
        @register_loss("{name}")
        class L(torch.nn.Module):
            def forward(self, pred, target):
                return (pred - target).abs().mean()
    ''')
    with pytest.raises(UserError, match=rf"failed to import: ValueError: invalid loss name '{name}': loss specs .* "
                                        r"are parsed as Python, so a name is an identifier"):
        load_user_file(f)


def test_an_entry_point_named_like_no_loss_is_left_out_with_a_warning(tmp_path, monkeypatch, caplog):
    """Was: an object entry point `my-loss = pkg:Obj` raised a ValueError traceback on every registry lookup."""
    from benchmark.registry import Registry

    dist = tmp_path / "fake_plbench_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-plbench-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[plbench.losses]\nmy-loss = fake_plbench_mod:Obj\n"
                                           "fine_loss = fake_plbench_mod:Obj\n")
    (tmp_path / "fake_plbench_mod.py").write_text("import torch\n\nclass Obj(torch.nn.Module):\n"
                                                  "    def forward(self, pred, target):\n        return pred.mean()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = Registry("loss", identifiers=True)
    with caplog.at_level("WARNING"):
        assert "fine_loss" in reg.names()
    assert "my-loss" not in reg.names()
    assert "plugin my-loss = fake_plbench_mod:Obj (group plbench.losses) left out: invalid loss name" in caplog.text


def test_a_loss_file_importing_a_helper_next_to_it_says_the_file_must_be_self_contained(tmp_path):
    """Was: 'ModuleNotFoundError: No module named ...' for a module the user can see in the same folder."""
    from benchmark.errors import UserError
    from benchmark.registry import load_user_file

    (tmp_path / "my_helpers_plugin_test.py").write_text("def f(x):\n    return x\n")
    f = _loss_file(tmp_path, "from my_helpers_plugin_test import f\n")
    with pytest.raises(UserError, match=r"^my_loss.py imports 'my_helpers_plugin_test' from its folder, which is not "
                                        r"on the import path: a loss file is one self-contained file"):
        load_user_file(f)
