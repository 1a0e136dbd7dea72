"""Review of the font handling of the figures: fallback fonts for characters DejaVu Sans lacks."""

from __future__ import annotations

import logging
import warnings

import pytest

from benchmark import figures as F

#: a character DejaVu Sans lacks and matplotlib's bundled STIXGeneral has (stands in for a CJK loss name's
#: glyphs and an installed Noto Sans CJK, which CI machines seldom have)
CIRCLED_A = "\u24b6"


@pytest.fixture
def stix_as_fallback(monkeypatch):
    """STIXGeneral as the only fallback font (a machine with Noto Sans CJK installed, for CJK names)."""
    from matplotlib import font_manager as fm
    from matplotlib import ft2font

    stix = [f for f in fm.fontManager.ttflist if f.name == "STIXGeneral"]
    if not stix:
        pytest.skip("matplotlib's bundled STIXGeneral is not installed here")
    dejavu = fm.findfont(fm.FontProperties(family="DejaVu Sans"), fallback_to_default=False)
    assert ord(CIRCLED_A) not in ft2font.FT2Font(dejavu).get_charmap()
    assert any(ord(CIRCLED_A) in ft2font.FT2Font(f.fname).get_charmap() for f in stix)
    monkeypatch.setattr(F, "FALLBACK_FONTS", ("STIXGeneral",))


def test_an_installed_fallback_font_draws_what_dejavu_sans_lacks(stix_as_fallback, caplog, tmp_path):
    """Was: the fallback fonts (Noto Sans CJK, …) were appended to ``font.sans-serif``, but matplotlib
    resolves the generic ``sans-serif`` family to ONE font (the first installed: DejaVu Sans) and falls back
    only along ``font.family``; so a CJK loss name showed empty boxes even where Noto Sans CJK was installed,
    and the log told the user to install the font they had. Now the installed fallbacks follow ``sans-serif``
    in ``font.family``: the glyph is drawn from them in every format, with no warning."""
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with F.style() as plt:
            fig, ax = plt.subplots(figsize=(2, 1))
            ax.set_title(f"loss {CIRCLED_A}")
            ax.set_yticks([0], [f"l1 {CIRCLED_A} {F.WORSE}"])
            F.save(fig, tmp_path / "f", formats=("png", "pdf", "svg"))
    said = [r.getMessage() for r in caplog.records]
    assert not said, said
    assert not [str(w.message) for w in caught]
    assert {p.name for p in tmp_path.iterdir()} == {"f.png", "f.pdf", "f.svg"}


def test_latin_text_is_still_drawn_in_the_first_sans_serif_font(stix_as_fallback):
    """The fallbacks only fill in missing characters: ordinary text keeps DejaVu Sans (seaborn's list)."""
    import matplotlib
    from matplotlib import font_manager as fm

    with F.style():
        assert matplotlib.rcParams["font.family"][0] == "sans-serif"
        fonts = fm.fontManager._find_fonts_by_props(fm.FontProperties())
    assert fm.get_font(fonts[0]).family_name == "DejaVu Sans"
    assert any(fm.get_font(f).family_name == "STIXGeneral" for f in fonts[1:])


@pytest.fixture
def arial_without_symbols(monkeypatch):
    """An installed "Arial" (seaborn's first sans-serif font, macOS's and Windows's) that, like Arial, lacks
    ⚠: matplotlib's bundled cmss10 under that name."""
    import dataclasses

    from matplotlib import font_manager as fm
    from matplotlib import ft2font

    cmss = [f for f in fm.fontManager.ttflist if f.name == "cmss10"]
    if not cmss:
        pytest.skip("matplotlib's bundled cmss10 is not installed here")
    assert ord(F.WORSE) not in ft2font.FT2Font(cmss[0].fname).get_charmap()
    arial = dataclasses.replace(cmss[0], name="Arial")
    monkeypatch.setattr(fm.fontManager, "ttflist", [*fm.fontManager.ttflist, arial])
    fm.FontManager._findfont_cached.cache_clear()
    yield
    fm.FontManager._findfont_cached.cache_clear()


def test_the_figures_own_symbols_are_drawn_where_sans_serif_is_arial(arial_without_symbols, caplog, tmp_path):
    """Was: where Arial is installed (seaborn puts it first), a label's ⚠ (worse than the input) showed as an
    empty box and the log said to install Noto Sans CJK, although matplotlib's own DejaVu Sans has it. Now
    DejaVu Sans is the first fallback: ⚠ is drawn, nothing is said."""
    from matplotlib import font_manager as fm

    caplog.set_level(logging.WARNING)
    with F.style() as plt:
        assert fm.get_font(fm.findfont(fm.FontProperties())).family_name != "DejaVu Sans"  # Arial is used
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.set_title(f"psnr \u2191 bad {F.WORSE}")
        F.save(fig, tmp_path / "f", formats=("png", "pdf", "svg"))
    # (fontTools's notes on the stand-in cmss10's old timestamps, embedding it in the PDF, are not about ⚠)
    said = [r.getMessage() for r in caplog.records if r.name.startswith(("benchmark", "matplotlib"))]
    assert not said, said


def test_a_matplotlibrc_with_usetex_does_not_send_the_figures_text_to_latex(tmp_path, caplog):
    """Was: a user's matplotlibrc with ``text.usetex: True`` (common among paper authors) sent every text of
    every figure to LaTeX: without LaTeX (or cm-super) no figure could be drawn at all, and with it a loss
    name's ``_`` (``ms_ssim_l1``) or ``$`` stopped LaTeX. The figures draw every text as written: usetex off."""
    import matplotlib

    caplog.set_level(logging.WARNING)
    with matplotlib.rc_context({"text.usetex": True}):
        with F.style() as plt:
            fig, ax = plt.subplots(figsize=(2, 1))
            title = ax.set_title(f"ms_ssim_l1 $a_b$ 100% {F.WORSE}")
            ax.set_yticks([0], ["x\\alpha & #1"])
            assert not title.get_usetex()
            F.save(fig, tmp_path / "f", formats=("png", "pdf", "svg"))
    assert {p.name for p in tmp_path.iterdir()} == {"f.png", "f.pdf", "f.svg"}
    said = [r.getMessage() for r in caplog.records if r.name.startswith(("benchmark", "matplotlib"))]
    assert not said, said


def test_a_matplotlibrc_with_mathtext_tick_labels_does_not_print_them_as_code(tmp_path):
    """Was: a user's matplotlibrc with ``axes.formatter.use_mathtext: True`` made every numeric tick label
    ``$\\mathdefault{0.3}$``, which the figures (text never mathtext) printed as written, dollars and all.
    The figures' tick labels are plain numbers whatever the rc."""
    import matplotlib

    with matplotlib.rc_context({"axes.formatter.use_mathtext": True}):
        with F.style() as plt:
            fig, ax = plt.subplots(figsize=(2, 1))
            ax.plot([0.1, 0.4], [1e-5, 3e-5])
            fig.canvas.draw()
            labels = [t.get_text() for t in (*ax.get_xticklabels(), *ax.get_yticklabels()) if t.get_text()]
            labels += [ax.yaxis.get_offset_text().get_text()]
    assert labels and not [t for t in labels if "$" in t or "\\" in t], labels
