"""Review of probe-verdicts6: one Holm family for a finding wherever it is judged, the deblur version bump
(test inputs and the GPU draws unchanged), and the calibration tests' Monte-Carlo error."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd


def _two_setting_store(root, effects=(0.3, 0.3)):
    """A store with l1 and l2 on sr4 at two task settings (``sigma`` 0.1 and 0.2, one shared setting each):
    l1 better than l2 by ``effects[k]`` (in psnr SCALE units) in setting k. Returns (store, setting JSONs)."""
    from benchmark.results import ResultsStore, atomic_write_json
    from benchmark.synthetic import synthetic_runs

    store = ResultsStore(root)
    store.ensure_writable()
    keys = []
    for k, (sigma, eff) in enumerate(zip((0.1, 0.2), effects)):
        for rid, meta, rows in synthetic_runs(tasks=("sr4",), offsets={"l1": eff, "l2": 0.0}, seeds=range(5),
                                              metrics=("psnr",), n_images=6, seed=k, seed_sd=0.3):
            rid2 = f"{rid}-s{k}"
            params = {"sigma": sigma}
            new = []
            for r in rows:
                setting = r["setting"]
                if setting is not None:
                    s = json.loads(setting)
                    s["task_params"] = params
                    setting = json.dumps(s, sort_keys=True)
                    keys.append(setting)
                new.append({**r, "run_id": rid2, "task_params": json.dumps(params), "setting": setting})
            meta = {**meta, "run_id": rid2}
            if "setting" in meta:
                meta["setting"] = {**meta["setting"], "task_params": params}
            store.write_eval(rid2, new, sorted({r["metric"] for r in new}), {})
            atomic_write_json(store.run_dir(rid2) / "meta.json", meta)
    return store, list(dict.fromkeys(keys))


def test_plbench_findings_and_the_report_judge_a_setting_in_one_holm_family(tmp_path):
    """Was: `plbench findings` made a finding's Holm family of every setting of the store while the report's
    Findings (and the findings.md/.csv it writes over the same files) made it of the report's setting alone: the
    same part of the same runs had two Holm p's, and which findings.md a store held depended on the command run
    last. Now both take the family from every setting of the store and the report shows its own setting's rows."""
    from benchmark.findings import check_store
    from benchmark.report import write_report

    store, keys = _two_setting_store(tmp_path / "r")
    assert len(keys) == 4  # two settings, each with its budget check
    cli = [p for r in check_store(store, ["zhao2017_l1_vs_l2"]) for p in r.parts]
    assert len(cli) == 2
    write_report(store, keep={keys[0]}, n_boot=100, formats=(), visual=False, html=False)
    csv = pd.read_csv(tmp_path / "r" / "findings.csv")
    rep = csv[csv["finding"] == "zhao2017_l1_vs_l2"]
    assert len(rep) == 1  # the report's own setting
    mine = [p for p in cli if np.isclose(p.p, float(rep["p"].iloc[0]))]
    assert len(mine) == 1
    assert np.isclose(float(rep["p_holm"].iloc[0]), mine[0].p_adj)  # the family of every setting, as the CLI
