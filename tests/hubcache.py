"""A Hugging Face dataset in the local cache exactly as a download leaves it, for offline tests.

``load_dataset("owner/name")`` online resolves the repo's data files (parquet here) and prepares
Arrow files under ``HF_DATASETS_CACHE/owner___name/default/0.0.0/<commit>/``. Offline
(``HF_HUB_OFFLINE=1``) it finds that folder again and reads it. :func:`cache_hub_dataset` runs
the same packaged builder (``datasets``' Parquet builder, with the repo id, dataset name, config
``default`` and the commit as its hash) on parquet files written beside the hub snapshot
(``HF_HUB_CACHE/datasets--owner--name/snapshots/<commit>/data/``), so the code path a connected
user takes — a hub id, its split and image column — runs in CI without a network.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np


def cache_hub_dataset(repo_id: str, splits: dict[str, list[np.ndarray]], column: str = "image") -> Path:
    """Cache ``repo_id`` with ``{split: [H×W×3 uint8 arrays]}`` as images in ``column``; returns the
    prepared dataset's folder."""
    import datasets
    from datasets.packaged_modules.parquet.parquet import Parquet
    from PIL import Image

    cache = Path(datasets.config.HF_DATASETS_CACHE)
    commit = hashlib.sha1(repo_id.encode()).hexdigest()
    owner, name = repo_id.split("/")
    from huggingface_hub import constants

    snap = Path(constants.HF_HUB_CACHE) / f"datasets--{owner}--{name}" / "snapshots" / commit / "data"
    snap.mkdir(parents=True, exist_ok=True)
    files = {}
    for split, arrays in splits.items():
        cells = []
        for i, a in enumerate(arrays):
            buf = io.BytesIO()
            Image.fromarray(a).save(buf, format="PNG")
            cells.append({"bytes": buf.getvalue(), "path": f"{split}_{i:03d}.png"})
        ds = datasets.Dataset.from_dict({column: cells}, features=datasets.Features({column: datasets.Image()}))
        f = snap / f"{split}-00000-of-00001.parquet"
        ds.to_parquet(str(f))
        files[split] = [str(f)]
    builder = Parquet(cache_dir=str(cache), dataset_name=name, config_name="default", config_id="default",
                      data_files=files, hash=commit)
    builder.repo_id = repo_id  # as HubDatasetModuleFactory names it: the cache folder is owner___name
    builder._cache_dir = builder._build_cache_dir()
    builder.download_and_prepare()
    return Path(builder.cache_dir)


def cache_hub_file(repo_id: str, filename: str, data: bytes, hub_cache: Path) -> Path:
    """One file of dataset ``repo_id`` in the hub cache ``hub_cache`` as ``hf_hub_download`` leaves it (which
    ``datasets`` also downloads a hub dataset's data files with): ``datasets--owner--name/snapshots/<commit>/FILE``
    and ``refs/main`` naming that commit; returns the file's path. Offline, ``hf_hub_download`` finds it there."""
    owner, name = repo_id.split("/")
    commit = hashlib.sha1(repo_id.encode()).hexdigest()
    repo = Path(hub_cache) / f"datasets--{owner}--{name}"
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    path = repo / "snapshots" / commit / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def png_zip(folder: str, arrays: list[np.ndarray]) -> bytes:
    """A zip archive of ``arrays`` as PNGs ``folder/0000.png``, … (DIV2K's ``DIV2K_train_HR.zip`` layout)."""
    import zipfile

    from PIL import Image

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i, a in enumerate(arrays):
            png = io.BytesIO()
            Image.fromarray(a).save(png, format="PNG")
            z.writestr(f"{folder}/{i:04d}.png", png.getvalue())
    return buf.getvalue()
