"""``plbench check`` on a store with a damaged run and an empty run folder (a merge or run stopped by a full disk
before its first file): the damaged summary counts runs as the clean one does and names the empty folders."""
import pytest


@pytest.mark.parametrize("kind", ["trained", "input"])
def test_the_damaged_summary_names_an_empty_run_folder_and_leaves_it_out_of_the_count(tmp_path, capsys, kind):
    """One unreadable meta.json beside an empty folder read "1 of 2 runs damaged" (or "1 of 1 run and 0 of 1
    scoring …" never, but the empty input folder was passed over in silence): the empty folder was counted as a run
    and never named. It is left out of the count and named in the clean summary's clause."""
    import shutil

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "s", offsets={"l1": 0.0, "good": 1.0}, seeds=(0,), n_images=3,
                        metrics=("psnr",), budget_check=False)
    ids = store.run_ids()
    trained = [r for r in ids if not r.startswith("input-")]
    inputs = [r for r in ids if r.startswith("input-")]
    (store.run_dir(trained[0]) / "meta.json").write_text("{not json")
    if kind == "trained":
        store.run_dir("0123456789abcdef").mkdir(parents=True)
    else:  # the input's scoring, stopped before its first file
        shutil.rmtree(store.run_dir(inputs[0]))
        store.run_dir(inputs[0]).mkdir(parents=True)
    capsys.readouterr()
    assert main(["check", "--out", str(store.root)]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"1 of {len(trained)} runs damaged") or \
        last.startswith(f"1 of {len(trained)} runs and "), last
    assert "1 empty run folder (a merge or run stopped before its first file: nothing to resume; the same command " \
           "fills it)" in last, last
    assert "scoring" not in last, last  # the empty input folder is no scoring, damaged or not
    assert main(["check", "--out", str(store.root), "--repair"]) == 0  # the damaged run set aside; the folder stays
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"1 of {len(trained)} runs set aside"), last
    assert "1 empty run folder (" in last and "scoring" not in last, last


def test_the_damaged_net_summary_names_an_empty_run_folder_and_leaves_it_out_of_the_count(tmp_path, capsys):
    """The sibling summary for records intact but a saved net damaged: "1 of 3 runs with a damaged saved net" for
    two trained runs and an empty folder, which was never named. Counted and named as the clean summary does."""
    from test_probe_store9 import _net_as_the_runner_saves_it

    from benchmark.cli import main
    from benchmark.synthetic import write_store

    store = write_store(tmp_path / "s", offsets={"l1": 0.0, "good": 1.0}, seeds=(0,), n_images=3,
                        metrics=("psnr",), budget_check=False)
    trained = [r for r in store.run_ids() if not r.startswith("input-")]
    net = _net_as_the_runner_saves_it(store, trained[0])
    data = bytearray(net.read_bytes())
    data[len(data) // 2] ^= 0xFF
    net.write_bytes(bytes(data))
    store.run_dir("0123456789abcdef").mkdir()
    capsys.readouterr()
    assert main(["check", "--out", str(store.root), "--full"]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"1 of {len(trained)} runs with a damaged saved net"), last
    assert "1 empty run folder (a merge or run stopped before its first file: nothing to resume; the same command " \
           "fills it)" in last, last
