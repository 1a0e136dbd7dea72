"""Review of session 19's report fixes (probe-report): the shared line breaker, caption sentences."""

from __future__ import annotations

from benchmark import figures as F


def test_a_bracketed_phrase_glued_to_a_comparison_sign_is_not_cut_inside_a_word():
    """Was: a bracketed phrase that fits a line was glued with what touches it, but the comparison sign glued before
    it ("needs ≥ (five runs per loss)", 28 characters) was not counted as touching it ("\u00a0" is whitespace to
    str.isspace), so at 20 characters the run was longer than a line and cut inside a word: "… (five runs p" over
    "er loss)". What touches a phrase is now everything up to a breakable space; a run longer than a line is not
    glued, and no line breaks inside a word."""
    text = "aaaa bbbb cccc needs ≥ (five runs per loss) and more and more words to wrap over lines"
    for chars in range(14, 40):
        lines = F._break_lines(text, chars).split("\n")
        assert " ".join(lines) == text, (chars, lines)
        assert all(len(line) <= chars for line in lines), (chars, lines)


def test_adjacent_bracketed_phrases_glued_together_stay_within_a_line():
    """Two phrases touching each other ("(a b)(c d)") make one run once both are glued: each is measured with what
    is already glued beside it, so no run of glued phrases is longer than a line, nor cut inside a word."""
    text = "some words first (alpha beta)(gamma delta)[eps zeta] then more words to wrap over lines"
    for chars in range(12, 40):
        lines = F._break_lines(text, chars).split("\n")
        assert " ".join(lines) == text, (chars, lines)
        assert all(len(line) <= chars for line in lines), (chars, lines)
