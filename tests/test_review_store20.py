"""Review of the store probe (session 20): merge's score comparison, the words scan, the helpers' names."""
from __future__ import annotations

import re


def _small(root, **kw):
    from benchmark.synthetic import write_store

    kw = {"offsets": {"l1": 0.0, "good": 1.0}, "seeds": (0,), "n_images": 2, "metrics": ("psnr",),
          "budget_check": False, **kw}
    return write_store(root, **kw)


def test_merge_takes_scores_apart_only_beyond_float_noise(tmp_path):
    """Where no net checksum tells, merge compares the runs' first passes: an exact comparison named a run whose
    scores differ only by float noise (one net scored on another CPU or GPU: ~1e-7 relative) as 'trained apart' and
    its training as not reproducible there. Noise is one training; a difference in the scores' own digits is two."""
    from benchmark.results import ResultsStore

    here = _small(tmp_path / "here")
    there = _small(tmp_path / "there", offsets={"l1": 0.01, "good": 1.0 + 3e-6})  # l1 apart, good within noise
    loss = {m["run_id"]: (m.get("config") or {}).get("loss") for m in here.metas() if m.get("kind") != "input"}
    got = ResultsStore(here.root).merge_from(there)
    assert set(loss) <= set(got["kept"]) and [loss[r] for r in got["trained_apart"]] == ["l1"], got
    assert got["trained_apart_why"] == ["its scores differ from this store's"], got


def test_fragile_seeds_words_agree_with_the_seeds_named():
    """fragile_seeds chose 'seed'/'any of seeds' by hand (an f-string: the words scan cannot see it) and
    fragile_text counted the seeds of a CSV cell read back by its own split, blanks too: 'seed 3: max p_holm' for
    the cell '3; '. One parse, one agree: 'max' only where several seeds are named."""
    from benchmark.stats import fragile_seeds, fragile_text

    assert [fragile_seeds(s) for s in ([3], "3; ", "0; 1; 3", (4, 1))] == \
        ["seed 3", "seed 3", "any of seeds 0, 1, 3", "any of seeds 1, 4"]
    assert fragile_text("3; ", 0.081) == "seed 3: p_holm = 0.081"
    assert fragile_text("1;3", 0.12) == "any of seeds 1, 3: max p_holm = 0.12"


#: a line that binds ``agree`` or ``plural`` as a name of its own (an assignment, a walrus, a loop or
#: ``with``/``except`` target, a parameter, a nested ``def``): in a module that imports docmarkup's helper, that
#: function's every call of the helper reads the local instead — UnboundLocalError before it is set (findings'
#: settle_plan, b13ae25)
_BINDS = re.compile(r"""^\s*(?:(?P<a>agree|plural)\s*(?::[^=\n]+)?=(?!=)|def\s+(?P<d>agree|plural)\s*\()"""
                    r"""|\b(?P<w>agree|plural)\s*:="""
                    r"""|^\s*for\s+[^\n]*?\b(?P<f>agree|plural)\b[^\n]*?\s+in\s"""
                    r"""|\bas\s+(?P<s>agree|plural)\b(?!\s*\()"""
                    r"""|\b(?:def\s+\w+|lambda)\b[^\n]*?[(,\s](?P<p>agree|plural)\s*(?:[:=,)][^=]|:\s*$)""", re.M)


def test_no_function_names_a_local_after_the_words_helpers():
    """82ae785 put docmarkup.agree into a function where a local ``agree`` (the seeds that settle a part if the images
    agree) shadowed it: every findings plan on few images raised UnboundLocalError (b13ae25 renamed it). export's
    notes held another such local (the seeds' rank agreement), a trap for the next agree() written there. No module
    that imports agree or plural names a local after either."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    found = []
    for path in [p for d in ("benchmark", "losses", "tasks") for p in sorted((root / d).glob("*.py"))]:
        text = path.read_text()
        helpers = {n for n in ("agree", "plural")
                   if re.search(rf"^from benchmark\.docmarkup import .*\b{n}\b", text, re.M)}
        for i, line in enumerate(text.splitlines(), 1):  # the lines that name either: the scan in well under a second
            if ("agree" in line or "plural" in line) and (m := _BINDS.search(line)):
                if set(filter(None, m.groupdict().values())) & helpers:
                    found.append(f"{path.name}:{i}: {line.strip()[:90]}")
    assert not found, "\n".join(found)


def test_the_local_name_scan_finds_each_kind_of_binding():
    lines = ["agree = 1", "x = agree(n, 'a', 'b')", "if agree == 1:", "def agree(n):", "if (agree := f()):",
             "for i, agree in enumerate(x):", "for x in agree(n, 'a', 'b'):", "with f() as plural:",
             "def f(a, agree=None):", "def g(plural):", "f(agree=1)", "y = [plural(n, 'run')]"]
    hits = [i for i, line in enumerate(lines) if _BINDS.search(line)]
    assert hits == [0, 3, 4, 5, 7, 8, 9], hits
