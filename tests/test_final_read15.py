"""Found in the final read of the session's diff."""

import torch

from benchmark.devices import cpu_model
from benchmark.report import task_file_name
from benchmark.stats import device_kind, timed_kind


def test_a_task_named_like_a_numbered_part_gets_a_file_name_of_its_own():
    """task_file_name's docstring promised never ``-<digits>`` (a figure's numbered part: ``metrics_sr-2`` is part 2 of
    task ``sr``'s metric figure), but its fast path let a plugin task ``sr-2`` through as it is, so its figure took
    the name of ``sr``'s second part and the pruning of stale parts read it as one."""
    assert not task_file_name("sr-2").endswith("-2")
    assert task_file_name("sr-2") != task_file_name("sr_2")
    assert task_file_name("sr4") == "sr4" and task_file_name("jpeg-q10x") == "jpeg-q10x"


def test_the_kind_a_checkpoints_steady_time_is_kept_under_is_the_cost_tables_kind():
    """runner._steady_kind (now stats.timed_kind) wrote the cost table's device-kind label again by hand: one wording
    change in either would have dropped (or pooled) a resumed run's steady-state seconds unsaid → it is
    stats.device_kind."""
    for threads in (1, 2, 8):
        assert timed_kind(torch.device("cpu"), threads) == device_kind("cpu", cpu_model(), threads)


def test_the_weights_cache_record_is_readable_by_the_other_users_of_a_shared_cache(tmp_path):
    """weights._write_whole_json (a copy of the store's atomic write, kept below results) left out its chmod: the
    file was mkstemp's 0600, so on a shared torch hub cache other users read no recorded metric files (their
    planning missed a replaced file's digest) → written with the umask's mode, as atomic_write_json does."""
    import stat

    from benchmark.results import atomic_write_json
    from benchmark.weights import _write_whole_json

    _write_whole_json(tmp_path / "a.json", {"x": 1})
    atomic_write_json(tmp_path / "b.json", {"x": 1})
    mode = stat.S_IMODE((tmp_path / "a.json").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "b.json").stat().st_mode) and mode & 0o044
