"""Probe of the data leftovers of session 18: sizes said width first, CSV comment lines, pipe tables."""

from __future__ import annotations

import pytest
import torch


@pytest.mark.parametrize(("task", "h", "w", "said"), [
    ("demosaic", 4, 5, r"image 5×4 must have even sides"),
    ("sr4", 8, 10, r"image 10×8 is not a multiple of scale 4"),
])
def test_task_size_errors_name_width_first(task, h, w, said):
    """demosaic and sr4 said an image's size height first ('image 4x5' for a 5 px wide, 4 px high one), while the
    data module and image viewers say W×H → width × height, with the multiplication sign."""
    from benchmark.task import build_task

    with pytest.raises(ValueError, match=said):
        build_task(task).degrade(torch.rand(1, 3, h, w), torch.Generator().manual_seed(0))


def test_jpeg_size_error_names_width_first():
    """jpeg said 'image 1x65501 exceeds …' for a 65501 px wide strip: now '65501×1'."""
    from benchmark.task import build_task

    task = build_task("jpeg")
    with pytest.raises(ValueError, match=rf"image {task.max_side + 1}×2 exceeds JPEG's largest side"):
        task.degrade(torch.rand(1, 3, 2, task.max_side + 1), torch.Generator().manual_seed(0))


def test_backbone_too_small_names_width_first():
    """A feature trunk too small for its layers said 'a 2×9 input' for a 9 px wide, 2 px high crop: now '9×2'."""
    from benchmark.backbones import Backbone

    trunk = Backbone("vgg16", ["relu3_3"], weights="random")
    with pytest.raises(RuntimeError, match=r"a 9×2 input is too small for layer"):
        trunk(torch.rand(1, 3, 2, 9))
