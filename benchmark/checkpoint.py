"""Mid-run checkpoints, so a run killed at 3 a.m. resumes where it stopped.

A checkpoint holds everything that decides the rest of a run: the net, the optimiser, the LR
scheduler, the data ``torch.Generator``, torch's global RNG state and the run's own GPU's (never
every visible GPU's, so a restore does not depend on how many are visible), Python's and
NumPy's RNG states, and the loss's own state: its trainable parameters and buffers (and any
``get_extra_state``), plus any ``torch.optim`` optimiser or ``torch.Generator`` the loss keeps as
an attribute (optimisers a loss creates lazily are rebuilt from the names of their parameters, generators on the
loss's device).
Frozen backbone weights are not saved: ``build_loss`` rebuilds them identically.

On the CPU a resumed run therefore produces results identical to an uninterrupted one. The file
(``runs/<id>/ckpt.pt``) is written atomically, every ``every`` iterations or ``seconds`` of
wall-clock time, whichever comes first, and is deleted once the run's results are saved.
"""

from __future__ import annotations

import io
import logging
import random
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from benchmark.ckptrecord import FORMAT, as_current, is_legacy, load
from benchmark.results import atomic_write_bytes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckpointPolicy:
    """When to checkpoint a training run (not part of the run identity: it changes no numbers)."""

    every: int = 500        # iterations between checkpoints; 0: never by count
    seconds: float = 60.0   # wall-clock seconds between checkpoints; 0: never by time
    #: save one when the run is stopped (SIGINT/SIGTERM, SLURM's USR2) and when its training is done, even
    #: with ``every`` and ``seconds`` both 0 (a SLURM job: its requeue resumes from it)
    on_stop: bool = False

    @property
    def enabled(self) -> bool:
        return self.every > 0 or self.seconds > 0 or self.on_stop


def _loss_attrs(loss_fn: torch.nn.Module, kind: type):
    """(module name, attribute, object) for every attribute of type ``kind`` in the loss's modules."""
    for mname, m in loss_fn.named_modules():
        for attr, value in list(vars(m).items()):
            if isinstance(value, kind):
                yield mname, attr, value


def _loss_state(loss_fn: torch.nn.Module) -> dict:
    keep = {n for n, p in loss_fn.named_parameters() if p.requires_grad} | {n for n, _ in loss_fn.named_buffers()}
    tensors = {k: v.detach().cpu() if torch.is_tensor(v) else v for k, v in loss_fn.state_dict().items()
               if k in keep or k.endswith("_extra_state")}
    names = {id(p): n for n, p in loss_fn.named_parameters()}
    optimisers = []
    for mname, attr, opt in _loss_attrs(loss_fn, torch.optim.Optimizer):
        params = [[names.get(id(p)) for p in g["params"]] for g in opt.param_groups]
        optimisers.append({"module": mname, "attr": attr, "class": type(opt).__name__, "params": params,
                           "state": opt.state_dict()})
    gens = [{"module": m, "attr": a, "state": g.get_state(), "device": str(g.device)}
            for m, a, g in _loss_attrs(loss_fn, torch.Generator)]
    return {"tensors": tensors, "optimisers": optimisers, "generators": gens}


def _restore_loss(loss_fn: torch.nn.Module, state: dict) -> None:
    loss_fn.load_state_dict(state["tensors"], strict=False)
    modules = dict(loss_fn.named_modules())
    params = dict(loss_fn.named_parameters())
    for rec in state["optimisers"]:
        m = modules[rec["module"]]
        opt = getattr(m, rec["attr"], None)
        if opt is None:  # created lazily on the first train_step: rebuild it on the same parameters
            groups = [{"params": [params[n] for n in names]} for names in rec["params"]]
            opt = getattr(torch.optim, rec["class"])(groups)
            setattr(m, rec["attr"], opt)
        opt.load_state_dict(rec["state"])
    for rec in state["generators"]:
        m = modules[rec["module"]]
        gen = getattr(m, rec["attr"], None)
        if gen is None:  # made lazily at the first call (PDL/SWD's device generator): made again on the
            # module's own device of the recorded type (a resumed worker may hold another GPU index)
            saved = torch.device(rec.get("device", "cpu"))
            here = next((t.device for t in (*m.buffers(), *m.parameters()) if t.device.type == saved.type), saved)
            gen = torch.Generator(device=here)
            setattr(m, rec["attr"], gen)
        gen.set_state(rec["state"])


def _rng_state(device: torch.device) -> dict:
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    out = {"torch": torch.get_rng_state(), "python": random.getstate(),
           "numpy": (name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss)}
    if device.type == "cuda":  # only the run's own GPU: restore must not depend on how many are visible
        out["cuda"] = torch.cuda.get_rng_state(device)
    return out


def _restore_rng(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    if device.type == "cuda" and torch.is_tensor(state.get("cuda")):
        torch.cuda.set_rng_state(state["cuda"], device)


def checkpointer(store, rid: str, cfg, policy: CheckpointPolicy, name: str = "ckpt.pt") -> Checkpointer | None:
    """Run ``rid``'s checkpointer at ``name`` in ``store`` (a :class:`~benchmark.results.ResultsStore`; ``cfg`` its
    :class:`~benchmark.config.RunConfig`; None where ``policy`` saves none): the checkpoint its training resumes from,
    and a dry run reads what is left of it from (:meth:`Checkpointer.iteration`)."""
    from benchmark.config import code_version

    if not policy.enabled:
        return None
    return Checkpointer(store.run_dir(rid) / name, policy, {"config": cfg.to_dict(), "code_version": code_version()})


def resumes_at(store, rid: str, cfg, policy: CheckpointPolicy) -> int:
    """The training iteration run ``rid`` of ``store`` (its config ``cfg``) resumes from under ``policy``, as the run
    reads the checkpoint it restores first (:func:`benchmark.results.first_checkpoint`, the rule of ``plbench check``,
    the stopped note and the lost-workers line): its ``ckpt.pt`` (:func:`checkpointer`: checkpoints on, the config's
    fingerprint and code version its own), else — none there — its half-batch retry's ``ckpt-b<n>.pt`` (a run stopped
    in the retry its out-of-memory error started, under the halved config: what
    :func:`benchmark.runner._train_with_oom_retry` restores when the retry comes again); 0: it starts afresh. At its
    last iteration its training was done when it stopped (the runner checkpoints there), its scoring not: it resumes to
    score, training nothing. What the dry run and the progress line's ETA both take off (a stale or foreign checkpoint,
    a ``ckpt.pt`` cut short beside a retry's, or one under ``--no-checkpoint``, is trained again)."""
    import dataclasses

    from benchmark.results import checkpoints, first_checkpoint

    if not policy.enabled or not (names := checkpoints(store.run_dir(rid))):
        return 0
    name = first_checkpoint(names).name
    # a retry's checkpoint holds the fingerprint of the config its batch halved
    c = cfg if name == "ckpt.pt" else dataclasses.replace(cfg, batch_size=cfg.batch_size // 2)
    ckpt = checkpointer(store, rid, c, policy, name)
    it = ckpt.iteration() if ckpt is not None else 0
    return it if it <= cfg.iterations else 0


class Checkpointer:
    """Saves and restores one training run's state at ``path`` under a policy.

    ``fingerprint`` (the run's effective config and code version) must match for a checkpoint to
    be used (a code version of another release of the same numbers code matches:
    :func:`~benchmark.ckptrecord.as_current`); a
    checkpoint from another config is ignored (and overwritten by the next save).
    """

    def __init__(self, path: Path, policy: CheckpointPolicy, fingerprint: dict):
        self.path, self.policy, self.fingerprint = Path(path), policy, fingerprint
        self._last_it, self._last_t = 0, time.monotonic()
        self.restored: dict | None = None  # the progress restore() read ({}: no usable checkpoint); None: not yet

    def due(self, it: int) -> bool:
        p = self.policy
        return (p.every > 0 and it - self._last_it >= p.every) or \
               (p.seconds > 0 and time.monotonic() - self._last_t >= p.seconds)

    def save(self, it: int, *, net, opt, sched, loss_fn, gen: torch.Generator, device: torch.device,
             progress: dict, dgen: torch.Generator | None = None) -> None:
        state = {"format": FORMAT, "fingerprint": self.fingerprint, "iteration": it,
                 "net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                 "loss": _loss_state(loss_fn), "generator": gen.get_state(), "rng": _rng_state(device),
                 "progress": progress}
        if dgen is not None:  # the GPU step's generator (crops, augmentations, noise on the device)
            state["device_generator"] = dgen.get_state()
        buf = io.BytesIO()
        torch.save(state, buf)
        atomic_write_bytes(self.path, buf.getvalue())
        self._last_it, self._last_t = it, time.monotonic()
        log.debug("checkpoint at iteration %d → %s", it, self.path)

    def _load(self, quiet: bool = False, peek: bool = False) -> dict | None:
        """The checkpoint's state when there is one this run can use, else None (said in a warning unless
        ``quiet``). ``peek``: its record alone is read (its tensors mapped from the file, not read, nor their CRC-32
        checked: a 300 MB checkpoint's iteration in milliseconds), for what it says, never to restore from."""
        if not self.path.exists():
            return None
        try:
            if not is_legacy(self.path):  # torch's legacy (non-zip) format, whole, has no CRC-32: it loads or not
                with zipfile.ZipFile(self.path) as z:  # torch.load reads a changed tensor without a word: its CRC-32
                    if not peek and (bad := z.testzip()):
                        raise ValueError(f"{bad} does not match its CRC-32 (changed on disk)")
            state = load(self.path, peek)
        except Exception as exc:  # noqa: BLE001 - an unusable checkpoint only costs the time it saved
            if not quiet:
                log.warning("ignoring unreadable checkpoint %s (%s: %s)", self.path, type(exc).__name__, exc)
            return None
        if not isinstance(state, dict) or state.get("format") != FORMAT:  # another plbench's: not another run's
            if not quiet:
                got = state.get("format") if isinstance(state, dict) else type(state).__name__
                log.warning("ignoring checkpoint %s: written in checkpoint format %s, this plbench reads format %d "
                            "(another plbench's): the run trains from iteration 0", self.path, str(got)[:20], FORMAT)
            return None
        if as_current(state.get("fingerprint")) != as_current(self.fingerprint):
            if not quiet:
                log.warning("ignoring checkpoint %s: written for another configuration", self.path)
            return None
        return state

    def progress(self) -> dict:
        """The progress a usable checkpoint keeps (``{}`` where there is none), read without restoring it: what the
        attempts before it reached (a run that failed in training after resuming records their peak memory)."""
        state = self._load(quiet=True)
        progress = state.get("progress") if state else None
        return progress if isinstance(progress, dict) else {}

    def iteration(self) -> int:
        """The training iteration a usable checkpoint was saved after, which a run resumes from (0: none); its record
        alone read (a dry run reads every interrupted run's): a tensor changed on disk, which the run finds and
        starts over for, is not looked for."""
        state = self._load(quiet=True, peek=True)
        it = state.get("iteration") if state else None
        return it if isinstance(it, int) and it > 0 else 0

    def earlier(self) -> dict:
        """The progress of the attempts before this one: what :meth:`restore` read, kept (a failure after it reads
        no 300 MB checkpoint again, in a process that may have failed for memory), or :meth:`progress` where nothing
        was restored yet (a failure before training started)."""
        return self.restored if self.restored is not None else self.progress()

    def threads(self) -> tuple[int, ...]:
        """The torch thread counts the iterations before a usable checkpoint ran on (none: ``()``): a CPU run
        resumed on another count finishes on other numbers than an uninterrupted run (reductions are split per
        thread), so :func:`benchmark.runner.train`'s caller goes on with that count."""
        counts = self.progress().get("threads")
        return tuple(sorted({int(t) for t in counts})) if isinstance(counts, list) else ()

    def restore(self, *, net, opt, sched, loss_fn, gen: torch.Generator, device: torch.device,
                dgen: torch.Generator | None = None) -> tuple[int, dict]:
        """Load the checkpoint into the given objects: (iteration, progress), or (0, {}) if none fits."""
        state = self._load()
        self.restored = state["progress"] if state is not None else {}
        if state is None:
            return 0, {}
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        _restore_loss(loss_fn, state["loss"])
        gen.set_state(state["generator"])
        if dgen is not None and "device_generator" in state:
            dgen.set_state(state["device_generator"])
        _restore_rng(state["rng"], device)
        self._last_it, self._last_t = state["iteration"], time.monotonic()
        log.info("resuming from checkpoint at iteration %d", state["iteration"])
        return state["iteration"], state["progress"]

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
