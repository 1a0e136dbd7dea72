"""The reST/Markdown subset of this project's docstrings and notes, as HTML or as plain text.

Block level: paragraphs (blank-line separated), bullet lists (``* `` or ``- `` items, indented
continuation lines) and literal blocks (a paragraph ending in ``::``, then an indented block).
Inline: ````code```` and ```code``` (Markdown), ``**bold**``, ``*italic*``, and the Sphinx roles
``:class:`x```, ``:func:`x```, ``:data:`x```, ``:mod:`x```, ``:meth:`x```, ``:attr:`x``` shown as
code (``~a.b.C`` shows ``C``, as Sphinx does). Anything else passes through as text, escaped for
HTML. No dependency: docutils and markdown are not needed for this much.
"""

from __future__ import annotations

import html
import inspect
import re
import unicodedata

_ROLE = re.compile(r":(?:py:)?(?:class|func|data|mod|meth|attr|obj|exc|const):`([^`]+)`")
_CODE2 = re.compile(r"``(.+?)``")
_CODE1 = re.compile(r"(?<![`\w])`([^`]+)`(?![`\w])")
_BOLD = re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_BULLET = re.compile(r"^([*-]) +")
_STASH = "\x00{}\x00"


def _rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL")


def _in_name(ch: str) -> bool:
    """A character a loss name (an identifier) may hold: a letter, a digit, '_', a combining mark, ZWNJ or ZWJ."""
    return ch.isalnum() or ch in "_\u200c\u200d" or unicodedata.category(ch).startswith("M")


def isolate_rtl(text: str, start: str = "\u2068", end: str = "\u2069") -> str:
    """``text`` with each right-to-left run (Arabic or Hebrew letters with their marks, and the digits and '_' between
    two of them: a loss name, an identifier, 'خسارة_عربية') between ``start`` and ``end``: the isolates U+2068 … U+2069
    (a figure's text) or ``<bdi>`` … ``</bdi>`` (:func:`bdi_html`). A text or paragraph whose first strong letter is
    right-to-left is laid out right to left, and a number after an Arabic word joins it (the Unicode bidi rules a
    browser and matplotlib follow): a plugin loss 'خسارة_عربية' had its CD-diagram rank drawn on its left, and
    report.html's Friedman note read "12.20 خسارة_عربية" for "خسارة_عربية 12.20". Isolated, the name keeps its own
    order and the text its left-to-right one around it; two names in a list ('خسارة_عربية, עברית') are two runs, kept
    in their written order (as one, the second was drawn first). Unchanged without such a letter, or once isolated."""
    if start in text or not any(_rtl(c) for c in text):
        return text
    out, i, n = [], 0, len(text)
    while i < n:
        if not _rtl(text[i]):
            out.append(text[i])
            i += 1
            continue
        stop = j = i + 1  # the run: one name, to its last right-to-left letter (and its marks) before a character
        # no name holds. A name's vowel marks (Arabic 'خَسارة', Hebrew 'שָׁלוֹם': an identifier's combining marks) and a
        # Persian name's ZWNJ are in it: cut there, its pieces were isolated apart, set left to right, the marks alone
        while j < n and _in_name(text[j]) and unicodedata.bidirectional(text[j]) != "L":
            j += 1
            if _rtl(text[j - 1]) or (stop == j - 1 and unicodedata.category(text[j - 1]).startswith("M")):
                stop = j
        out.append(f"{start}{text[i:stop]}{end}")
        i = stop
    return "".join(out)


#: an HTML page's parts that are not text to isolate in: tags, and the raw text of script, style and title
_NOT_TEXT = re.compile(r"(<script\b.*?</script>|<style\b.*?</style>|<title\b.*?</title>|<[^>]*>)", re.S | re.I)


def bdi_html(doc: str) -> str:
    """An HTML page with each right-to-left run of its text (:func:`isolate_rtl`) in a ``<bdi>`` element: isolated
    without an invisible character that a reader copying a loss name would copy too."""
    return "".join(part if i % 2 else isolate_rtl(part, "<bdi>", "</bdi>")
                   for i, part in enumerate(_NOT_TEXT.split(doc)))


#: in one line of Markdown: a code span (its opening backticks not escaped), a link's or image's target, or other text
_MD_PART = re.compile(r"(?<!\\)(`+)(?:.+?)(?<!`)\1(?!`)|(?<=\])\([^)\s]*\)|[^`\]]+|.", re.S)
#: a Markdown line's block markers: indentation, blockquote '>', heading '#', list bullet or number
_MD_LEAD = re.compile(r"^(\s*(?:>\s*)*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+)?)")
_LRM = "\u200e"


def _first_strong_rtl(text: str) -> bool:
    for ch in text:
        if (kind := unicodedata.bidirectional(ch)) in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _isolate_md_text(text: str) -> str:
    """One block's (or one table cell's) Markdown with each right-to-left run of its text isolated (U+2068 … U+2069),
    a code span holding one isolated whole (its text as written: a command a reader copies stays clean), a link's
    target as written."""
    out = []
    for m in _MD_PART.finditer(text):
        part = m.group(0)
        if m.group(1) is not None or part.startswith("("):
            out.append(f"\u2068{part}\u2069" if m.group(1) and any(_rtl(c) for c in part) else part)
        else:
            out.append(isolate_rtl(part))
    return "".join(out)


def isolate_rtl_markdown(doc: str) -> str:
    """A Markdown document (``leaderboard.md``, ``findings.md``, ``compare/<loss>.md``) with each right-to-left run of
    its text isolated (:func:`isolate_rtl`: U+2068 … U+2069, the bidi isolates GitHub keeps, where it strips
    ``<bdi>``): 'خسارة_عربية 12.20' in the Friedman note rendered as '12.20 خسارة_عربية' (a number after an Arabic
    word joins its right-to-left run), the rank read as the loss before it's. A paragraph, heading, list item or
    quote whose first strong letter is right-to-left also starts with a LEFT-TO-RIGHT MARK: GitHub sets them
    ``dir="auto"``, which takes the first strong letter (an isolate's too) as the block's direction and would lay
    the whole line out right to left. Table cells are isolated cell by cell; code spans keep their text (wrapped
    whole), fenced code blocks and link targets are left as written. Unchanged without a right-to-left letter, or once
    isolated (a line holding U+2068)."""
    if not any(_rtl(c) for c in doc):
        return doc
    lines, fenced = [], False
    for line in doc.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if fenced or line.lstrip().startswith(("```", "~~~")) or not any(_rtl(c) for c in line) or "\u2068" in line:
            lines.append(line)
            continue
        if line.lstrip().startswith("|"):  # a table row: each cell on its own (an unescaped '|' ends one)
            cells = re.split(r"(?<!\\)(\|)", line)
            lines.append("".join(c if c == "|" else _isolate_md_text(c) for c in cells))
            continue
        lead = _MD_LEAD.match(line).group(1)
        body = line[len(lead):]
        lines.append(lead + (_LRM if _first_strong_rtl(body) else "") + _isolate_md_text(body))
    return "\n".join(lines)


def agree(n, one: str, many: str) -> str:
    """The word (or words) that agree with the count ``n``: ``one`` where ``n`` is 1 (``1``, ``1.0``, ``"1"``), else
    ``many`` (0 too): ``agree(n, "is", "are")``, ``agree(n, "it", "them")``, ``f"run{agree(n, '', 's')}"``. Every
    singular/plural choice of the product's text goes through it or :func:`plural` (tests/test_mend_words17.py)."""
    return one if n == 1 or n == "1" else many


#: the most lines a note naming losses takes before it counts them instead (:func:`capped_text`)
NOTE_LINES = 4


def capped_text(full: str, compact: str, chars: int, wrap=None) -> str:
    """A note naming losses (a figure's caption, a table's note, a log line), on lines of ``chars`` characters:
    ``full`` (naming each loss), or, where that takes more than :data:`NOTE_LINES` lines, ``compact`` (counting them)
    — the one rule of every such note. ``wrap(text, chars)``: its lines (default :func:`textwrap.wrap`; a figure's
    are :func:`benchmark.figures.capped_note`'s, as its captions break)."""
    import textwrap

    return full if len((wrap or textwrap.wrap)(full, chars)) <= NOTE_LINES else compact


def plural(n, word: str, many: str | None = None) -> str:
    """``n`` and ``word`` in the number it takes, for text a reader reads (tables, figures, notes, CLI lines):
    ``plural(1, "run")`` → ``"1 run"``, ``plural(3, "run")`` → ``"3 runs"``, ``plural(0, "run")`` → ``"0 runs"``;
    ``many``: an irregular plural (``plural(2, "loss", "losses")``). ``n`` may be text (``"1–3"``: plural)."""
    return f"{n} {agree(n, word, many or word + 's')}"


def _role_target(text: str) -> str:
    """``~benchmark.errors.UserError`` → ``UserError``; ``title <target>`` → ``title``."""
    text = re.sub(r"\s*<[^>]*>$", "", text.strip())
    return text.rsplit(".", 1)[-1] if text.startswith("~") else text


def _inline(text: str, html_out: bool) -> str:
    """Inline markup of one paragraph (already joined into one line)."""
    stash: list[str] = []

    def code(s: str) -> str:
        stash.append(f"<code>{html.escape(s, quote=False)}</code>" if html_out else s)
        return _STASH.format(len(stash) - 1)

    text = _ROLE.sub(lambda m: code(_role_target(m.group(1)).lstrip("~")), text)
    text = _CODE2.sub(lambda m: code(m.group(1)), text)
    text = _CODE1.sub(lambda m: code(m.group(1)), text)
    if html_out:
        text = html.escape(text, quote=False)
    text = _BOLD.sub(r"<strong>\1</strong>" if html_out else r"\1", text)
    text = _ITALIC.sub(r"<em>\1</em>" if html_out else r"\1", text)
    return re.sub("\x00(\\d+)\x00", lambda m: stash[int(m.group(1))], text)


def inline_html(text: str) -> str:
    """One line of text with inline markup → HTML (escaped)."""
    return _inline(" ".join(str(text).split("\n")), True)


def inline_text(text: str) -> str:
    """One line of text with inline markup → plain text (the markup dropped)."""
    return _inline(" ".join(str(text).split("\n")), False)


def _blocks(doc: str) -> list[tuple[str, object]]:
    """[(kind, content)]: ("p", text), ("ul", [item text]), ("pre", text)."""
    lines = inspect.cleandoc(doc or "").splitlines()
    out: list[tuple[str, object]] = []
    i, literal_next = 0, False
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if literal_next and lines[i].startswith((" ", "\t")):
            block = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                block.append(lines[i])
                i += 1
            out.append(("pre", inspect.cleandoc("\n".join(block))))
            literal_next = False
            continue
        literal_next = False
        para = []
        while i < len(lines) and lines[i].strip():
            para.append(lines[i])
            i += 1
        if _BULLET.match(para[0]):
            items: list[str] = []
            for line in para:
                m = _BULLET.match(line)
                if m:
                    items.append(line[m.end():].strip())
                elif items:
                    items[-1] += " " + line.strip()
            out.append(("ul", items))
            continue
        text = " ".join(line.strip() for line in para)
        if text.endswith("::"):
            literal_next = True
            text = text[:-1] if not text.endswith(" ::") else text[:-3]
            if not text:
                continue
        out.append(("p", text))
    return out


def to_html(doc: str) -> str:
    """A docstring → HTML paragraphs, lists and ``<pre>`` blocks."""
    parts = []
    for kind, body in _blocks(doc):
        if kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{_inline(item, True)}</li>" for item in body) + "</ul>")
        elif kind == "pre":
            parts.append(f"<pre>{html.escape(body, quote=False)}</pre>")
        else:
            parts.append(f"<p>{_inline(body, True)}</p>")
    return "".join(parts)


def to_text(doc: str) -> str:
    """A docstring → plain text: paragraphs on one line each, ``•`` items, markup dropped."""
    parts = []
    for kind, body in _blocks(doc):
        if kind == "ul":
            parts.append("\n".join(f"• {_inline(item, False)}" for item in body))
        elif kind == "pre":
            parts.append(body)
        else:
            parts.append(_inline(body, False))
    return "\n\n".join(parts)

