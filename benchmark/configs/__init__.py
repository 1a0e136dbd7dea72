"""The config files shipped with plbench: ``cpu.yaml`` (the CPU profile), ``standard-cpu.yaml`` and the profiles as
files (``quick.yaml``, ``standard.yaml``, ``full.yaml``). They are package data, found with importlib.resources, so
``--config configs/cpu.yaml`` reads them from any folder, an installed plbench's too
(:meth:`benchmark.config.GridSpec.from_file`). Imports nothing heavy: ``run --help`` lists them."""

from __future__ import annotations

import importlib.resources
import posixpath
import re
from pathlib import Path


def _head_and_base(name) -> tuple[str, str]:
    """``name``'s folder and last part, as written the same however it is spelt: ``./configs/cpu.yaml`` is
    README's ``configs/cpu.yaml`` (it was 'config file not found: configs/cpu.yaml' in a folder without one)."""
    text = posixpath.normpath(str(name).strip().replace("\\", "/")) if str(name).strip() else ""
    head, _, base = text.rpartition("/")
    return head, base


def shipped_configs() -> list[str]:
    """The shipped config files' names as ``--config`` reads them from any folder (``configs/cpu.yaml``, …)."""
    folder = importlib.resources.files(__name__)
    return sorted(f"configs/{f.name}" for f in folder.iterdir() if f.name.endswith(".yaml"))


def shipped_config(name, as_path: bool = False) -> Path | None:
    """The shipped config file that ``name`` names — ``cpu``, or with ``as_path`` only as a path is written,
    ``cpu.yaml`` or README's ``configs/cpu.yaml`` (``./configs/cpu.yaml`` alike) —; ``None`` for any other name."""
    head, base = _head_and_base(name)
    stem = base.removesuffix(".yaml")
    if head not in ("", "configs") or not re.fullmatch(r"\w[\w.-]*", stem) or (as_path and stem == base):
        return None
    found = importlib.resources.files(__name__) / f"{stem}.yaml"
    return Path(str(found)) if found.is_file() else None


def near_shipped_config(name) -> str:
    """``"; did you mean configs/cpu.yaml (shipped with plbench)?"`` for a config path that is not there whose name
    is close to a shipped one's (``cpu``, ``cpu.yml``, ``configs/CPU.yaml``, ``standard_cpu.yaml``), or in another
    folder named ``configs`` (``../configs/cpu.yaml``: where an earlier plbench checkout kept them); else ``""``."""
    from benchmark.errors import did_you_mean

    head, base = _head_and_base(name)
    stem = re.sub(r"\.(ya?ml|toml)$", "", base, flags=re.IGNORECASE)
    if (head and head.rpartition("/")[2] != "configs") or not stem:
        return ""
    stems = [n.removeprefix("configs/").removesuffix(".yaml") for n in shipped_configs()]
    close = did_you_mean(stem, stems, cutoff=0.75)
    return close.replace("?", ".yaml (shipped with plbench)?").replace("mean ", "mean configs/") if close else ""
