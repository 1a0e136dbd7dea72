"""Probes of the loose ends left by the day's engineers and reviewers (base 327391cd)."""

import logging

import pytest


def _driver_stopped_with_its_workers_gone(tmp_path, monkeypatch, alive: bool) -> str:
    """The warning a local driver logs when its own error (a full disk while it polls) stops it, its workers
    ``alive`` or all exited."""
    import benchmark.executors as ex
    from tests.test_probe_overnight22 import _workers_that_never_report

    _workers_that_never_report(monkeypatch, alive=alive)

    class Monitor:
        def tick(self):
            raise OSError(28, "No space left on device")

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    units = ex._units([], 2, "shard", tmp_path / "r", ("psnr",), "cpu", None, (), "none", 1)
    logging.getLogger("benchmark.executors").addHandler(handler)
    try:
        with pytest.raises(OSError):
            ex._run_processes(units, [{}] * len(units), Monitor())
    finally:
        logging.getLogger("benchmark.executors").removeHandler(handler)
    return " ".join(r.getMessage() for r in records if "driver stopped" in r.getMessage())


def test_a_local_driver_stopped_on_an_error_after_its_workers_exited_says_none_is_stopped(tmp_path, monkeypatch):
    """A local driver hit by an error after its workers had all exited said 'stopping 0 workers; each saves a
    checkpoint first': no worker is stopped and none saves anything. It says its workers had all exited; with
    workers still running the line is as it was."""
    said = _driver_stopped_with_its_workers_gone(tmp_path, monkeypatch, alive=False)
    assert said.startswith("the driver stopped on an error (") and "No space left" in said, said
    assert "0 workers" not in said and "checkpoint" not in said and "exited" in said, said
    said = _driver_stopped_with_its_workers_gone(tmp_path, monkeypatch, alive=True)
    assert ": stopping 1 worker; it saves a checkpoint first" in said, said  # _units: one unit for an empty grid



def test_a_ray_cluster_that_refuses_the_token_is_named_not_told_to_be_started(tmp_path, monkeypatch):
    """``--ray-address`` to a running Ray cluster that asks for a token (Ray 2.60: ``ray.init`` raises
    ``ConnectionError('Failed to connect to Ray cluster at …')`` from the node's ``RuntimeError('… InvalidAuthToken:
    Authentication token is missing or incorrect')``, or ``AuthenticationError`` when no token is set here at all)
    was told 'cannot join … : Failed to connect … (start one with `ray start --head` …)' — a cluster that runs — or
    ended in an internal error. What Ray said is named, with the token's places, and no start of a new cluster."""
    ray = pytest.importorskip("ray")
    import benchmark.executors as ex
    from benchmark.errors import UserError

    monkeypatch.delenv("RAY_ADDRESS", raising=False)

    def refused(**kw):
        try:
            raise RuntimeError("Unauthenticated: InvalidAuthToken: Authentication token is missing or incorrect")
        except RuntimeError as e:
            raise ConnectionError("Failed to connect to Ray cluster at 10.0.0.5:6379") from e

    monkeypatch.setattr(ray, "init", refused)
    with pytest.raises(UserError) as err:
        ex.execute_ray([], tmp_path / "r", ("psnr",), "cpu", ray_address="10.0.0.5:6379")
    said = str(err.value)
    assert err.value.exit_code == 2 and "\n" not in said, said
    assert said.startswith("cannot join the Ray cluster at --ray-address '10.0.0.5:6379': "), said
    assert "InvalidAuthToken: Authentication token is missing or incorrect" in said, said
    assert "ray start --head" not in said and "RAY_AUTH_TOKEN" in said, said

    from ray.exceptions import AuthenticationError

    def no_token(**kw):
        raise AuthenticationError("Token authentication is enabled but no authentication token was found")

    monkeypatch.setattr(ray, "init", no_token)
    with pytest.raises(UserError) as err:
        ex.execute_ray([], tmp_path / "r", ("psnr",), "cpu", ray_address="10.0.0.5:6379")
    said = str(err.value)
    assert "\n" not in said and "no authentication token was found" in said, said
    assert "ray start --head" not in said and "RAY_AUTH_TOKEN" in said, said


def test_a_partial_reproduction_says_what_its_claim_was_not_tested_on():
    """Was: the scope note (FindingResult.scope_note: the claim's tasks, metrics and rivals no part tested) stood
    beside "reproduced" only: Zhao's Mix, better than ℓ1 on sr4/psnr and level with ℓ2 there, read "inconclusive:
    reproduced on 1 of 2 parts only, the claim is about every one; …" with no word of jpeg, demosaic, SSIM, MS-SSIM
    or its two other rivals — a reader of a partial reproduction needs it as much. It is said there too."""
    import warnings

    from benchmark.findings import check_all
    from benchmark.synthetic import synthetic_table

    t = synthetic_table(tasks=("sr4",), metrics=("psnr",), offsets={"ms_ssim_l1": 1.0, "l1": 0.0, "l2": 1.0},
                        seeds=range(5), seed_sd=0.05, n_images=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (r,) = check_all(t, ["zhao2017_mix_best"], n_boot=20)
    assert r.verdict == "inconclusive" and r.verdict_text.startswith("inconclusive: reproduced on 1 of 2 parts only"), \
        r.verdict_text
    assert r.verdict_text.endswith("; not tested on tasks jpeg/demosaic, metrics ssim/ms_ssim, rivals ssim/ms_ssim: "
                                   "not in these results"), r.verdict_text



def _old_gpl_checkpoint_planned(store, iteration: int = 3):
    """test_probe_store23's old gpl checkpoint, of the config as a command plans it (its data's fingerprints in):
    (the config, its run id now, the old run's id)."""
    import torch

    from benchmark.checkpoint import Checkpointer, CheckpointPolicy
    from benchmark.config import RunConfig, code_version, resolve, run_id
    from benchmark.data import DataCache

    cfg = resolve(RunConfig(task="denoise", loss="gpl", seed=0, iterations=8, backbone_weights="pretrained"),
                  DataCache())
    assert cfg.backbone_weights == "random" and cfg.train_fingerprint  # one id under both values now
    then = {**cfg.to_dict(), "backbone_weights": "pretrained"}
    old = run_id(RunConfig.from_dict(then))
    store.run_dir(old).mkdir(parents=True)
    net = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    Checkpointer(store.run_dir(old) / "ckpt.pt", CheckpointPolicy(), {"config": then, "code_version": code_version()}
                 ).save(iteration, net=net, opt=opt, sched=torch.optim.lr_scheduler.StepLR(opt, 1),
                        loss_fn=torch.nn.Module(), gen=torch.Generator(), device=torch.device("cpu"),
                        progress={"curve": [[1, 0.5]]})
    return cfg, run_id(cfg), old


def test_compare_s_run_grid_resumes_an_old_gpl_checkpoint_under_its_one_id(tmp_path, monkeypatch):
    """bfce6f69/c6f02a48 gave an old gpl checkpoint (stopped under ``--backbone-weights pretrained`` before both
    values were one id) to its one id in ``plbench run``'s and ``api.run``'s planning only: ``plbench compare``
    goes to :func:`benchmark.runner.run_grid` directly, so it trained that run again from iteration 0, the
    checkpoint's hours lost. ``run_grid`` — which every path to training reaches — hands it over before training."""
    import torch
    from test_probe_store23 import _small

    import benchmark.resources
    from benchmark import runner

    store = _small(tmp_path / "res")
    cfg, rid, old = _old_gpl_checkpoint_planned(store)
    seen = {}

    class Stop(Exception):
        pass

    def check_fits(*a, **kw):  # the last check before training: where the run's checkpoint must already be
        seen["ckpt"] = (store.run_dir(rid) / "ckpt.pt").is_file()
        raise Stop

    monkeypatch.setattr(benchmark.resources, "check_fits", check_fits)
    with pytest.raises(Stop):
        runner.run_grid([cfg], store, ("psnr",), torch.device("cpu"), progress=False)
    assert seen == {"ckpt": True}, "run_grid started the old gpl run over from iteration 0"
    assert (store.run_dir(old) / "ckpt.pt").is_file()  # the old folder keeps its file (check --repair removes it)


def test_the_dry_run_counts_an_old_gpl_checkpoint_at_the_iterations_it_has_left(tmp_path, caplog):
    """The dry run's estimate took off a run's own checkpoint (checkpoint.resumes_at) but not an old gpl one (stopped
    under ``--backbone-weights pretrained`` before both values were one id), which the run hands to its id now and
    resumes from: it said the run 'would resume' from iteration 3 and timed it from iteration 0. It counts the
    iterations left now, saying the handover once; nothing is written; with checkpoints off it counts them all."""
    from test_probe_store23 import _small

    from benchmark.checkpoint import CheckpointPolicy
    from benchmark.cli import _resumed

    store = _small(tmp_path / "res")
    cfg, rid, old = _old_gpl_checkpoint_planned(store, iteration=3)
    with caplog.at_level(logging.INFO):
        assert _resumed(store, [cfg], CheckpointPolicy()) == {cfg: 3}
    assert not (store.run_dir(rid) / "ckpt.pt").exists()  # a dry run writes nothing
    assert not any("would resume" in r.getMessage() for r in caplog.records)  # said by planning's warnings alone
    assert _resumed(store, [cfg], CheckpointPolicy(every=0, seconds=0)) == {}
