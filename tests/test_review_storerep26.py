"""Review of session 26's store and report probes (probe-store, probe-report)."""
from __future__ import annotations


def test_the_visual_grid_s_caption_says_it_shows_one_test_image_s_crop_clean_input_and_restorations():
    """Review 6a60423f: the visual grid's caption read "the same crops of test images as the input and each loss's
    restoration show them", while the grid (figures.visual_grid) shows one crop of one test image — the first — as
    the clean image, the degraded input and each loss's restoration show it: the caption named several images and
    left out the clean panel, the one each restoration is judged against."""
    from benchmark import export

    caption = export.figure_caption("visual_denoise").lower()
    assert caption.startswith("visual denoise: "), caption
    assert "one test image" in caption and "clean" in caption and "input" in caption, caption
    assert "test images" not in caption, caption
