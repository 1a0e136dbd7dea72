"""Exports of :class:`benchmark.stats.Stats`: Markdown, LaTeX, CSV and one self-contained HTML page.

Notation shared by every export (explained in each file's header):

* a cell is ``mean ± h`` where ``mean`` is over test images within a run, then over seeds, and
  ``h`` is half the width of the 95% bootstrap CI (images and seeds resampled);
* **bold**: the best restoration of the metric *and* every loss not significantly different from
  it (the run as the unit: per-run scores paired by seed, Holm, α; :mod:`benchmark.runstats`) — a
  tie is shown, not ranked away; with fewer than ``MIN_RUNS`` runs per loss nothing is bold;
* ▲ / ▼: significantly better / worse than the baseline loss (Holm over the task);
* † circular: the loss is trained on (a near copy of) that metric; see ``stats.CIRCULAR``.
"""

from __future__ import annotations

import base64
import html
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.stats import INPUT, Stats, metric_order

UP, DOWN = "▲", "▼"
#: a loss whose runs restore worse than the degraded input itself (on psnr)
WORSE = "⚠"


def fmt_ci(mean: float, lo: float, hi: float) -> tuple[str, str]:
    """('28.31', '0.12'): the mean rounded to the precision of the CI half-width (2 digits)."""
    if mean is None or pd.isna(mean):
        return "–", ""
    h = (hi - lo) / 2 if not (pd.isna(lo) or pd.isna(hi)) else float("nan")
    if not np.isfinite(h) or h <= 0:
        return f"{mean:.4g}", ""
    dec = max(0, 1 - int(math.floor(math.log10(h))))
    dec = min(dec, 6)
    return f"{mean:.{dec}f}", f"{h:.{dec}f}"


def _fmt(v, spec=".3g") -> str:
    return "–" if v is None or pd.isna(v) else format(v, spec)


def task_frame(stats: Stats, task: str) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Cells of one task, rows ordered input first then by mean rank; and the metric order."""
    c = stats.cells[stats.cells["task"] == task]
    metrics = metric_order(c["metric"].unique())
    order = c[c["label"] != INPUT].groupby("label")["rank"].mean().sort_values().index.tolist()
    if INPUT in set(c["label"]):
        order = [INPUT] + order
    return c.set_index(["label", "metric"]), metrics, order


def _losses_of(stats: Stats) -> dict[str, str]:
    return dict(zip(stats.cells["label"], stats.cells["loss"])) if not stats.cells.empty else {}


def _cost(stats: Stats, loss: str, task: str | None = None) -> dict:
    df = stats.costs if task is None else stats.task_costs[stats.task_costs["task"] == task]
    hit = df[df["loss"] == loss] if not df.empty else df
    return hit.iloc[0].to_dict() if len(hit) else {}


def md_text(s) -> str:
    """Text from folders, files and specs made safe inside Markdown (and the HTML it renders to):
    ``&``, ``<``, ``>`` as entities, ``|`` escaped (a table cell), newlines as spaces."""
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
            .replace("\n", " "))


def notes(stats: Stats, coverage: bool = True) -> list[str]:
    """Plain-text notes: method, baseline, and what the test-set size allows (``coverage``: with
    one ``Metric coverage:`` line per :attr:`Stats.coverage` entry; the HTML folds them into one)."""
    from benchmark.stats import smoke_test

    smoke = smoke_test(stats)
    out = [smoke + "."] if smoke else []
    if stats.setting:
        out.append(f"Setting (every run in these tables shares it): {stats.setting}.")
    if coverage:
        out += [f"Metric coverage: {line}" for line in stats.coverage]
    from benchmark.stats import seed_agreement

    agree = seed_agreement(stats.blocks)
    if "rho" in agree:
        per_task = ", ".join(f"{t} {r:.2f}" for t, r in agree["by_task"].items())
        out.append(f"Ranking stability: the losses' order under one seed against another agrees with Spearman "
                   f"ρ = {agree['rho']:.2f} on average (min {agree['min']:.2f}; {agree['pairs']} (task, metric) "
                   f"blocks × seed pairs; per task: {per_task}).")
    if not stats.cells.empty:
        from benchmark.runstats import MIN_RUNS

        restored = stats.cells[stats.cells["label"] != INPUT]
        runs = restored.groupby("task")["n_seeds"].min() if not restored.empty else pd.Series(dtype=int)
        few = sorted(t for t, n in runs.items() if n < MIN_RUNS)
        out.append(f"Significance: the training run is the unit — per-run scores (mean over the test images), "
                   f"paired by seed, with the run-to-run and image levels in the standard error (Student's t, "
                   f"Holm); a comparison needs ≥ {MIN_RUNS} paired runs (`plbench calibrate`).")
        if few:
            out.append(f"Too few runs for any verdict in {', '.join(few)} "
                       f"({', '.join(f'{t}: {int(runs[t])}' for t in few)} run(s) per loss, < {MIN_RUNS}): no cell "
                       f"there is bold or {UP}/{DOWN}; the ranks are descriptive (re-run with "
                       f"`--seeds {' '.join(map(str, range(MIN_RUNS)))}`).")
        if stats.baseline not in set(stats.cells["loss"]):
            out.append(f"Baseline `{stats.baseline}` is not in the results: no ▲/▼ marks.")
    out += convergence_notes(stats)
    w = stats.worse
    if w is not None and not w.empty and (w["worse"] > 0).any():
        bad = w[w["worse"] > 0]
        out.append("Worse than the degraded input (psnr below the input's on the same images): "
                   + ", ".join(f"{r.task}/{r.label} {r.worse} of {r.runs} runs ({r.mean_gap:+.2f} dB)"
                               for r in bad.itertuples())
                   + f"; marked {WORSE} in the task tables, counted in their `< input` column.")
    return out


def convergence_notes(stats: Stats) -> list[str]:
    """Runs not shown converged by their budget checks, per task and loss, and the agreement of the
    ranking at ½ budget with the final one (:mod:`benchmark.convergence`)."""
    from benchmark.convergence import arm_status

    out = []
    tc = stats.task_costs
    n_ok = int(tc["ok"].sum()) if not tc.empty and "ok" in tc.columns else 0
    arms = stats.budget
    its = stats.budget_iterations
    if n_ok and (arms is None or arms.empty):
        out.append(f"Convergence not checked: none of the {n_ok} runs has a budget check (the same run with half "
                   "the iterations, trained unless `--no-budget-check`), so none is shown converged.")
    elif n_ok:
        span = f"from {its[1]} to {its[0]} iterations" if its else "from ½ budget to the end"
        bad = tc[tc["unconverged"] > 0]
        n_un = int(tc["unconverged"].sum())
        rule = ("converged: the one-sided 95 % bounds of the mean change over seeds lie within ± every metric's "
                "practical margin, 0.05 dB PSNR")
        if n_un:
            per = []
            for r in bad.itertuples():
                a = arms[(arms["task"] == r.task) & (arms["loss"] == r.loss)]
                p = a[a["metric"] == "psnr"]
                gain = f", psnr {p['gain'].iloc[0]:+.2f} dB" if len(p) else ""
                per.append(f"{r.task}/{r.loss} {arm_status(arms, r.task, r.loss)}{gain}")
            out.append(f"Not shown converged: {n_un} of {n_ok} runs — doubling the budget ({span}) still changed "
                       f"them by more than the margins, or cannot be shown not to ({'; '.join(per)}; {rule}). "
                       "Their ranks measure where the losses stand after this budget, not what they converge to. "
                       "Column `unconv.` per task.")
        else:
            out.append(f"Converged: doubling the budget ({span}) changed none of the {n_ok} runs' losses by a "
                       f"practical margin ({rule}).")
    cv = stats.convergence
    if cv is not None and not cv.empty and cv["tau"].notna().any():
        per = cv.groupby("task")["tau"].mean()
        unstable = [t for t, v in per.items() if v < 0.8]
        out.append("Budget stability: Kendall τ between the losses' ranking at ½ of the iterations (the budget "
                   "checks) and at the full budget (same images and seeds, mean over metrics): "
                   + ", ".join(f"{t} {v:.2f}" for t, v in per.items())
                   + (f"; the ranking still moves in {', '.join(unstable)} (τ < 0.8)." if unstable else "."))
    return out


# --------------------------------------------------------------------------------------------
def markdown(stats: Stats, figures: dict[str, list[Path]] | None = None, root: Path | None = None) -> str:
    """``leaderboard.md``: notation, overall ranking (+ cost, Friedman/CD), one section per task
    (``## <task>``: ``input`` row first, then losses by mean rank; cost columns), figure links."""
    higher = stats.higher()
    lines = ["# Leaderboard", "",
             f"Cells: mean over test images, then over seeds, ± half-width of the 95% bootstrap CI "
             f"(images and seeds resampled, {stats.n_boot} resamples). ↑ higher is better, ↓ lower is better. "
             f"**Bold**: the best restoration and every loss not significantly different from it (runs paired "
             f"by seed, Holm, α = {stats.alpha}; only with enough runs). {UP}/{DOWN}: significantly "
             f"better/worse than `{stats.baseline}` (Holm over the task). `seeds`: the runs each cell rests on. "
             f"† circular: trained on (a near copy "
             f"of) that metric. `input` is the degraded image itself. Losses with learned weights show their "
             f"provenance in brackets (`random` = randomly initialised backbone).", ""]
    lines += [f"> {md_text(n)}" for n in notes(stats)]
    if not stats.ranks.empty:
        caveat = rank_caveat(stats)
        common = caveat is not None
        lines += ["", "## Overall ranking", "",
                  "Mean rank over every (task, metric) block (1 = best); `excl. circular` drops the blocks "
                  "where the loss is scored by its own metric.", ""]
        lines += [f"> {md_text(caveat)}", ""] if caveat else []
        lines += ["| loss | mean rank | sd | min–max | excl. circular | blocks |"
                  + (" common blocks |" if common else "") + " ms/it | peak MB | runs | diverged | failed |",
                  "|---" * (11 + common) + "|"]
        losses = _losses_of(stats)
        for _, r in stats.ranks.iterrows():
            cost = _cost(stats, losses.get(r["label"], r["label"]))
            lines.append(f"| {md_text(r['label'])} | {r['mean_rank']:.2f} | {r['sd_rank']:.2f} | "
                         f"{r['min_rank']:g}–{r['max_rank']:g} | {_fmt(r['mean_rank_noncircular'], '.2f')} | "
                         f"{int(r['n_blocks'])}{'' if r.get('complete', True) else ' ⚠'} | "
                         + (f"{_fmt(r.get('mean_rank_common'), '.2f')} | " if common else "")
                         + f"{_fmt(cost.get('ms_per_it'), '.1f')} | "
                         f"{_fmt(cost.get('peak_mem_mb'), '.0f')} | {cost.get('runs', '–')} | "
                         f"{cost.get('diverged', '–')} | {cost.get('failed', '–')} |")
        f = stats.friedman
        lines += ["", (f"Friedman test over {f['n_blocks']} complete blocks × {f['k']} losses: χ² = "
                       f"{f['statistic']:.1f}, p = {f['p']:.2g}; Nemenyi critical difference (α = {f['alpha']}) = "
                       f"{f['cd']:.2f} ranks." + (f" Not in every block (left out): {', '.join(f['excluded'])}."
                                                  if f.get("excluded") else ""))
                      if "cd" in f else f"No critical-difference summary: {f.get('reason')}."]
    for task in sorted(stats.cells["task"].unique()) if not stats.cells.empty else []:
        c, metrics, order = task_frame(stats, task)
        losses = _losses_of(stats)
        lines += ["", f"## {task}", ""]
        header = ["loss", "seeds"] + [f"{m} {'↑' if higher[m] else '↓'}" for m in metrics] + \
                 ["rank", "ms/it", "diverged", "unconv.", "< input"]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for label in order:
            cells = []
            nseeds = "–"
            for m in metrics:
                if (label, m) not in c.index:
                    cells.append("–")
                    continue
                r = c.loc[(label, m)]
                mean, h = fmt_ci(r["mean"], r["ci_low"], r["ci_high"])
                txt = mean + (f" ± {h}" if h else "")
                if r["top_group"]:
                    txt = f"**{txt}**"
                if r["vs_base"] == 1:
                    txt += f" {UP}"
                elif r["vs_base"] == -1:
                    txt += f" {DOWN}"
                if r["circular"]:
                    txt += " †"
                cells.append(txt)
                if label != INPUT:
                    nseeds = str(int(r["n_seeds"]))
            if label == INPUT:
                extra = ["–", "–", "–", "–", "–"]
            else:
                cost = _cost(stats, losses.get(label, label), task)
                rank = c.xs(label, level="label")["rank"].mean()
                unconv = f"{int(cost['unconverged'])}/{int(cost['ok'])}" if "unconverged" in cost else "–"
                w = stats.worse
                hit = w[(w["task"] == task) & (w["label"] == label)] if w is not None and not w.empty else w
                below = f"{int(hit['worse'].iloc[0])}/{int(hit['runs'].iloc[0])}" if hit is not None and len(hit) \
                    else "–"
                extra = [f"{rank:.1f}", _fmt(cost.get("ms_per_it"), ".1f"), str(cost.get("diverged", "–")), unconv,
                         below]
            flagged = below != "–" and not below.startswith("0/") if label != INPUT else False
            lines.append("| " + " | ".join([md_text(label) + (f" {WORSE}" if flagged else ""), nseeds, *cells, *extra])
                         + " |")
    if figures:
        lines += ["", "## Figures", ""]
        for name, paths in figures.items():
            if paths:
                rel = paths[0].relative_to(root) if root else paths[0]
                lines.append(f"- {name}: [{rel}]({rel})")
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
def _tex(s: str) -> str:
    rep = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
           "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}
    return "".join(rep.get(ch, ch) for ch in str(s))


def latex(stats: Stats) -> str:
    """``leaderboard.tex``: one booktabs ``table`` per task (mean $\\pm$ CI half-width; bold = top
    group; $^\\blacktriangle$/$^\\blacktriangledown$ vs baseline; $^\\dagger$ circular) and one for the
    overall ranking. Needs ``booktabs`` and ``amssymb``."""
    higher = stats.higher()
    out = ["% Generated by plbench report; needs \\usepackage{booktabs,amssymb}", ""]
    for task in sorted(stats.cells["task"].unique()) if not stats.cells.empty else []:
        c, metrics, order = task_frame(stats, task)
        out += [r"\begin{table}[t]", r"\centering", r"\small",
                rf"\caption{{{_tex(task)}: mean $\pm$ half-width of the 95\% bootstrap CI. Bold: best and not "
                rf"significantly different from it (runs paired by seed, Holm, $\alpha={stats.alpha}$); "
                rf"$^\blacktriangle$/$^\blacktriangledown$: significantly better/worse than "
                rf"{_tex(stats.baseline)}; $^\dagger$: circular.}}",
                rf"\label{{tab:{_tex(task).replace(chr(92), '')}}}",
                r"\begin{tabular}{l" + "r" * len(metrics) + "}", r"\toprule",
                "Loss & " + " & ".join(_tex(m) + (r" $\uparrow$" if higher[m] else r" $\downarrow$")
                                       for m in metrics) + r" \\", r"\midrule"]
        for label in order:
            cells = []
            for m in metrics:
                if (label, m) not in c.index:
                    cells.append("--")
                    continue
                r = c.loc[(label, m)]
                mean, h = fmt_ci(r["mean"], r["ci_low"], r["ci_high"])
                txt = f"{mean} $\\pm$ {h}" if h else mean
                if r["top_group"]:
                    txt = rf"\textbf{{{txt}}}"
                sup = ("\\blacktriangle" if r["vs_base"] == 1 else "\\blacktriangledown" if r["vs_base"] == -1
                       else "") + ("\\dagger" if r["circular"] else "")
                cells.append(txt + (f"$^{{{sup}}}$" if sup else ""))
            out.append(f"{_tex(label)} & " + " & ".join(cells) + r" \\")
            if label == INPUT:
                out.append(r"\midrule")
        out += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    if not stats.ranks.empty:
        out += [r"\begin{table}[t]", r"\centering", r"\small",
                r"\caption{Mean rank over all (task, metric) blocks (1 = best), its standard deviation, and the "
                r"mean rank without circular blocks.}", r"\begin{tabular}{lrrr}", r"\toprule",
                r"Loss & Mean rank & SD & Excl.\ circular \\", r"\midrule"]
        best = stats.ranks["mean_rank"].min()
        for _, r in stats.ranks.iterrows():
            mr = f"{r['mean_rank']:.2f}"
            mr = rf"\textbf{{{mr}}}" if r["mean_rank"] == best else mr
            out.append(f"{_tex(r['label'])} & {mr} & {r['sd_rank']:.2f} & "
                       f"{_fmt(r['mean_rank_noncircular'], '.2f')} \\\\")
        out += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
def write_csvs(stats: Stats, root: Path) -> dict[str, Path]:
    """``summary.csv`` (one row per cell, every statistic), ``ranks.csv``, ``costs.csv`` and
    ``convergence.csv`` (per task, loss and metric: runs with a budget check, mean gain from ½ budget
    to the end, its one-sided 95 % bounds, the practical margin, the status; :mod:`benchmark.convergence`)."""
    from benchmark.convergence import ARM_COLUMNS

    out = {}
    budget = stats.budget if stats.budget is not None and not stats.budget.empty else pd.DataFrame(columns=ARM_COLUMNS)
    for name, df in (("summary", stats.cells), ("ranks", stats.ranks), ("costs", stats.costs),
                     ("convergence", budget.drop(columns="setting"))):
        p = root / f"{name}.csv"
        from benchmark.results import atomic_output

        with atomic_output(p) as tmp:
            df.to_csv(tmp, index=False)
        out[f"{name}_csv"] = p
    return out


# --------------------------------------------------------------------------------------------
CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222}
header{padding:12px 20px;background:#263238;color:#fff}header h1{margin:0;font-size:20px}
nav{display:flex;flex-wrap:wrap;gap:4px;padding:8px 20px;background:#eceff1;position:sticky;top:0}
nav button{border:1px solid #b0bec5;background:#fff;padding:5px 12px;border-radius:4px;cursor:pointer}
nav button.active{background:#263238;color:#fff}
section.tab{display:none;padding:12px 20px}section.tab.active{display:block}
table{border-collapse:collapse;margin:10px 0;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{cursor:pointer;background:#fafafa;position:relative}th:after{content:" ⇅";color:#aaa;font-size:10px}
th.asc:after{content:" ▲";color:#333}th.desc:after{content:" ▼";color:#333}
td.top{font-weight:bold;background:#fff8e1}tr.input td{color:#777;font-style:italic}
.scroll{max-width:100%;overflow-x:auto}
table.leaderboard{font-size:12px}
table.leaderboard th{white-space:normal;vertical-align:bottom}table.leaderboard th:after{font-size:9px}
table.leaderboard td{white-space:normal}table.leaderboard td:first-child{overflow-wrap:break-word;max-width:16em}
table.leaderboard .pm,table.leaderboard .v,table.leaderboard .h{white-space:nowrap}
.method{max-width:1000px}.method code,.note code{background:#eceff1;padding:0 3px;border-radius:3px;font-size:90%}
pre{background:#f5f5f5;padding:6px 10px;overflow-x:auto}
.pm{color:#888;font-size:11px}.up{color:#2e7d32}.down{color:#c62828}.circ{color:#6a1b9a}
figure{margin:12px 0}figure img{max-width:min(100%,1000px);border:1px solid #eee}figcaption{font-size:12px;color:#555}
.note{background:#f5f5f5;border-left:3px solid #90a4ae;padding:6px 10px;margin:8px 0}
#js-errors{color:#b00;white-space:pre}
td.wrap{white-space:normal;max-width:340px;text-align:left}
table.findings th,table.findings td{text-align:left;vertical-align:top}
.verdict{color:#fff;padding:2px 7px;border-radius:3px;font-weight:bold;white-space:nowrap}
details{margin:6px 0}summary{cursor:pointer}
"""

#: first script on the page: any later script error is written into the (then visible) #js-errors box
ERROR_TRAP = """
window.addEventListener('error',function(e){
  var d=document.getElementById('js-errors');d.textContent+=(e.message||'script error')+'\\n';d.hidden=false;});
"""

JS = """
(function(){
  var errs=document.getElementById('js-errors');
  window.addEventListener('error',function(e){errs.textContent+=(e.message||'error')+'\\n';errs.hidden=false;});
  var buttons=document.querySelectorAll('nav button');
  function show(id){
    document.querySelectorAll('section.tab').forEach(function(s){s.classList.toggle('active',s.id===id);});
    buttons.forEach(function(b){b.classList.toggle('active',b.dataset.tab===id);});
  }
  buttons.forEach(function(b){b.addEventListener('click',function(){
    show(b.dataset.tab);if(history.replaceState){history.replaceState(null,'','#'+b.dataset.tab);}});});
  function key(td){
    var v=td.getAttribute('data-v');
    if(v!==null){return v===''?NaN:parseFloat(v);}
    return td.textContent.trim();
  }
  document.querySelectorAll('table.sortable').forEach(function(t){
    var ths=t.querySelectorAll('thead th');
    ths.forEach(function(th,i){th.addEventListener('click',function(){
      var asc=!th.classList.contains('asc');
      ths.forEach(function(h){h.classList.remove('asc','desc');});th.classList.add(asc?'asc':'desc');
      var body=t.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=key(a.cells[i]),y=key(b.cells[i]);
        if(typeof x==='number'&&typeof y==='number'){if(isNaN(x))return 1;if(isNaN(y))return -1;return asc?x-y:y-x;}
        return asc?String(x).localeCompare(String(y)):String(y).localeCompare(String(x));});
      rows.forEach(function(r){body.appendChild(r);});
    });});
    t.setAttribute('data-sortable-ready','1');
  });
  var wanted=location.hash.slice(1);  /* report.html#findings opens that tab */
  var known=Array.prototype.some.call(buttons,function(b){return b.dataset.tab===wanted;});
  show(known?wanted:(buttons.length?buttons[0].dataset.tab:''));
  if(known){  /* the tab from its top, not the browser's jump to the section's anchor */
    window.addEventListener('load',function(){setTimeout(function(){window.scrollTo(0,0);},0);});}
  document.body.setAttribute('data-ready','1');
})();
"""


def _img(path: Path, caption: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return (f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _num(v) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):.10g}"


def _task_table(stats: Stats, task: str) -> str:
    higher = stats.higher()
    c, metrics, order = task_frame(stats, task)
    losses = _losses_of(stats)
    head = "".join(f"<th><span class=\"h\">{html.escape(m)} {'↑' if higher[m] else '↓'}</span></th>" for m in metrics)
    rows = []
    for label in order:  # a long label (a spec with its weights) may break after + and :
        tds = [f"<td>{html.escape(label).replace('+', '+<wbr>').replace(':', ':<wbr>')}</td>"]
        for m in metrics:
            if (label, m) not in c.index:
                tds.append('<td data-v="">–</td>')
                continue
            r = c.loc[(label, m)]
            mean, h = fmt_ci(r["mean"], r["ci_low"], r["ci_high"])
            marks = (f' <span class="up" title="significantly better than {stats.baseline}">{UP}</span>'
                     if r["vs_base"] == 1 else
                     f' <span class="down" title="significantly worse than {stats.baseline}">{DOWN}</span>'
                     if r["vs_base"] == -1 else "")
            marks += ' <span class="circ" title="circular: trained on this metric">†</span>' if r["circular"] else ""
            title = f"95% CI [{r['ci_low']:.4g}, {r['ci_high']:.4g}]; p vs {stats.baseline} (Holm) = " \
                    f"{_fmt(r['p_base_adj'], '.2g')}; p vs best (Holm) = {_fmt(r['p_best_adj'], '.2g')}"
            # sort key: larger = better, so a descending sort always puts the best first
            key = r["mean"] if higher[m] else -r["mean"]
            cls = ' class="top"' if r["top_group"] else ""
            # the value and its ± stay on one line each; the cell wraps between them when the table
            # is wider than the page (so 12+ metrics fit 1400 px without a scroll bar)
            tds.append(f'<td{cls} data-v="{_num(key)}" title="{html.escape(title)}"><span class="v">{mean}</span>'
                       + (f' <span class="pm">±&nbsp;{h}</span>' if h else "") + f"{marks}</td>")
        if label == INPUT:
            tds += ['<td data-v="">–</td>'] * 3
        else:
            cost = _cost(stats, losses.get(label, label), task)
            rank = c.xs(label, level="label")["rank"].mean()
            tds += [f'<td data-v="{_num(rank)}">{rank:.1f}</td>',
                    f'<td data-v="{_num(cost.get("ms_per_it"))}">{_fmt(cost.get("ms_per_it"), ".1f")}</td>',
                    f'<td data-v="{_num(cost.get("diverged"))}">{cost.get("diverged", "–")}</td>']
        cls = ' class="input"' if label == INPUT else ""
        rows.append(f"<tr{cls}>" + "".join(tds) + "</tr>")
    return (f'<div class="scroll"><table class="sortable leaderboard" data-task="{html.escape(task)}"><thead><tr>'
            f"<th>loss</th>{head}<th>rank</th><th>ms/it</th><th>diverged</th></tr></thead><tbody>{''.join(rows)}"
            "</tbody></table></div>")


def rank_caveat(stats: Stats) -> str | None:
    """When some loss lacks (task, metric) blocks others have (a slow loss run on fewer tasks, a
    ``compare`` on some tasks): which, and that its mean rank is not comparable; None otherwise."""
    r = stats.ranks
    if r.empty or "complete" not in r or r["complete"].all():
        return None
    cells = stats.cells[stats.cells["label"] != INPUT].dropna(subset=["rank"])
    parts = []
    for _, row in r[~r["complete"]].iterrows():
        tasks = sorted(cells.loc[cells["label"] == row["label"], "task"].unique())
        parts.append(f"{row['label']} ({int(row['n_blocks'])} blocks: {', '.join(tasks)})")
    n = int(r["n_common"].iloc[0])
    return ("Not every loss has every block: " + "; ".join(parts) + ". A mean rank over other blocks and "
            "fewer rivals is not comparable with the others': those losses (⚠) are listed last, and `common "
            f"blocks` gives every loss's mean rank over the {n} block(s) all of them have.")


def _rank_table(stats: Stats) -> str:
    losses = _losses_of(stats)
    common = rank_caveat(stats) is not None
    rows = []
    for _, r in stats.ranks.iterrows():
        cost = _cost(stats, losses.get(r["label"], r["label"]))
        vals = [(r["mean_rank"], ".2f"), (r["sd_rank"], ".2f"), (r["min_rank"], "g"), (r["max_rank"], "g"),
                (r["mean_rank_noncircular"], ".2f"), (r["n_blocks"], "d"),
                *([(r.get("mean_rank_common"), ".2f")] if common else []), (cost.get("ms_per_it"), ".1f"),
                (cost.get("peak_mem_mb"), ".0f"), (cost.get("runs"), "d"), (cost.get("diverged"), "d"),
                (cost.get("failed"), "d")]
        tds = "".join(f'<td data-v="{_num(v)}">{_fmt(v if v is None or pd.isna(v) or f != "d" else int(v), f)}</td>'
                      for v, f in vals)
        flag = "" if r.get("complete", True) else " ⚠"
        rows.append(f"<tr><td>{html.escape(r['label'])}{flag}</td>{tds}</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("loss", "mean rank", "sd", "min", "max", "excl. circular", "blocks",
                                              *(["common blocks"] if common else []),
                                              "ms/it", "peak MB", "runs", "diverged", "failed"))
    caveat = rank_caveat(stats)
    note = f"<p class=\"note\">{html.escape(caveat)}</p>" if caveat else ""
    return note + f'<table class="sortable ranks"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


BENCHMARK = "plbench perceptual-loss benchmark"
_RESERVED_TABS = ("overview", "findings", "method")


def task_tab_ids(tasks) -> dict[str, str]:
    """{task: the id of its tab}: the task's name made a URL fragment (``report.html#denoise``);
    one that would clash with another tab or task gets ``task-`` in front."""
    out: dict[str, str] = {}
    for t in tasks:
        tid = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(t)).strip("-") or "task"
        while tid in _RESERVED_TABS or tid in out.values():
            tid = f"task-{tid}"
        out[t] = tid
    return out


def page_title(setting: dict | None = None, profile: str | None = None, tasks=()) -> str:
    """The page title: the benchmark, the profile, the tasks and the training setting that matters
    for reading it (net, iterations, batch × crop), e.g. ``plbench perceptual-loss benchmark —
    quick profile: denoise, sr4 — net tiny, 120 iterations, batch 8 × 48²``."""
    setting = setting or {}
    head = f"{profile} profile" if profile else ""
    if tasks:
        head += (": " if head else "") + ", ".join(map(str, tasks))
    from benchmark.settings import schedule_parts

    bits = schedule_parts(setting)
    return " — ".join(x for x in (BENCHMARK, head, ", ".join(bits)) if x)


def _coverage_html(lines: list[str]) -> str:
    """Every coverage line of :attr:`Stats.coverage` folded into one ``<details>``: a one-line
    summary (which metrics are not fully scored, how many damaged runs are left out), the lines inside."""
    from benchmark.docmarkup import inline_html

    if not lines:
        return ""
    metrics = list(dict.fromkeys(m.group(1) for m in (re.match(r"`([^`]+)`", line) for line in lines) if m))
    other = sum(1 for line in lines if not re.match(r"`[^`]+`", line))
    bits = []
    if metrics:
        bits.append(f"{len(metrics)} metric{'s' if len(metrics) != 1 else ''} not scored in every run "
                    f"({', '.join(metrics)})")
    if other:
        bits.append(f"{other} other note{'s' if other != 1 else ''} (damaged runs left out)")
    items = "".join(f"<li>{inline_html(line)}</li>" for line in lines)
    return (f'<details class="note coverage"><summary>Metric coverage: {html.escape("; ".join(bits))} — open for '
            f"the reasons</summary><ul>{items}</ul></details>")


def html_report(stats: Stats, figures: dict[str, list[Path]], title: str | None = None,
                findings: str | None = None) -> str:
    """``report.html``: one page, no external resources. Tabs: *Overview* (ranking + cost table,
    Friedman/CD, rank heatmap, CD diagram, perception–distortion plane, training curves), one tab
    per task (``report.html#<task>``: sortable leaderboard with CI, significance and circularity
    marks; per-metric point plot; visual comparison grid when available), *Findings* (``findings``:
    the HTML of :func:`benchmark.findings.to_html`, when given) and *Method* (the method docstrings,
    rendered by :mod:`benchmark.docmarkup`). Figures are embedded PNGs. ``title``: the page title
    (default :func:`page_title` of the tasks)."""
    from benchmark.docmarkup import inline_html, to_html

    tasks = sorted(stats.cells["task"].unique()) if not stats.cells.empty else []
    ids = task_tab_ids(tasks)
    title = title or page_title(tasks=tasks)
    tabs = [("overview", "Overview")] + [(ids[t], t) for t in tasks] + \
        ([("findings", "Findings")] if findings else []) + [("method", "Method")]
    nav = "".join(f'<button data-tab="{html.escape(tid)}">{html.escape(name)}</button>' for tid, name in tabs)
    f = stats.friedman
    fr = (f"Friedman test over {f['n_blocks']} complete (task, metric) blocks × {f['k']} losses: "
          f"χ² = {f['statistic']:.1f}, p = {f['p']:.2g}; Nemenyi CD = {f['cd']:.2f} ranks."
          if "cd" in f else f"No critical-difference summary: {f.get('reason')}.")
    notes_html = "".join(f'<p class="note">{inline_html(n)}</p>' for n in notes(stats, coverage=False))
    notes_html += _coverage_html(list(stats.coverage))

    def figs(*names):
        return "".join(_img(figures[n][0], n.replace("_", " ")) for n in names if figures.get(n))

    sections = [f'<section class="tab" id="overview"><h2>Overall ranking</h2>{notes_html}'
                f"{_rank_table(stats) if not stats.ranks.empty else '<p>No ranked results.</p>'}"
                f"<p>{html.escape(fr)}</p>"
                + figs("rank_heatmap", "cd_diagram", "pd_plane", "training_curves") + "</section>"]
    for t in tasks:
        sections.append(f'<section class="tab" id="{html.escape(ids[t])}"><h2>{html.escape(t)}</h2>'
                        f"{_task_table(stats, t)}" + figs(f"metrics_{t}", f"visual_{t}") + "</section>")
    if findings:
        sections.append('<section class="tab" id="findings"><h2>Published findings, checked on these results</h2>'
                        '<p class="note">Each claim is tested with paired comparisons on the same test images '
                        "(per-run scores paired by seed, the run-to-run and image levels in the CI, Holm over "
                        "the claim's parts). "
                        "Open a finding below for every part. Details: findings.md.</p>" + findings + "</section>")
    from benchmark import findings as findings_mod
    from benchmark import stats as stats_mod

    docs = [__doc__, stats_mod.__doc__] + ([findings_mod.__doc__] if findings else [])
    method = "".join(f'<div class="method">{to_html(d or "")}</div>' for d in docs)
    sections.append(f'<section class="tab" id="method"><h2>Method</h2>{method}</section>')
    known = stats.setting and stats.setting not in ("setting not recorded", "no results")
    setting = f"Setting: {html.escape(stats.setting)}. " if known else ""
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{html.escape(title)}</h1><div>{setting}Cells: mean ± 95% CI half-width; bold: not "
            f"significantly different from the best; {UP}/{DOWN} vs {html.escape(stats.baseline)}; † circular. "
            f"Click a column header to sort.</div></header><nav>{nav}</nav>"
            f'<div id="js-errors" hidden></div><script>{ERROR_TRAP}</script>{"".join(sections)}'
            f"<script>{JS}</script></body></html>")
