"""Datasets → RGB float images.

One loader (:func:`load_images`) for four kinds of source, all through Hugging Face
``datasets`` so they share one code path:

* the embedded default: the photographs bundled inside scikit-image (``skimage``), built as a
  ``datasets.Dataset`` with a fixed split by image;
* a local image folder (every image file under it, by :func:`folder_files`, as a ``datasets.Dataset``);
* a dataset saved with ``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk``;
* any hub dataset id, with split, image column and revision. Offline (``HF_HUB_OFFLINE=1``) a
  hub id that is not cached fails at once with a one-line :class:`UserError`.

A source is written ``SOURCE[@REVISION][:SPLIT][#COLUMN]``, e.g. ``skimage:test``,
``/data/photos``, ``owner/name@main:train#image``. A hub id may carry a config name as a third
path segment: ``eugenesiow/Div2k/bicubic_x4:train#hr``. An image column may hold images or
file paths (strings).

Every image becomes a (3, H, W) tensor: uint8 for 8-bit sources, float32 in [0, 1] for 16-bit
or float sources (:func:`to_float` turns either into float32 in [0, 1]). EXIF orientation is
applied; L/LA/P/RGBA/CMYK/I;16/F modes are converted (alpha is dropped, greyscale is replicated
to three channels). Unreadable files are logged by name and skipped.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from benchmark.errors import UserError

log = logging.getLogger(__name__)

# scikit-image's bundled colour photographs (no download needed). Test images are never trained on.
SKIMAGE_NATURAL = {
    "astronaut": "test", "coffee": "test", "chelsea": "test",
    "rocket": "train", "motorcycle_left": "train", "motorcycle_right": "train",
    "hubble_deep_field": "train",
}
# microscopy and fundus photography: the second embedded domain (natural vs medical side by side)
SKIMAGE_MEDICAL = {"immunohistochemistry": "test", "retina": "train", "cell": "train"}
EMBEDDED = {"skimage": {**SKIMAGE_NATURAL, **SKIMAGE_MEDICAL},
            "skimage-natural": SKIMAGE_NATURAL, "skimage-medical": SKIMAGE_MEDICAL}


@dataclass(frozen=True)
class DataSpec:
    """Where images come from. ``split=None`` means the source's default (``train`` for hub ids,
    everything for folders and embedded sets)."""

    source: str
    split: str | None = None
    image_column: str | None = None
    revision: str | None = None
    max_images: int | None = None

    @classmethod
    def parse(cls, text: str, max_images: int | None = None) -> "DataSpec":
        """``SOURCE[@REVISION][:SPLIT][#COLUMN]`` → DataSpec. Existing paths are taken whole."""
        text = text.strip()
        if not text:
            raise UserError("empty dataset source")
        m = re.fullmatch(r"(.*)\[max_images=(\d+)\]", text)  # the form token() writes
        if m and not os.path.exists(text):
            text, max_images = m.group(1), int(m.group(2))
        column = split = revision = None
        if "#" in text and not os.path.exists(text):
            text, column = text.rsplit("#", 1)
        if ":" in text and not os.path.exists(text):
            text, split = text.rsplit(":", 1)
        if "@" in text and not os.path.exists(text):
            text, revision = text.rsplit("@", 1)
        if os.path.isdir(os.path.expanduser(text)):  # one name per folder, however it was typed
            text = str(Path(text).expanduser().resolve())
        return cls(text, split or None, column or None, revision or None, max_images)

    def __str__(self) -> str:
        s = self.source + (f"@{self.revision}" if self.revision else "")
        s += f":{self.split}" if self.split else ""
        return s + (f"#{self.image_column}" if self.image_column else "")

    def token(self) -> str:
        """``str(self)`` plus ``[max_images=N]`` when capped: what configs record; :meth:`parse` reads it back."""
        return str(self) + (f"[max_images={self.max_images}]" if self.max_images is not None else "")

    @property
    def name(self) -> str:
        """Short name for result rows: the folder name or the id, plus the split."""
        base = Path(self.source).name if os.path.isdir(self.source) else self.source
        return base + (f":{self.split}" if self.split else "")

    @property
    def kind(self) -> str:
        if self.source in EMBEDDED:
            return "embedded"
        p = Path(self.source).expanduser()
        if p.is_dir():
            saved = (p / "state.json").exists() or (p / "dataset_dict.json").exists()
            return "saved" if saved else "folder"
        if p.suffix or self.source.startswith((".", "/", "~")):
            return "missing-path"
        return "hub"


@dataclass(frozen=True)
class ImageRecord:
    """One decoded image. ``pixels``: (3, H, W) uint8, or float32 in [0, 1]."""

    image_id: str
    pixels: torch.Tensor

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.pixels.shape[-2:])


def to_float(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 or float image tensor → float32 in [0, 1]."""
    if pixels.dtype == torch.uint8:
        return pixels.float() / 255.0
    return pixels.float()


# --------------------------------------------------------------------------------------------
# PIL → tensor
# --------------------------------------------------------------------------------------------
def pil_to_tensor(img) -> torch.Tensor:
    """Any PIL image → (3, H, W): uint8 for 8-bit modes, float32 in [0, 1] for I;16/I/F.
    EXIF orientation is applied first. Alpha is dropped; greyscale is replicated. A float (``F``) image
    with non-finite pixels or values outside [0, 1] is a ``ValueError`` (never clipped): a folder skips
    and counts it as unreadable, with the reason.
    """
    from PIL import ImageOps

    img = ImageOps.exif_transpose(img)
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(img, dtype=np.float64)
        peak = 65535.0 if mode != "I" or arr.max(initial=0) > 255 else 255.0
        arr = np.clip(arr / peak, 0, 1).astype(np.float32)
        return torch.from_numpy(arr).expand(3, *arr.shape).contiguous()
    if mode == "F":  # a float image must already be in [0, 1]: never silently clipped (load_images skips it)
        arr = np.asarray(img, dtype=np.float32)
        if not np.isfinite(arr).all():
            raise ValueError(f"{int((~np.isfinite(arr)).sum())} non-finite (NaN/inf) pixels")
        if arr.size and (arr.min() < 0 or arr.max() > 1):
            raise ValueError(f"float pixels outside [0, 1] (min {arr.min():.4g}, max {arr.max():.4g})")
        return torch.from_numpy(arr).expand(3, *arr.shape).contiguous()
    if mode in ("P", "PA"):
        img = img.convert("RGBA")
    if img.mode != "RGB":
        img = img.convert("RGB")
    arr = np.asarray(img, dtype=np.uint8)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).contiguous()


def decode_image(value, name: str) -> torch.Tensor:
    """Decode one ``datasets.Image(decode=False)`` cell ({'bytes', 'path'}) or a PIL image."""
    from PIL import Image

    if hasattr(value, "mode"):  # already a PIL image
        return pil_to_tensor(value)
    if isinstance(value, str):  # a column of file paths
        value = {"bytes": None, "path": value}
    data, path = value.get("bytes"), value.get("path")
    with Image.open(io.BytesIO(data) if data is not None else path) as img:
        img.load()
        return pil_to_tensor(img)


# --------------------------------------------------------------------------------------------
# sources
# --------------------------------------------------------------------------------------------
def _skimage_images(names: dict[str, str]) -> dict[str, np.ndarray]:
    from skimage import data as skdata

    out = {}
    for name in names:
        if name.startswith("motorcycle_"):
            left, right, _ = skdata.stereo_motorcycle()
            out[name] = left if name.endswith("left") else right
        else:
            out[name] = getattr(skdata, name)()
    return out


@functools.lru_cache(maxsize=4)
def embedded_dataset(name: str = "skimage"):
    """The scikit-image photographs as a ``datasets.Dataset`` (columns image, image_id, split)."""
    import datasets
    from PIL import Image

    names = EMBEDDED[name]
    arrays = _skimage_images(names)
    pngs = []
    for n in names:
        buf = io.BytesIO()
        Image.fromarray(arrays[n]).save(buf, format="PNG", compress_level=1)  # lossless; 3× faster than 6
        pngs.append({"bytes": buf.getvalue(), "path": f"{n}.png"})
    features = datasets.Features({"image": datasets.Image(), "image_id": datasets.Value("string"),
                                  "split": datasets.Value("string")})
    return datasets.Dataset.from_dict(
        {"image": pngs, "image_id": list(names), "split": [names[n] for n in names]}, features=features)


def _hub_error(spec: DataSpec, exc: Exception) -> UserError:
    from huggingface_hub import constants

    cache = os.environ.get("HF_DATASETS_CACHE") or os.path.join(constants.HF_HOME, "datasets")
    offline = constants.HF_HUB_OFFLINE or "Offline" in type(exc).__name__ or "offline" in str(exc).lower()
    if offline:
        return UserError(f"dataset {spec.source!r} is not cached and the hub is offline (HF_HUB_OFFLINE=1): "
                         f"download it on a connected machine into {cache}, or pass a local folder")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return UserError(f"cannot load dataset {spec.source!r}: {first}")


def image_extensions() -> frozenset[str]:
    """File suffixes read as images in a folder: those of ``datasets``' imagefolder builder (PIL's)."""
    try:
        from datasets.packaged_modules.imagefolder.imagefolder import ImageFolder

        return frozenset(e.lower() for e in ImageFolder.EXTENSIONS)
    except Exception:  # noqa: BLE001 - a datasets release that moved it: PIL's registry
        from PIL import Image

        Image.init()
        return frozenset(e.lower() for e in Image.registered_extensions())


def folder_files(root: Path, split: str | None = None) -> tuple[list[Path], dict[str, list[str]]]:
    """The image files of a folder, by one rule: **every file under it, at any depth, whose suffix is
    an image format** (:func:`image_extensions`), in sorted path order; hidden files and folders
    (names starting with ``.``) are left out. No file or folder *name* is read as a split (``datasets``'
    imagefolder builder would read ``train_x.jpg`` as a split and drop every other file). With
    ``split`` (``FOLDER:SPLIT``), only the files under the top-level sub-folder of that name.

    Returns (image files, {reason: [relative paths]}) with the skipped files by reason: ``not an
    image`` (other suffixes) and ``dangling link`` (a symbolic link to nothing)."""
    files, skipped = [], {}
    exts = image_extensions()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if split is not None and rel.split("/", 1)[0] != split:
                continue
            if path.is_symlink() and not path.exists():
                skipped.setdefault("dangling link", []).append(rel)
            elif path.suffix.lower() not in exts:
                skipped.setdefault("not an image", []).append(rel)
            else:
                files.append(path)
    files.sort(key=lambda p: p.relative_to(root).as_posix())
    return files, skipped


def folder_dataset(spec: DataSpec):
    """A local folder as a ``datasets.Dataset`` (columns ``image`` — :class:`datasets.Image` — and
    ``image_id``, the path relative to the folder without its suffix), by the rule of
    :func:`folder_files`; logs how many of the folder's files are image files, with the skipped
    ones by reason (:func:`load_images` adds the unreadable ones)."""
    import datasets

    root = Path(spec.source).expanduser()
    if spec.split:
        subs = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
        if spec.split not in subs:
            raise UserError(f"image folder {spec.source} has no sub-folder {spec.split!r} to take as split "
                            f"{spec.split!r} (sub-folders: {', '.join(subs) or 'none'})")
    files, skipped = folder_files(root, spec.split)
    total = len(files) + sum(len(v) for v in skipped.values())
    if skipped:
        why = "; ".join(f"{len(v)} {k}: {', '.join(v[:5])}{', …' if len(v) > 5 else ''}" for k, v in skipped.items())
        log.warning("%s: %d of %d files are image files; skipped %s", spec, len(files), total, why)
    if not files:
        raise UserError(f"image folder {spec} holds no image file ({total} other file(s); image suffixes: "
                        ".png, .jpg, .jpeg, .bmp, .tif, .webp, …)")
    ids = [f.relative_to(root).with_suffix("").as_posix() for f in files]
    features = datasets.Features({"image": datasets.Image(), "image_id": datasets.Value("string")})
    return datasets.Dataset.from_dict({"image": [str(f) for f in files], "image_id": ids}, features=features)


def load_raw(spec: DataSpec):
    """The ``datasets.Dataset`` behind a spec, split applied, before decoding."""
    import datasets

    kind = spec.kind
    if kind == "embedded":
        ds = embedded_dataset(spec.source)
        if spec.split and spec.split != "all":
            if spec.split not in set(ds["split"]):
                raise UserError(f"embedded dataset {spec.source!r} has splits train, test, all; got {spec.split!r}")
            ds = ds.filter(lambda s: s == spec.split, input_columns="split")
        return ds
    if kind == "missing-path":
        raise UserError(f"dataset folder not found: {spec.source}")
    try:
        if kind == "folder":
            ds = folder_dataset(spec)
        elif kind == "saved":
            ds = datasets.load_from_disk(str(Path(spec.source).expanduser()))
            if isinstance(ds, datasets.DatasetDict):
                split = spec.split or ("train" if "train" in ds else next(iter(ds)))
                if split not in ds:
                    raise UserError(f"saved dataset {spec.source} has splits {', '.join(ds)}; got {split!r}")
                ds = ds[split]
        else:
            parts = spec.source.split("/")
            repo, config = "/".join(parts[:2]), ("/".join(parts[2:]) or None)
            ds = datasets.load_dataset(repo, config, split=spec.split or "train", revision=spec.revision)
    except UserError:
        raise
    except (FileNotFoundError, ValueError) as exc:
        if kind == "hub":
            raise _hub_error(spec, exc) from None
        raise UserError(f"cannot load {kind} dataset {spec.source}: {str(exc).splitlines()[0]}") from None
    except Exception as exc:  # noqa: BLE001 - hub errors come in many types; all become one line
        if kind == "hub":
            raise _hub_error(spec, exc) from None
        raise
    return ds


def _image_column(ds, spec: DataSpec) -> str:
    import datasets

    if spec.image_column:
        if spec.image_column not in ds.column_names:
            raise UserError(f"dataset {spec.source!r} has no column {spec.image_column!r} "
                            f"(columns: {', '.join(ds.column_names)})")
        return spec.image_column
    for name, feat in ds.features.items():
        if isinstance(feat, datasets.Image):
            return name
    for name in ("image", "img", "hr", "path", "file"):  # string columns holding file paths
        if name in ds.column_names and getattr(ds.features[name], "dtype", None) == "string":
            return name
    raise UserError(f"dataset {spec.source!r} has no image column; name one with '#COLUMN' "
                    f"(columns: {', '.join(ds.column_names)})")


def load_images(spec: DataSpec) -> list[ImageRecord]:
    """Decode every image of a source. Corrupt files are logged by name and skipped; a source
    that yields no image at all is a :class:`UserError`."""
    with _quiet_datasets():
        return _load_images(spec)


@contextlib.contextmanager
def _quiet_datasets():
    """No `datasets` progress bars while we load (restored afterwards: no global state changed)."""
    import datasets

    was = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was:
            datasets.enable_progress_bars()


def _load_images(spec: DataSpec) -> list[ImageRecord]:
    import datasets

    ds = load_raw(spec)
    col = _image_column(ds, spec)
    if isinstance(ds.features[col], datasets.Image):
        ds = ds.cast_column(col, datasets.Image(decode=False))
    id_col = next((c for c in ("image_id", "file_name", "name", "id") if c in ds.column_names), None)
    records, bad, seen = [], [], set()
    for i, row in enumerate(ds):
        if spec.max_images is not None and len(records) >= spec.max_images:
            break
        value = row[col]
        path = value.get("path") if isinstance(value, dict) else (value if isinstance(value, str) else None)
        image_id = str(row[id_col]) if id_col else (Path(path).stem if path else f"{i:05d}")
        if image_id in seen:
            image_id = f"{image_id}_{i}"
        seen.add(image_id)
        try:
            pixels = decode_image(value, image_id)
        except Exception as exc:  # noqa: BLE001 - PIL raises many types for bad files
            bad.append(path or image_id)
            log.warning("skipping unreadable image %s: %s", path or image_id, exc)
            continue
        records.append(ImageRecord(image_id, pixels))
    if not records:
        what = f" ({len(bad)} unreadable files)" if bad else ""
        raise UserError(f"dataset {spec} contains no readable image{what}")
    if bad:
        log.warning("%s: loaded %d of %d image files; %d unreadable: %s", spec, len(records), len(records) + len(bad),
                    len(bad), ", ".join(map(str, bad[:5])) + (", …" if len(bad) > 5 else ""))
    return records


def usable_for_crop(records: list[ImageRecord], crop: int, spec: DataSpec) -> list[ImageRecord]:
    """Images with both sides ≥ crop; smaller ones are logged and skipped, none left is an error."""
    keep = [r for r in records if min(r.size) >= crop]
    small = [r.image_id for r in records if min(r.size) < crop]
    if small:
        log.warning("skipping %d image(s) of %s smaller than the %d px crop: %s",
                    len(small), spec, crop, ", ".join(small[:10]))
    if not keep:
        largest = max(min(r.size) for r in records)
        raise UserError(f"every image in {spec} is smaller than the {crop} px crop "
                        f"(largest short side {largest} px); lower --crop")
    return keep


def fingerprint(records: list[ImageRecord], digits: int = 12) -> str:
    """``digits``-hex (default 12) content hash of decoded images: ids, shapes, dtypes and every pixel, in order.

    It identifies *what was trained or tested on*, whatever the source (a folder edited in place,
    a hub dataset at a new revision, a different scikit-image release) — part of every run's id."""
    h = hashlib.sha256()
    for r in records:
        px = r.pixels.contiguous()
        h.update(f"{r.image_id}|{tuple(px.shape)}|{px.dtype}|".encode())
        h.update(px.numpy().tobytes())
    return h.hexdigest()[:digits]


def mod_crop(pixels: torch.Tensor, multiple: int) -> torch.Tensor:
    """Crop the bottom/right so H and W are multiples of ``multiple``."""
    h, w = pixels.shape[-2:]
    return pixels[..., : h - h % multiple, : w - w % multiple]


class DataCache:
    """Decoded images per source, and their content fingerprints, shared by every run of a grid."""

    def __init__(self):
        self._images: dict[DataSpec, list[ImageRecord]] = {}
        self._fingerprints: dict[tuple[DataSpec, ...], str] = {}

    def images(self, spec: DataSpec) -> list[ImageRecord]:
        if spec not in self._images:
            self._images[spec] = load_images(spec)
            log.info("loaded %d images from %s", len(self._images[spec]), spec)
        return self._images[spec]

    def pooled(self, specs: tuple[DataSpec, ...]) -> list[ImageRecord]:
        """The images of several sources, in order (a training set such as BSD200 + T91)."""
        return [r for s in specs for r in self.images(s)]

    def fingerprint(self, specs: tuple[DataSpec, ...]) -> str:
        """Content hash of the sources' decoded images (:func:`benchmark.data.fingerprint`)."""
        if specs not in self._fingerprints:
            self._fingerprints[specs] = fingerprint(self.pooled(specs))
        return self._fingerprints[specs]
