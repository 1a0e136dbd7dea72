"""Mends of session 17's findings work: a store of the profiles' same-tap VGG baseline is read without loss identity."""

from __future__ import annotations

import pytest

import benchmark.findings as findings
from benchmark.findings import Results, check_all
from benchmark.synthetic import synthetic_table

PRE = "vgg16:IMAGENET1K_V1"
SAME_TAPS = "vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))"


def _no_identity(monkeypatch) -> list[str]:
    """Results._identity (benchmark.lossfn.loss_identity: every loss module, torch) recording its specs, and raising."""
    asked: list[str] = []

    def refuse(self, spec):
        asked.append(spec)
        raise AssertionError(f"loss identity of {spec!r} asked")

    monkeypatch.setattr(Results, "_identity", refuse)
    return asked


def test_a_store_of_the_same_tap_baseline_is_checked_without_loss_identity(monkeypatch):
    """Since the standard and full profiles train ``vgg(layers=('relu1_2', 'relu2_2', 'relu3_3'))`` beside ``vgg``,
    every lookup but ``_same_tap_arm``'s (``pairs()``'s ``res.arm(task, same)``/``res.arm(task, 'vgg')``,
    liu2021_random_vgg's ``res.arm(task, 'vgg')``) asked the loss identity of the two, importing benchmark.lossfn and
    torch (2 s cold) for a report of the store. Other layers are another loss, known from the specs (Results.is_loss);
    the verdicts are the ones the identities gave."""
    monkeypatch.setattr(findings, "_stale_settings", lambda table: {})  # the task registry's versions: not this test
    t = synthetic_table(offsets={"psycho": {"vsi": 0.8}, "contrastive_select": {"vsi": 0.8}, SAME_TAPS: {"vsi": 0.8},
                                 "vgg": {"vsi": 0.5}, "l2": 0.0},
                        weights={"psycho": PRE, "contrastive_select": PRE, SAME_TAPS: PRE, "vgg": PRE},
                        tasks=("sr4",), metrics=("vsi",), n_images=4, seeds=tuple(range(3)))
    asked = _no_identity(monkeypatch)
    got = {r.name: (r.verdict, sorted({p.b for p in r.parts})) for r in check_all(t, n_boot=20)}
    assert asked == []
    same = [f"{SAME_TAPS} [{PRE}]"]
    assert got["tariq2020_psycho"] == got["mei2020_contrastive"] == ("inconclusive", same), got
    assert got["liu2021_random_vgg"] == ("not applicable", []), got


@pytest.mark.parametrize("spec, name, identity", [
    (SAME_TAPS, "vgg", False), ("vgg", SAME_TAPS, False), ("0.5*vgg", SAME_TAPS, False),
    ("vgg(layers=['relu1_2', 'relu2_2', 'relu3_3'])", SAME_TAPS, True),  # same taps: the identity still decides
    ("vgg(layers=('relu2_2',))", "vgg", True), ("vgg(criterion='l1')", "vgg", True),
])
def test_is_loss_asks_the_identity_only_of_specs_on_the_same_layers(monkeypatch, spec, name, identity):
    asked = _no_identity(monkeypatch)
    res = Results(synthetic_table(offsets={"l2": 0.0}, tasks=("sr4",), metrics=("psnr",), n_images=2, seeds=(0,)))
    if identity:
        with pytest.raises(AssertionError, match="loss identity"):
            res.is_loss(spec, name)
        assert asked == [spec]
    else:
        assert res.is_loss(spec, name) is False and asked == []


def test_declared_defaults_look_the_plugins_up_and_parse_each_loss_file_once(monkeypatch):
    """Each declared_default ran importlib.metadata.entry_points() (~6 ms: every installed distribution), listed and
    stat'ed the loss files twice and parsed each a second time beside declared_names' parse; findings._taps asks it
    80-88 times per check_all (0.2-0.35 s). The plugins are looked up once per sys.path, each file parsed once."""
    import ast
    import importlib.metadata

    from benchmark import registry

    looked: list[str] = []
    parsed: list[str] = []
    entry_points, parse = importlib.metadata.entry_points, ast.parse
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group=None, **kw: looked.append(group) or entry_points(group=group, **kw))
    monkeypatch.setattr(ast, "parse", lambda src, filename="<unknown>", *a, **kw:
                        parsed.append(filename) or parse(src, filename, *a, **kw))
    registry._plugins.cache_clear()
    registry._declared.cache_clear()
    reg = registry.Registry("loss", package="losses")  # unscanned: the files answer
    names = reg.declared_names()
    for _ in range(5):
        assert reg.declared_default("vgg", "layers") == (True, ("relu2_2",))
        assert reg.declared_default("l1", "layers") == (True, None)  # nn.Module's __init__: no layers (lazy27)
        assert reg.declared_names() == names
    assert looked == ["plbench.losses"]
    own = {str(f) for f in registry.Path(registry.__file__).parents[1].joinpath("losses").glob("[!_]*.py")}
    assert len(parsed) == len(set(parsed)) and own <= set(parsed), parsed
    assert "vgg" in names and "psycho" in names
