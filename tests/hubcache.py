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


def cache_hub_dataset(repo_id: str, splits: dict[str, list[np.ndarray]], column: str = "image",
                      data_files: dict[str, str] | None = None) -> Path:
    """Cache ``repo_id`` with ``{split: [H×W×3 uint8 arrays]}`` as images in ``column``; returns the
    prepared dataset's folder. ``data_files`` (``{split: file in the repo}``): as ``load_dataset(repo_id,
    data_files=...)`` leaves it (its config id, ``default-<hash of data_files>``, names the folder)."""
    import datasets
    from datasets.builder import BuilderConfig
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
    config_id = BuilderConfig(name="default").create_config_id({"data_files": data_files}) if data_files else "default"
    builder = Parquet(cache_dir=str(cache), dataset_name=name, config_name="default", config_id=config_id,
                      data_files=files, hash=commit)
    builder.repo_id = repo_id  # as HubDatasetModuleFactory names it: the cache folder is owner___name
    builder._cache_dir = builder._build_cache_dir()
    builder.download_and_prepare()
    return Path(builder.cache_dir)
