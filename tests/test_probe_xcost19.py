"""Probe of the cost and methods leftovers, round 19: the pretrain estimate's device, perf's CPU allocation failure,
the harness's own metrics read without torch, memory units."""

import pytest

PRETRAIN = "plbench pretrain --recipe simclr --data skimage:train"


@pytest.mark.parametrize("steps, timed", [(500, "3 of its 500 steps timed"), (1, "its 1 step timed"),
                                          (2, "its 2 steps timed")])
def test_the_pretrain_estimate_names_its_device_as_the_dry_run_does(monkeypatch, steps, timed):
    """_pretrain_estimate said "about N … here" with no device, beside a dry run that names its device one way in
    every line (stats.device_kind: `cpu (<model>, 2 threads)`); with one step timed it said "1 of its 1 steps". It now
    names the device the steps ran on as the dry run does (on the CPU, pretrain's threads: P.threads_on), and says all
    its steps timed where they all were."""
    from benchmark import devices
    from benchmark import pretrain as P
    from benchmark.cli import _pretrain_estimate
    from benchmark.stats import device_kind

    monkeypatch.setattr(P, "estimate_seconds", lambda cfg, **_: (45.0, 0.66))
    monkeypatch.setattr(devices, "cpu_model", lambda: "Xeon W-2245")
    said = _pretrain_estimate(f"{PRETRAIN} --steps {steps}")
    kind = device_kind("cpu", "Xeon W-2245", P.threads_on("cpu"))
    assert said == f"about 45 s here: {timed} on {kind}, 0.66 steps/s as this machine is loaded now", said


@pytest.mark.parametrize("message", [
    "[enforce fail at alloc_cpu.cpp:114] data. DefaultCPUAllocator: not enough memory: you tried to allocate "
    "21474836480 bytes.",
    "DefaultCPUAllocator: can't allocate memory: you tried to allocate 21474836480 bytes. Error code 12 (Cannot "
    "allocate memory)"])
def test_perf_out_of_host_memory_on_the_cpu_is_one_line(monkeypatch, message):
    """``plbench perf --batch-size 512 --crop 256`` on the CPU: the host's allocator failing (a RuntimeError torch
    raises as "DefaultCPUAllocator: …", not recognised as out of memory) ended in a traceback, where a GPU's is one
    line (runner.oom_summary). It is now the same one line naming the loss, net and shape and what to lower."""
    from test_probe_cost19 import _Clock, _counting_steps

    from benchmark import perf
    from benchmark.errors import UserError

    _counting_steps(monkeypatch, _Clock(), fail=("vgg", RuntimeError(message)))
    with pytest.raises(UserError) as err:
        perf.measure(["vgg"], net="base", batch=512, crop=256, reps=1, warmup=0, naive=False, flops=False, images=[])
    line = str(err.value)
    assert "\n" not in line and line.startswith("out of memory on cpu in a training step of net base with loss 'vgg'")
    assert "512 × 256²" in line and "allocate 21474836480 bytes" in line and "--batch-size" in line, line


HARNESS_FILELESS = ("psnr_y", "ssim_y", "psnr_rgb", "psnrb_y")


def test_the_harness_s_own_fileless_metrics_are_read_without_importing_the_metrics(monkeypatch):
    """``plbench findings`` / ``report`` on a store scored with psnr_y, ssim_y@shave4, psnr_rgb or psnrb_y imported
    benchmark.metrics and torch to learn that they read no file: they have no code tag and are not pyiqa's
    (metric_code.OFFLINE_OK). Each is now marked where it is registered (``register_metric(…, reads_no_file=True)``),
    read from the source without importing it (metric_code.READS_NO_FILE); a metric of a file is still hashed."""
    from conftest import refuse_imports

    from benchmark.results import current_digests

    refuse_imports(monkeypatch, "benchmark.metrics", "benchmark.weights", "torch")
    digests = current_digests(["psnr", "psnr_y", "ssim_y@shave4", "psnr_rgb@shave8", "psnrb_y@grey", "mad"])
    assert set(digests) == {"mad"}, digests


def test_the_fileless_marker_is_the_registrys_own():
    """READS_NO_FILE is read from the registrations, not kept beside them: every metric registered with
    ``reads_no_file=True`` is in it and no other, and none of them has a file digest."""
    from benchmark.metric_code import READS_NO_FILE
    from benchmark.metrics import weights_digest
    from benchmark.registry import METRICS

    marked = {e.name for e in METRICS.entries() if e.meta.get("reads_no_file") is True}
    assert marked == set(READS_NO_FILE) >= set(HARNESS_FILELESS), (marked, READS_NO_FILE)
    assert "contrique_fr" not in READS_NO_FILE
    assert all(weights_digest(m) == "" for m in READS_NO_FILE)


def test_memory_is_labelled_in_the_unit_it_is_counted_in():
    """meta.json's peak_mem_mb and peak_rss_mb are counted in 2²⁰ bytes (torch's allocator bytes / 2**20, /proc's
    VmHWM kB / 1024) and the overall ranking (leaderboard.md, report.html), its legend, csv_columns.md's costs.csv
    rows and ``plbench perf`` labelled them MB, 10⁶ bytes: 5 % off a figure a reader sizes a machine by, beside
    nvidia-smi's MiB. Every label and column doc now says MiB; costs.csv's column names are unchanged."""
    import html

    from benchmark import stats as S
    from benchmark.export import CSV_COLUMNS, html_report, markdown
    from benchmark.perf import PerfRow, format_rows
    from benchmark.synthetic import synthetic_table

    st = S.compute(synthetic_table(tasks=("denoise",), offsets={"l1": 0.0, "l2": 0.5}, seeds=(0,),
                                   metrics=("psnr",)), n_boot=5)
    md, page = markdown(st), html.unescape(html_report(st, {}))
    head = next(line for line in md.splitlines() if line.startswith("| loss | mean rank"))
    assert "| peak MiB | RSS MiB |" in head, head
    assert "<th>peak MiB</th><th>RSS MiB</th>" in page
    for text in (md, page.replace("<code>", "`").replace("</code>", "`")):
        assert "`peak MiB`: the largest peak of GPU memory" in text and "`RSS MiB`: the largest peak of CPU" in text
        assert " MB" not in text.replace("MiB", ""), [s for s in text.split("\n") if " MB" in s]
    docs = CSV_COLUMNS["costs.csv"]
    assert "(MiB)" in docs["peak_mem_mb"] and "(MiB)" in docs["peak_rss_mb"], docs
    row = PerfRow("l1", 10.0, 100.0, 1.0, None, 12.0, None, None, "stand-in")
    assert "peak MiB" in format_rows([row], "setup") and "peak MB" not in format_rows([row], "setup")
