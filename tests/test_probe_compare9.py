"""User 2's path probed: a loss of one's own, compared with a cached field (probe-compare)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.config import RunConfig
from benchmark.data import ImageRecord
from benchmark.registry import LOSSES
from benchmark.runner import train
from benchmark.task import build_task

CPU = torch.device("cpu")

pytestmark = pytest.mark.usefixtures("one_thread_module")


@pytest.fixture(scope="module")
def images() -> list[ImageRecord]:
    rng = np.random.default_rng(0)
    return [ImageRecord(f"i{k}", torch.from_numpy(rng.integers(0, 256, (3, 40, 40), dtype=np.uint8)))
            for k in range(2)]


@pytest.fixture
def one_element_loss():
    """A loss returning one number as a (1,) tensor (as many libraries' reductions keep a dimension)."""
    class OneElement(torch.nn.Module):
        def forward(self, pred, target):
            return (pred - target).abs().mean().reshape(1)

    LOSSES.add("test_probe_one_element", OneElement)
    yield
    LOSSES.remove("test_probe_one_element")


def test_a_loss_of_one_element_is_summed_as_a_scalar(one_element_loss):
    """The plan's check accepts any one-number tensor; every run then failed with float()'s 'not a list'
    when the runner stacked the step losses for its curve. The weighted sum is a 0-dim tensor, first call and
    later ones."""
    from benchmark.lossfn import build_loss

    fn = build_loss("test_probe_one_element + 0.5*l1")
    pred = torch.rand(2, 3, 8, 8, requires_grad=True)
    values = [fn(pred, torch.rand(2, 3, 8, 8)) for _ in range(2)]
    assert all(v.shape == () for v in values)
    assert all(isinstance(x, float) for x in torch.stack([v.detach() for v in values]).tolist())


@pytest.mark.slow
def test_a_loss_of_one_element_trains_as_a_scalar(images, one_element_loss):
    """As above, through the runner: the run trains, its curve a list of numbers."""
    cfg = RunConfig(task="denoise", loss="test_probe_one_element", iterations=3, batch_size=2, crop=16)
    r = train(cfg, build_task("denoise"), images, CPU)
    assert r.status == "ok" and r.iterations_done == 3
    assert r.curve and all(isinstance(v, float) for _, v in r.curve) and np.isfinite(r.final_loss)


def test_lost_runs_are_named_per_new_loss_with_their_error():
    """Two new losses, one raising at step 3, one NaN at step 3: compare said '2 run(s) of the new loss failed
    (see meta.json)' and '2 of 4 run(s) of the new loss diverged' — neither which loss nor why, nor which
    meta.json of the store's runs. Each note now names the loss, its runs, the error or iteration, the run."""
    from benchmark.compare import _lost_run_notes
    from benchmark.config import run_id

    crash3, nan3 = "l1", "l2"  # registered names stand for the two (run_id resolves the loss)
    configs = [RunConfig(task="denoise", loss=loss, seed=s, iterations=2) for loss in (crash3, nan3, "ssim")
               for s in (0, 1)]
    metas = {run_id(c): {"status": {crash3: "failed", nan3: "diverged", "ssim": "ok"}[c.loss],
                         **({"error": "RuntimeError: boom at step 3"} if c.loss == crash3 else {}),
                         **({"diverged_at": 3} if c.loss == nan3 else {})} for c in configs}

    class Store:
        def meta(self, rid):
            return metas.get(rid)

    notes = _lost_run_notes(Store(), configs)
    assert len(notes) == 2
    crash, nan = notes
    first_crash = run_id(configs[0])
    assert crash.startswith(f"{crash3}: 2 of 2 runs of the new loss failed (RuntimeError: boom at step 3;")
    assert f"runs/{first_crash}/meta.json" in crash
    assert nan.startswith(f"{nan3}: 2 of 2 runs of the new loss diverged (a non-finite loss at iteration 3;")


def test_compare_says_what_the_leaderboard_says_of_a_lost_or_damaged_field_run(tmp_path, monkeypatch):
    """A field whose l1 seed 1 run was deleted and whose l2 seed 0 scores are unreadable: the leaderboard said
    'damaged run … left out' and 'Losses run on different seeds … l1 seeds 0 (1)'; compare ranked the new loss
    (seeds 0–1) against those one-run means with neither note. Its section now carries both."""
    import shutil

    from benchmark import figures
    from benchmark.compare import _summary
    from benchmark.synthetic import write_store

    monkeypatch.setattr(figures, "pd_plane", lambda *a, **k: [])  # the notes are tested, not the figure

    store = write_store(tmp_path / "r", offsets={"l1": 0.0, "l2": 0.0, "mine": 0.5}, metrics=("psnr", "ssim"),
                        seeds=(0, 1), n_images=4, budget_check=False)
    metas = [m for m in store.metas() if m.get("kind") != "input"]
    run = {(m["config"]["loss"], m["config"]["seed"]): m["run_id"] for m in metas}
    shutil.rmtree(store.run_dir(run["l1", 1]))
    for f in store.run_dir(run["l2", 0]).glob("eval-*.json"):
        f.write_text('{"trunc')
    group = [m for m in metas if m["run_id"] != run["l1", 1]]
    text, _ = _summary(store, {"denoise": group}, ["mine"], {"denoise": []}, 0.05, 50, "l1", ())
    assert f"damaged run {run['l2', 0]} left out" in text
    assert "Losses run on different seeds" in text and "l1 seeds 0 (1)" in text


def test_compare_takes_losses_as_run_does():
    """`plbench run --losses a b` names several losses; `plbench compare --losses 'my_loss(w=0.5)' 'my_loss(w=2)'`
    was refused ('unrecognized arguments'; compare had only the repeatable `--loss`). `--losses` now adds them."""
    from benchmark.cli import build_parser

    p = build_parser()
    args = p.parse_args(["compare", "--losses", "my_loss(w=0.5)", "my_loss(w=2.0)", "--loss", "l1"])
    assert args.losses == ["my_loss(w=0.5)", "my_loss(w=2.0)", "l1"]
    assert p.parse_args(["compare", "--loss", "a", "--loss", "b"]).losses == ["a", "b"]
    assert p.parse_args(["compare"]).losses == []


def test_a_figure_base_with_a_dot_keeps_its_whole_name(tmp_path):
    """compare 'my_loss(w=2.0)' drew its plane as `my_loss_w_2.png` — Path.with_suffix cut the base
    `my_loss_w_2.0-<hash>_denoise_pd_plane` at its dot — so w=2.0 and w=2.5, or two tasks, wrote one file. The
    figure is `<base>.<fmt>`, whole, and removing a stale one spares the other's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from benchmark.figures import remove_figure, save

    a, b = tmp_path / "mine_w_2.0-aaaa_denoise_pd_plane", tmp_path / "mine_w_2.5-bbbb_denoise_pd_plane"
    pa = save(plt.figure(figsize=(1, 1)), a, ("png",))
    pb = save(plt.figure(figsize=(1, 1)), b, ("png",))
    assert [p.name for p in pa + pb] == [f"{a.name}.png", f"{b.name}.png"]
    assert all(p.is_file() for p in pa + pb)
    assert remove_figure(a) == pa and pb[0].is_file()
