"""Review of the verdicts, methods and cost areas, session 22: what their fixes left."""

from __future__ import annotations

import pytest
from test_probe_cost22 import _Host


@pytest.mark.parametrize("running, waiting, busy", [
    (2.0, 14.0, False),  # docker --cpus 2, torch's default 16 threads: they wait on each other, no other work
    (0.6, 15.4, True),  # the same container with other work holding its quota: 0.3 of each of its 2 cores
])
def test_more_threads_than_cores_waiting_on_each_other_are_not_a_busy_machine(monkeypatch, running, waiting, busy):
    """Was (dd43d8cc, 643268a0): a timing was judged busy where its threads, while runnable, had a core under 0.5 of
    the time — with no regard to the cores they could run on. 16 torch threads (torch's default, which a container's
    ``--cpus 2`` does not change) on 2 usable cores wait on a run queue 7/8 of their runnable time for their own
    siblings, on an idle machine: every such timing, and every such run, read busy — the case the share rule it
    replaced judged right (1.9 of a core on 2 usable cores: free; tests/test_review_cost17.py). Measured here:
    ``taskset -c 0`` with 4 threads, no other work, read busy (runnable share 0.48). Now the share is judged against
    what each thread can have when they all run, cores ÷ threads where threads outnumber the cores."""
    import torch

    from benchmark import perf
    from benchmark.devices import timed_busy, waited_busy

    monkeypatch.setenv("PLBENCH_MIN_CPU_SHARE", "0.5")
    box = _Host(running, waiting)  # per 50 ms step, ``running`` threads' worth on a core and ``waiting`` queued
    box.on_perf(monkeypatch, cores=2.0, threads=16)
    before = perf._CONTENDED[0]
    perf._best_time(box.step, torch.device("cpu"), 3)
    assert (perf._CONTENDED[0] - before == 1) is busy, (running, waiting)
    assert waited_busy(running, waiting, 1.0, 16, 2.0) is busy
    meta = {"ms_per_it": 50.0, "cpu_share": running, "threads": 16, "cpu_cores": 2.0,
            "cpu_runnable_share": running / (running + waiting)}
    assert timed_busy(meta) is busy, meta
    # a free many-core host, as many threads as cores: judged as before (test_probe_cost22)
    assert waited_busy(12.0, 0.0, 1.0, 64, 64.0) is False and waited_busy(12.0, 40.0, 1.0, 64, 64.0) is True


def test_findings_csv_says_its_effect_is_b_minus_a_where_lower_is_better():
    """Was (75b98489): findings.md's legend and the README were mended to say a part's effect is B − A where lower
    is better (LPIPS, DISTS, NIQE: positive = A better), but csv_columns.md, the data dictionary written beside
    findings.csv, still said 'mean paired difference a − b …, positive = a better': on LPIPS a − b is negative
    where a is better, so the file contradicted its own numbers. Now it says which way round, as the legend does."""
    import warnings

    from benchmark.export import CSV_COLUMNS
    from benchmark.findings import PART_COLUMNS, check_all
    from benchmark.synthetic import synthetic_table

    said = CSV_COLUMNS["findings.csv"]["effect"]
    assert "b − a where lower is better" in said and "positive = a better" in said, said

    t = synthetic_table(tasks=("sr4",), metrics=("psnr", "lpips"), offsets={"l2": 0.0, "vgg": {"psnr": -1.0,
                        "lpips": 1.0}}, seeds=range(5), seed_sd=0.05, n_images=8, weights={"vgg": "vgg16:imagenet"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["blau2018_pd_tradeoff"], n_boot=20)
    lp = next(p for p in r.parts if p.metric == "lpips")
    means = t[t["metric"] == "lpips"].groupby("loss")["value"].mean()
    assert lp.effect == pytest.approx(means["l2"] - means["vgg"], rel=0.2)  # b − a: positive, a better
    assert "effect" in PART_COLUMNS


_MY_DEEP = '''
import torch
from benchmark.registry import register_loss
from benchmark.backbones import Backbone


@register_loss("rs22_my_deep", version="1", citation="Me et al., 2026")
class MyDeep(torch.nn.Module):
    """VGG-16 relu2_2 features, MSE: a user's deep loss, declaring no weight files."""
    def __init__(self, weights="pretrained"):
        super().__init__()
        self.trunk = Backbone("vgg16", ("relu2_2",), weights=weights)

    def forward(self, pred, target):
        a, b = self.trunk(pred), self.trunk(target)
        return sum(((x - y) ** 2).mean() for x, y in zip(a.values(), b.values()))
'''


def test_a_loss_file_s_deep_loss_beside_a_pixel_field_is_still_told_it_trains_on_random_weights(tmp_path):
    """Was (e6253ad1): compare's pixel-field note named a term only where its registration lists a pretrained file
    it loads (``weights=`` keys) — so a ``--loss-file`` deep loss, the command's own use, which takes ``weights``
    and builds an ImageNet VGG from it but declares no files (README's "Adding a loss" shows none), trained beside
    a field of pixel losses on random weights with no word said, where the note had said so. Now a registration that
    declares no weights at all is not known to need none: the note names it, as before; gpl declares that it needs
    none (``weights=()``: its random VGG is the method) and stays unnamed."""
    from benchmark.compare import field_weights_note
    from benchmark.registry import LOSSES, load_user_file

    f = tmp_path / "my_deep.py"
    f.write_text(_MY_DEEP)
    load_user_file(f)
    pixel_field = [{"config": {"backbone_weights": "none"}}]
    try:
        note = field_weights_note(pixel_field, "rs22_my_deep")
    finally:
        LOSSES.remove("rs22_my_deep")
    assert "random backbone weights" in note and "rs22_my_deep(weights='pretrained')" in note, note
    assert field_weights_note(pixel_field, "gpl") == "" and field_weights_note(pixel_field, "pdl(layers=())") == ""


@pytest.mark.parametrize("spec", ["vgg(arch='tinycnn', layers=())", "vgg(arch='resnet50', layers=())",
                                  "vgg(layers=())"])
def test_a_vgg_loss_with_no_layers_suggests_a_layer_its_trunk_has(spec):
    """Was (2117c7b2): ``vgg(arch='tinycnn', layers=())`` was told 'give at least one, e.g. layers=('relu2_2',)' —
    a layer tinycnn and resnet50 do not have, so following the advice failed next with 'backbone tinycnn has no
    layer 'relu2_2''. Now the example is a layer of the loss's own trunk (relu2_2 where it has one), in one line."""
    from benchmark.backbones import ARCHS
    from benchmark.errors import UserError
    from benchmark.lossfn import build_loss

    with pytest.raises(UserError) as err:
        build_loss(spec, weights="random")
    msg = str(err.value)
    assert "layers=()" in msg and "\n" not in msg, msg
    example = msg.split("e.g. layers=(", 1)[1].split(",)", 1)[0].strip("'")
    arch = spec.split("arch='", 1)[1].split("'", 1)[0] if "arch=" in spec else "vgg16"
    assert example in ARCHS[arch].names, (example, msg)
    build_loss(spec.replace("layers=()", f"layers=({example!r},)"), weights="random")  # the advice works
