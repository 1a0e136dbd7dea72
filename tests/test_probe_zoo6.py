"""Loss zoo against the papers' official code (probe zoo6): hand-computed cases pinning each
corrected formula, and the CSR self-training progress log."""

from __future__ import annotations

import math

import pytest
import torch

pytestmark = pytest.mark.usefixtures("one_thread")


def test_contextual_distance_is_the_authors_halved_cosine_distance():
    """CX on two 2-D feature sets, by hand, with the authors' raw distance (1 − cos)/2
    (github.com/roimehrez/contextualLoss, CX/CSFlow.py ``create_using_dotP``). ``eps=0.1`` makes
    the halving visible: version 1 (1 − cos) gave CX = 0.50037 here, the authors' form 0.50160.

    y: positions (1, 0), (0, 1) → centred by their mean (½, ½): (½, −½), (−½, ½).
    x: (1, 0) → (½, −½), cos to y = (1, −1); (1, ½) → (½, 0), cos to y = (1/√2, −1/√2).
    """
    from losses.contextual import contextual_similarity

    x = torch.tensor([[[1.0, 1.0], [0.0, 0.5]]])  # (N=1, C=2, P=2): columns are positions
    y = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    h, eps = 0.5, 0.1
    r = 1 / math.sqrt(2)
    cos = [[1.0, -1.0], [r, -r]]
    d = [[(1 - c) / 2 for c in row] for row in cos]
    cx = []
    for row in d:
        rel = [v / (min(row) + eps) for v in row]
        w = [math.exp((1 - v) / h) for v in rel]
        cx.append([v / sum(w) for v in w])
    expected = sum(max(cx[i][j] for i in range(2)) for j in range(2)) / 2
    got = float(contextual_similarity(x, y, h=h, eps=eps)[0])
    assert got == pytest.approx(expected, rel=1e-5)
    assert expected == pytest.approx(0.50160, abs=2e-5)  # the halved form, not version 1's 0.50037


def test_contextual_loss_of_an_image_does_not_depend_on_its_batch_mates():
    """The one difference kept on purpose (per-image centring, where the authors' code centres by
    the batch mean): an image's loss is the same alone and next to another image."""
    from benchmark.lossfn import build_loss

    loss = build_loss("contextual(layers=('relu1_2',))", seed=0, weights="random")
    g = torch.Generator().manual_seed(0)
    t = torch.rand(2, 3, 16, 16, generator=g)
    p = (t + 0.2 * torch.randn(t.shape, generator=g)).clamp(0, 1)
    both = float(loss(p, t))
    alone = (float(loss(p[:1], t[:1])) + float(loss(p[1:], t[1:]))) / 2
    assert both == pytest.approx(alone, rel=1e-5)


def test_self_training_an_encoder_logs_its_progress(tmp_path, caplog):
    """``csr`` with no contrastive weights self-trains its SimCLR encoder first (minutes on a CPU):
    it logged one warning and then nothing until the end — a run that looked hung. Now
    :func:`benchmark.pretrain.pretrain` logs its first step, its last, and a line every
    ``log_every_s`` seconds between (step, loss, rate, time left)."""
    import logging
    import re

    from benchmark.data import ImageRecord
    from benchmark.pretrain import PretrainConfig, pretrain

    g = torch.Generator().manual_seed(0)
    images = [ImageRecord(f"noise{k}", (255 * torch.rand(3, 40, 40, generator=g)).to(torch.uint8)) for k in range(4)]
    cfg = PretrainConfig(recipe="simclr", arch="tinycnn", data="skimage-natural:train", steps=3, batch_size=2,
                         crop=16, bn_recalibrate=False)
    with caplog.at_level(logging.INFO, logger="benchmark.pretrain"):
        pretrain(cfg, out_dir=tmp_path / "a", images=images)
    steps = [m.group(1) for r in caplog.records if (m := re.search(r"step (\d+)/3, loss [\d.]+, .*s left",
                                                                     r.getMessage()))]
    assert steps == ["1", "3"], steps  # first and last; nothing between within the default interval
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="benchmark.pretrain"):
        pretrain(cfg, out_dir=tmp_path / "b", images=images, log_every_s=0)
    assert len([r for r in caplog.records if re.search(r"step \d/3, loss", r.getMessage())]) == 3


def test_gpl_cites_the_papers_authors():
    """``plbench list losses`` and every report cited gpl as "Liu, Li, Hou, Jiang" — not the authors of
    "Generic Perceptual Loss for Modeling Structured Output Dependencies" (CVPR 2021: Yifan Liu, Hao Chen,
    Yu Chen, Wei Yin, Chunhua Shen), whom the finding on the same paper already named."""
    from benchmark.registry import FINDINGS, LOSSES

    cite = LOSSES.get("gpl").citation
    assert cite.startswith("Liu, Chen, Chen, Yin, Shen, Generic Perceptual Loss"), cite
    assert FINDINGS.get("liu2021_random_vgg").citation.split(",")[:5] == cite.split(",")[:5]


def test_pretraining_with_a_bar_does_not_also_log_each_interval(tmp_path, caplog):
    """``plbench pretrain`` in a terminal draws a bar; the progress lines are for logs without one
    (a log line would cut through the bar)."""
    import logging

    from benchmark.data import ImageRecord
    from benchmark.pretrain import PretrainConfig, pretrain

    g = torch.Generator().manual_seed(0)
    images = [ImageRecord(f"noise{k}", (255 * torch.rand(3, 40, 40, generator=g)).to(torch.uint8)) for k in range(4)]
    cfg = PretrainConfig(recipe="simclr", arch="tinycnn", data="skimage-natural:train", steps=2, batch_size=2,
                         crop=16, bn_recalibrate=False)
    with caplog.at_level(logging.INFO, logger="benchmark.pretrain"):
        pretrain(cfg, out_dir=tmp_path, images=images, progress=True, log_every_s=0)
    assert not [r for r in caplog.records if "step 1/2" in r.getMessage()]
    assert [r for r in caplog.records if r.getMessage().startswith("pretrained ")]  # the final line stays
