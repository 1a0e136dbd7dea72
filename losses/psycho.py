"""Psychovisually selected deep features (Tariq, Tursun, Kim, Didyk, ECCV 2020).

Every channel of the backbone is probed with sinusoidal gratings over a grid of spatial
frequencies and orientations; channels whose frequency tuning follows the human contrast
sensitivity function (CSF) and that are sharply orientation-tuned are kept (or up-weighted) in
the perceptual loss. Probing is deterministic; the grating *responses* are cached, keyed by the
backbone provenance, the layers, the probe settings and a hash of the probing code; the scores
are recomputed from them on every construction, so a changed scoring formula never meets a
stale cache.

Sources of each reading. The paper introduces "two new formulations" (frequency and orientation
selectivity) whose exact equations we could not check here (no copy of the paper text was
available to this project; the abstract is in ``seeds/``); what follows is METHODS.md's reading,
each piece a named keyword:
  * frequency score = Pearson correlation of the channel's frequency tuning — its responses at its
    preferred orientation, that of its strongest response (version 2 took the maximum over orientations
    at each frequency, mixing orientations) — with the Mannos & Sakrison (1974) CSF (the "standard CSF"
    METHODS.md names), clipped at 0;
  * the CSF needs cycles/degree: ``pixels_per_degree=40`` ≈ a 24-inch 1920×1080 monitor
    (0.277 mm pixels) seen from 63 cm (2·63·tan 0.5° = 1.10 cm per degree ≈ 40 px);
  * orientation score = (max − min)/(max + min) over orientations (``orientation="minmax"``) or
    1 − circular variance (``"circular"``), METHODS.md's two examples;
  * combined score = ``freq_weight``·frequency + (1 − ``freq_weight``)·orientation, 0.5 by
    default: the abstract presents the two scores side by side with no rule to combine them,
    so they count equally.

Searched again for this release: no code of the authors in the public code, documentation or issue
threads searched. The authors' earlier preprint (Tariq & Kim, arXiv 1812.00412: "A Psychovisual
Analysis on Deep CNN Features for Perceptual Metrics and A Novel Psychovisual Loss", later titled
"Analysis and Interpretation of Deep CNN Representations as Perceptual Quality Features"; only its
abstract was found) supports three of the readings: the trunk is VGG-16; channels are probed with
"grating stimuli of different spatial frequencies and orientations"; its frequency score ("Visual
Frequency Sensitivity Score") is set against the human contrast sensitivity function. It also says
the preprint's loss *weights* feature maps by their score ("a weighting mechanism to discriminate
between feature maps") — our ``selection="weight"``; the default ``"top"`` (keep the best ``keep``
of each layer) follows METHODS.md's "keep the top-scoring channels (or weight channels by score)".
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Annotated

import torch

from benchmark import weights as W
from benchmark.backbones import Backbone, FeatureLoss
from benchmark.errors import UserError
from benchmark.params import Positive, Range
from benchmark.registry import register_loss

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeConfig:
    """The grating probe. Frequencies are in cycles/pixel (geometric grid)."""

    size: int = 32
    f_min: float = 1 / 16
    f_max: float = 0.4
    n_freq: int = 6
    n_orient: int = 8
    n_phase: int = 2
    contrast: float = 0.5
    pixels_per_degree: float = 40.0  # viewing condition mapping cycles/pixel → cycles/degree

    @property
    def freqs(self) -> torch.Tensor:
        return torch.logspace(math.log10(self.f_min), math.log10(self.f_max), self.n_freq, dtype=torch.float64)

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:10]


def gratings(cfg: ProbeConfig) -> torch.Tensor:
    """Grey sinusoidal gratings, (F·O·P, 3, S, S) in [0, 1], ordered (freq, orient, phase)."""
    s = cfg.size
    yy, xx = torch.meshgrid(torch.arange(s, dtype=torch.float64), torch.arange(s, dtype=torch.float64),
                            indexing="ij")
    out = []
    for f in cfg.freqs:
        for o in range(cfg.n_orient):
            th = math.pi * o / cfg.n_orient
            for p in range(cfg.n_phase):
                ph = 2 * math.pi * p / cfg.n_phase
                g = 0.5 + 0.5 * cfg.contrast * torch.sin(2 * math.pi * f * (xx * math.cos(th) + yy * math.sin(th)) + ph)
                out.append(g)
    return torch.stack(out).float()[:, None].expand(-1, 3, -1, -1).contiguous()


def mannos_sakrison(f_cpd: torch.Tensor) -> torch.Tensor:
    """Mannos & Sakrison (1974) CSF: 2.6 (0.0192 + 0.114 f) exp(−(0.114 f)^1.1), f in cycles/degree."""
    return 2.6 * (0.0192 + 0.114 * f_cpd) * torch.exp(-((0.114 * f_cpd) ** 1.1))


@torch.no_grad()
def probe_responses(extract: Callable[[torch.Tensor], dict[str, torch.Tensor]], cfg: ProbeConfig,
                    batch: int = 48) -> dict[str, torch.Tensor]:
    """Mean |response| of every channel to every grating, minus its response to uniform grey.

    The mean is over the central half of each feature map (away from padding effects) and over
    phases. Returns layer → (C, n_freq, n_orient) float64, clamped at ≥ 0.
    """
    g = gratings(cfg)
    grey = torch.full((1, 3, cfg.size, cfg.size), 0.5)

    def pooled(x: torch.Tensor) -> dict[str, torch.Tensor]:
        feats = extract(x)
        out = {}
        for k, f in feats.items():
            h, w = f.shape[-2:]
            f = f[..., h // 4: h - h // 4 or h, w // 4: w - w // 4 or w]
            out[k] = f.float().abs().mean((2, 3)).double()
        return out

    base = pooled(grey)
    chunks: dict[str, list[torch.Tensor]] = {}
    for i in range(0, len(g), batch):
        for k, v in pooled(g[i:i + batch]).items():
            chunks.setdefault(k, []).append(v)
    res = {}
    for k, parts in chunks.items():
        r = torch.cat(parts).reshape(cfg.n_freq, cfg.n_orient, cfg.n_phase, -1).mean(2)
        res[k] = (r - base[k][0]).clamp_min(0).permute(2, 0, 1).contiguous()  # (C, F, O)
    return res


def channel_scores(resp: torch.Tensor, cfg: ProbeConfig, pixels_per_degree: float | None = None,
                   orientation: str = "minmax", freq_weight: float = 0.5) -> dict[str, torch.Tensor]:
    """Frequency, orientation and combined score per channel from (C, F, O) responses.

    * frequency: Pearson correlation between the channel's frequency tuning (its responses at its
      preferred orientation: the orientation of its strongest response over the grid) and the
      Mannos–Sakrison CSF at the probe frequencies (cycles/pixel × ``pixels_per_degree``, default
      ``cfg.pixels_per_degree``), clipped at 0;
    * orientation at the preferred frequency (that of the same strongest response): ``"minmax"``
      (max − min)/(max + min) over orientations, or ``"circular"`` 1 − circular variance = |Σ r_k e^{2iθ_k}| / Σ r_k
      (orientation is π-periodic, hence the doubled angle);
    * score: ``freq_weight``·frequency + (1 − ``freq_weight``)·orientation, in [0, 1].
      Channels that do not respond score 0.
    """
    if orientation not in ("minmax", "circular"):
        raise UserError(f"psycho orientation must be 'minmax' or 'circular', not {orientation!r}")
    if not 0 <= freq_weight <= 1:
        raise UserError("psycho freq_weight must be in [0, 1]")
    ppd = cfg.pixels_per_degree if pixels_per_degree is None else float(pixels_per_degree)
    c, n_orient = resp.shape[0], resp.shape[2]
    peak = resp.reshape(c, -1).argmax(1)  # the channel's preferred (frequency, orientation)
    fpref, opref = peak // n_orient, peak % n_orient
    tuning = resp[torch.arange(c), :, opref]  # (C, F) at the preferred orientation (v2: max over orientations)
    csf = mannos_sakrison(cfg.freqs * ppd).to(resp)
    t = tuning - tuning.mean(1, keepdim=True)
    s = csf - csf.mean()
    denom = t.norm(dim=1) * s.norm()
    freq = torch.where(denom > 1e-12, (t @ s) / denom.clamp_min(1e-12), torch.zeros(c, dtype=resp.dtype))
    orient_curve = resp[torch.arange(c), fpref]  # (C, O)
    if orientation == "minmax":
        mx, mn = orient_curve.amax(1), orient_curve.amin(1)
        orient = torch.where(mx + mn > 1e-12, (mx - mn) / (mx + mn).clamp_min(1e-12), torch.zeros_like(mx))
    else:
        th = 2 * math.pi * torch.arange(cfg.n_orient, dtype=resp.dtype) / cfg.n_orient  # 2θ_k
        tot = orient_curve.sum(1)
        vec = torch.stack([(orient_curve * th.cos()).sum(1), (orient_curve * th.sin()).sum(1)], 1).norm(dim=1)
        orient = torch.where(tot > 1e-12, vec / tot.clamp_min(1e-12), torch.zeros_like(tot))
    freq = freq.clamp_min(0)
    return {"freq": freq, "orient": orient, "score": freq_weight * freq + (1 - freq_weight) * orient}


def _probe_code_digest() -> str:
    """Hash of the source of every function that produces the cached responses: a change to the
    probing code gives a new cache file instead of silently reusing old responses."""
    import inspect

    src = "".join(inspect.getsource(f) for f in (gratings, probe_responses, mannos_sakrison))
    src += inspect.getsource(ProbeConfig)
    return hashlib.sha256(src.encode()).hexdigest()[:10]


#: the largest ``probe_size`` accepted (a known trunk's deepest tap is ≥ 1×1 at 64 px)
_MAX_PROBE = 512
#: the most grating pixels one probe may push through the trunk: the default grid (6 × 8 × 2 = 96 gratings)
#: at 256 px (6.3 Mpx, about 2.4 TFLOP up to relu3_3: tens of seconds on 2 CPU cores). A larger grid was
#: probed all the same — 96 gratings of 100000² px were allocated at once — and ran out of memory or for hours
MAX_PROBE_PIXELS = 96 * 256 * 256
#: grating pixels per trunk batch while probing: the default 48 gratings of ≤ 64 px; larger gratings go fewer at
#: a time, so a 512-px probe holds ~0.1 GB per feature map instead of 48 × 64 × 512² floats (3.2 GB)
PROBE_BATCH_PIXELS = 48 * 64 * 64

#: psycho's default ``keep``: the top half of each layer's channels (``selection="top"``)
KEEP = 0.5


@register_loss("psycho", version="3", citation="Tariq, Tursun, Kim, Didyk, Why Are Deep Representations "
               "Good Perceptual Quality Features?, ECCV 2020", weights=("vgg16:IMAGENET1K_V1",))
class PsychovisualFeatureLoss(FeatureLoss):
    """MSE over psychovisually selected (or score-weighted) VGG-16 channels, averaged over layers.

    Readings chosen (named kwargs; sources in the module docstring): VGG-16 ``layers=("relu1_2",
    "relu2_2", "relu3_3")``; the probe grid (:class:`ProbeConfig`, every field a keyword since the
    paper's grid could not be checked): ``probe_size=32`` px gratings (8 to 512; the whole grid at most
    :data:`MAX_PROBE_PIXELS` grating pixels, the default grid at 256 px), ``n_freq=6`` log-spaced
    frequencies ``f_min=1/16`` … ``f_max=0.4`` cycles/px (below Nyquist, 0.5, where the 0°/90°
    gratings of phases 0 and π are uniform grey), ``n_orient=8``
    orientations, ``n_phase=2`` phases, Michelson ``contrast=0.5``; ``pixels_per_degree=40`` for the
    CSF; ``orientation="minmax"``; ``freq_weight=0.5``; ``selection="top"`` keeps the top ``keep``
    fraction of channels per layer with equal weight, ``selection="weight"`` uses every channel
    weighted by score/mean(score) (a ``keep`` other than the default is then refused, not
    ignored; so are ``orientation`` with ``freq_weight=1``, ``pixels_per_degree`` with
    ``freq_weight=0`` and any scoring reading when ``keep`` keeps every channel). Grating responses
    are cached under ``<cache>/plbench/psycho/`` keyed by backbone provenance, layers, probe and a
    hash of the probing code; scores are recomputed from them every time (``cache=False`` disables
    the cache; a read-only cache only logs a warning; a cached file whose responses are not finite or not the
    trunk's shape is probed again and rewritten, with a warning; a trunk whose own responses are not finite is a
    one-line UserError).

    Args:
        pred, target: (N, 3, H, W) float tensors in [0, 1].
    Returns:
        Scalar tensor; 0 when pred == target.
    """

    def __init__(self, layers: Sequence[str] = ("relu1_2", "relu2_2", "relu3_3"), selection: str = "top",
                 keep: float = KEEP, pixels_per_degree: float = 40.0, orientation: str = "minmax",
                 freq_weight: float = 0.5, cache: bool = True, weights: str = "pretrained", seed: int = 0,
                 probe_size: Annotated[int, Range(ge=8, le=_MAX_PROBE)] = 32, n_freq: Annotated[int, Range(ge=2)] = 6,
                 f_min: Annotated[float, Positive] = 1 / 16, f_max: Annotated[float, Range(gt=0, lt=0.5)] = 0.4,
                 n_orient: Annotated[int, Range(ge=2)] = 8, n_phase: Annotated[int, Range(ge=1)] = 2,
                 contrast: Annotated[float, Range(gt=0, le=1)] = 0.5):
        super().__init__()
        if not f_min < f_max:
            raise UserError(f"psycho f_min must be below f_max (cycles/pixel), got {f_min:g} ≥ {f_max:g}")
        count = int(n_freq) * int(n_orient) * int(n_phase)
        if count * int(probe_size) ** 2 > MAX_PROBE_PIXELS:
            raise UserError(f"psycho's probe of {count} gratings (n_freq × n_orient × n_phase = {n_freq} × {n_orient} "
                            f"× {n_phase}) of {probe_size}×{probe_size} px is {count * probe_size ** 2 / 1e6:.3g} Mpx "
                            f"of trunk input: at most {MAX_PROBE_PIXELS / 1e6:.3g} Mpx (the default 96 gratings at "
                            "256 px); use a smaller probe_size or grid")
        if selection not in ("top", "weight"):
            raise UserError(f"psycho selection must be 'top' or 'weight', not {selection!r}")
        if not 0 < keep <= 1:
            raise UserError("psycho keep must be in (0, 1]")
        if selection == "weight" and keep != KEEP:
            raise UserError(f"psycho keep={keep:g} chooses the top channels (selection='top'); selection='weight' "
                            "weights every channel by its score and would ignore it")
        if not pixels_per_degree > 0:
            raise UserError("psycho pixels_per_degree must be > 0")
        given = dict(orientation=orientation, freq_weight=freq_weight, pixels_per_degree=pixels_per_degree,
                     probe_size=probe_size, n_freq=n_freq, f_min=f_min, f_max=f_max, n_orient=n_orient,
                     n_phase=n_phase, contrast=contrast)
        changed = [k for k, v in given.items() if v != _DEFAULTS[k]]  # the scoring readings given a non-default
        for arg, fw, scores in (("orientation", 1, "frequency"), ("pixels_per_degree", 0, "orientation")):
            if freq_weight == fw and arg in changed:
                value = repr(given[arg]) if isinstance(given[arg], str) else f"{given[arg]:g}"
                raise UserError(f"psycho {arg}={value} would be ignored: freq_weight={fw} scores channels by "
                                f"{scores} only")
        self.layers, self.selection, self.keep = tuple(layers), selection, float(keep)
        self.pixels_per_degree, self.orientation, self.freq_weight = float(pixels_per_degree), orientation, \
            float(freq_weight)
        self.probe = ProbeConfig(size=int(probe_size), f_min=float(f_min), f_max=float(f_max), n_freq=int(n_freq),
                                 n_orient=int(n_orient), n_phase=int(n_phase), contrast=float(contrast))
        self.backbone = Backbone("vgg16", self.layers, weights=weights, seed=seed)
        self._check_probe_size()
        resp = self._responses(cache)
        if selection == "top" and changed and all(max(1, round(self.keep * resp[n].shape[0])) == resp[n].shape[0]
                                                  for n in self.layers):
            raise UserError(f"psycho keep={self.keep:g} keeps every channel of {', '.join(self.layers)} with equal "
                            f"weight: the channel scores, hence {', '.join(changed)}, would be ignored")
        parts = {n: channel_scores(resp[n], self.probe, self.pixels_per_degree, orientation, self.freq_weight)
                 for n in self.layers}
        scores = {n: parts[n]["score"] for n in self.layers}
        for i, n in enumerate(self.layers):
            s = scores[n].float()
            if selection == "top":
                k = max(1, round(self.keep * s.numel()))
                w = torch.zeros_like(s)
                w[torch.topk(s, k).indices] = 1.0
            else:
                w = s / s.mean().clamp_min(1e-12) if s.sum() > 0 else torch.ones_like(s)
            self.register_buffer(f"w{i}", w / w.sum(), persistent=False)  # weights sum to 1 per layer
        self.scores = scores
        self.score_parts = parts

    def _check_probe_size(self) -> None:
        """A probe too small for the deepest tap (``probe_size=8`` up to relu5_3) failed inside the trunk's
        pooling: a one-line :class:`UserError` naming the layer that fails and the smallest size that runs —
        the trunk's own :meth:`Backbone.min_side` (it runs the trunk, so any architecture, a self-trained
        encoder's taps too, is judged by what it computes; a size that runs, relu5_3 at 16 px, a 1×1 map,
        is never refused)."""
        need = self.backbone.min_side()
        if 0 < need <= self.probe.size:
            return
        if not 0 < need <= _MAX_PROBE:
            raise UserError(f"psycho: layers {self.layers} give no feature map even for {_MAX_PROBE}-pixel gratings")
        s = self.probe.size
        raise UserError(f"psycho probe_size={s} is too small for layer {self.backbone._failing_layer(s, s)!r} of "
                        f"{self.backbone.arch} (its pooling leaves no map): use probe_size ≥ {need}")

    def _cache_path(self):
        tag = re.sub(r"[^A-Za-z0-9_.=-]+", "_", self.backbone.provenance)
        key = f"{self.layers}|{self.probe.digest()}|{_probe_code_digest()}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:10]
        return W.cache_dir() / "psycho" / f"{tag}-responses-{digest}.pt"

    def _responses(self, cache: bool) -> dict[str, torch.Tensor]:
        path = self._cache_path()
        if cache and path.is_file():
            try:
                data = torch.load(path, map_location="cpu", weights_only=True)
                why = self._bad_responses(data)
                if not why:
                    return data
                # a file of NaNs scored every channel 0: topk then kept an arbitrary half, labelled a selection
                log.warning("ignoring psycho cache %s (%s); probing again", path, why)
            except Exception as exc:  # noqa: BLE001 - a broken cache is recomputed
                log.warning("ignoring unreadable psycho cache %s: %s", path, exc)
        log.info("probing %s channels with gratings (%s)", self.backbone.provenance, self.probe)
        batch = max(1, min(48, PROBE_BATCH_PIXELS // self.probe.size ** 2))  # 48 (the default) up to 64 px
        resp = probe_responses(self.backbone, self.probe, batch=batch)
        resp = {n: resp[n] for n in self.layers}
        why = self._bad_responses(resp)
        if why:
            raise UserError(f"psycho: the grating responses of {self.backbone.provenance} are unusable ({why}); "
                            "its weights give no finite features")
        if cache:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".tmp{os.getpid()}")
                torch.save(resp, tmp)
                os.replace(tmp, path)
            except OSError as exc:
                log.warning("could not write psycho cache %s: %s", path, exc)
        return resp

    def _bad_responses(self, resp: dict) -> str:
        """Why ``resp`` (layer → (C, n_freq, n_orient) responses, cached or probed) cannot be scored, or ""."""
        if not isinstance(resp, dict) or set(resp) != set(self.layers):
            return f"layers {sorted(resp) if isinstance(resp, dict) else type(resp).__name__}, not {list(self.layers)}"
        with torch.no_grad():  # at the probe's size, which the trunk runs (_check_probe_size)
            x = torch.zeros(1, 3, self.probe.size, self.probe.size, device=self.backbone._shift.device)
            chans = {k: v.shape[1] for k, v in self.backbone(x).items()}
        for n in self.layers:
            r, want = resp[n], (chans[n], self.probe.n_freq, self.probe.n_orient)
            if not torch.is_tensor(r) or tuple(r.shape) != want:
                return f"{n}: shape {tuple(getattr(r, 'shape', ()))}, not {want}"
            if not bool(torch.isfinite(r).all()):
                return f"{n}: {int((~torch.isfinite(r)).sum())} of {r.numel()} responses non-finite"
        return ""

    @property
    def provenance(self) -> str:
        return (f"{self.backbone.provenance}+psycho({self.selection},keep={self.keep:g},probe={self.probe.digest()},"
                f"ppd={self.pixels_per_degree:g},orient={self.orientation},fw={self.freq_weight:g})")

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        fp, ft = self.features(pred), self.features(target.detach())
        total = 0.0
        for i, n in enumerate(self.layers):
            d = (fp[n].float() - ft[n].float()).pow(2).mean((2, 3))  # (N, C)
            total = total + (d * getattr(self, f"w{i}")).sum(1)
        return (total / len(self.layers)).mean()


#: the constructor's defaults of the scoring readings (what "given a non-default" compares with)
_DEFAULTS = {k: p.default for k, p in inspect.signature(PsychovisualFeatureLoss.__init__).parameters.items()}
