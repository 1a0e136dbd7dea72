"""Datasets → RGB float images.

One loader (:func:`load_images`) for every kind of source, all through Hugging Face
``datasets`` so they share one code path:

* the embedded default: the photographs bundled inside scikit-image (``skimage``), built as a
  ``datasets.Dataset`` with a fixed split by image;
* a local image folder (every image file under it, by :func:`folder_files`, as a ``datasets.Dataset``);
* a table of image paths (a CSV/TSV, a ``.txt`` list of one path a line, JSON lines, parquet or arrow: relative
  paths from the table's folder, :func:`_load_table`);
* a dataset saved with ``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk``;
* a local copy of a hub dataset's files (``huggingface-cli download owner/name --repo-type dataset
  --local-dir DIR``: parquet or arrow shards, or WebDataset ``.tar`` shards, no image file), read by ``datasets``
  with its splits;
* any hub dataset id, with split, image column and revision. Offline (``HF_HUB_OFFLINE=1``) a
  hub id that is not cached fails at once with a one-line :class:`UserError`.

A source is written ``SOURCE[@REVISION][:SPLIT][#COLUMN]``, e.g. ``skimage:test``,
``/data/photos``, ``owner/name@main:train#image``. A hub id may carry a config name as a third
path segment: ``eugenesiow/Div2k/bicubic_x4:train#hr``. An image column may hold images,
encoded image files (binary, or a ``{bytes, path}`` struct), file paths (strings; a relative
path is looked up in the saved dataset's folder, then the cwd) or pixel arrays of uint8, uint16 or floats in
[0, 1] (:func:`_is_pixel_array`: ``Dataset.from_dict`` of numpy images); of several image columns,
``image``/``img``/``hr`` is taken, else ``#COLUMN`` must name one.
An existing path is one name whatever it contains (``with#hash``, ``at@sign``). Only hub ids
have revisions; only hub ids, embedded sets, folders (a top-level sub-folder), a hub dataset's local
files and a saved ``DatasetDict`` have splits: anything else is a :class:`UserError`. A saved
``DatasetDict`` (or a hub dataset's local files) named without ``:SPLIT`` is tested on its ``test``
split (else ``validation``) and trained on its ``train`` split (:func:`default_split`); where that is
ambiguous, the error lists the splits.

Every image becomes a (3, H, W) tensor: uint8 for 8-bit sources, float32 in [0, 1] for 16-bit
greyscale, 16-bit colour (PNG through torchvision's decoder, TIFF through tifffile, or OpenCV's libtiff
for the codecs tifffile lacks, LZW among them, JPEG 2000 through OpenCV's OpenJPEG: Pillow would keep the high byte
only) or float sources
(:func:`to_float` turns either into float32 in [0, 1]); a TIFF Pillow does not open (16-bit grey + alpha, float
RGB) is read by tifffile (:func:`_tiff_pillow_cannot_open`).
EXIF orientation is applied; L/LA/P/RGBA/CMYK/I;16/F modes are converted (alpha is dropped,
greyscale is replicated to three channels; images with transparent pixels are named in a warning);
of an animation or a multi-page file the first frame is used (of a TIFF, its first full-resolution page: a
scanner's preview page is passed over), and the files named in a warning.
An ICC colour profile other than sRGB (Adobe RGB, Display P3, ProPhoto, a CMYK press profile) is applied
(converted to sRGB as a colour-managed viewer shows it: an 8-bit image by littleCMS, a 16-bit or float one at full
precision by :mod:`benchmark.colour`, which reads matrix/TRC profiles), the files named in a warning; no profile or
an sRGB one leaves the pixels as stored, and a profile that is not applied (damaged, LUT-based on 16-bit or float
pixels) is named with why. A PNG with no ``iCCP``/``sRGB`` chunk but a ``gAMA`` (``cHRM``) other than sRGB's
(linear light, gAMA 1.0) is converted the same way (:func:`_png_encoding`), as is a camera's JPEG with no profile
whose EXIF says Adobe RGB (DCF's "R03": :func:`_exif_encoding`).
Unreadable files (a JPEG whose data ends before its image does among them: :func:`_check_jpeg_data`) and images under
:data:`MIN_IMAGE_SIDE` px on a side are logged by name: never trained on, tested on only by a task with
``modcrop=true`` that can cut them (:func:`benchmark.runner.held_out_items`), scored by psnr alone
(:data:`benchmark.metrics.ANY_SIDE`).
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import dataclasses
import errno
import functools
import hashlib
import io
import itertools
import json
import logging
import math
import os
import re
import stat
import struct
import tempfile
import time
import unicodedata
import warnings
import weakref
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

import numpy as np

from benchmark.devices import torch_threads
from benchmark.docmarkup import agree, plural
from benchmark.errors import (
    UserError,
    _close,
    did_you_mean,
    did_you_mean_path,
    first_line,
    offline_switches,
    pip,
    unknown_home,
)
from benchmark.lazymod import lazy_module

torch = lazy_module("torch")  # imported on first use: `plbench check` and `merge` read no pixels

log = logging.getLogger(__name__)
#: the standard images (BSD200, T91, CSet5, CSet14, Kodak24) the standard and full profiles use: ``../shared/datasets``
#: beside the checkout, or the folder ``PLBENCH_SHARED_DATASETS`` names (a second clone, a cluster's data disk)
SHARED_DATASETS = Path(os.environ.get("PLBENCH_SHARED_DATASETS")
                       or Path(__file__).resolve().parents[2] / "shared" / "datasets").expanduser()
#: how a config file names the shared images (``train_data: [../shared/datasets/BSD200]``, configs/cpu.yaml): read
#: from the current directory where it is there, else from :data:`SHARED_DATASETS`
#: (:meth:`benchmark.config.GridSpec.from_file`)
SHARED_PREFIX = "../shared/datasets/"

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
#: images with a side under this are never trained on (a training crop is ≥ 8 px, benchmark.config.MIN_CROP) and
#: tested on only by a task with modcrop=true (test images are otherwise cut to multiples of 8 px, TEST_MULTIPLE)
MIN_IMAGE_SIDE = 8
#: test images are cropped to multiples of this so every task scores the same pixels (benchmark.runner uses it;
#: here so that planning, benchmark.config, can say which metrics the cut images are too small for)
TEST_MULTIPLE = 8


def test_multiple(size_multiple: int = 1) -> int:
    """The multiple a task of ``size_multiple`` cuts test images to: :data:`TEST_MULTIPLE`, or its least common
    multiple with the task's where that does not divide it (×3 super-resolution: 24)."""
    import math

    return math.lcm(TEST_MULTIPLE, int(size_multiple))


def check_not_empty(sources, named: str) -> None:
    """A one-line :class:`UserError` naming the setting (``named``: ``--train-data``, ``grid.yaml: train_data``) of an
    empty or blank source among ``sources`` (``--train-data ''``), which :meth:`DataSpec.parse` could say only as
    "empty dataset source"."""
    import shlex

    if (empty := next((x for x in sources if not str(x).strip()), None)) is not None:
        raise UserError(f"{named} {shlex.quote(str(empty))}: empty dataset source: name a folder of images, an "
                        "embedded set (skimage) or a hub id")
    sources = [str(x) for x in sources]
    for before, x in zip(sources, sources[1:]):  # `--train-data Kodak24 holdout=10%` unquoted: the option of the
        # source before it, named with that source (DataSpec.parse, given it alone, can only say SOURCE[…])
        if (found := _option_unbracketed(x)) is not None and found[0] is None:
            raise UserError(f"{named} {shlex.quote(before)} {shlex.quote(x)}: {x} is the option of the source before "
                            f"it, not a source: write {shlex.quote(before + found[1])}")


@dataclass(frozen=True)
class DataSpec:
    """Where images come from. ``split=None`` means the source's default (``train`` for hub ids,
    everything for folders and embedded sets; for a saved ``DatasetDict`` the split that
    :meth:`parse` picks for the source's role, or ``train`` for a token written without one)."""

    source: str
    split: str | None = None
    image_column: str | None = None
    revision: str | None = None
    max_images: int | None = None
    #: ``(percent, part)``: a hold-out of a source that has no held-out split (``SOURCE[holdout=P%]``): exactly ``P`` %
    #: of its images, ranked by their pixels' hash (:func:`held_out`), are held out, ``part`` ``"test"`` reads those,
    #: ``"train"`` the others; the same text given to ``--train-data`` and ``--test-data`` splits the source in two
    holdout: tuple[float, str] | None = None

    @classmethod
    def parse(cls, text: str, max_images: int | None = None, role: str | None = None) -> "DataSpec":
        """``SOURCE[@REVISION][:SPLIT][#COLUMN]`` → DataSpec. An existing path is taken whole, and so
        is the longest existing path before an ``@``, ``:`` or ``#`` (a folder named ``with#hash`` or
        ``at@sign`` stays one name). ``role`` (``"train"`` or ``"test"``): what the source is for; a
        saved ``DatasetDict`` named without ``:SPLIT`` then gets its split here (:func:`default_split`),
        so the spec, and every token written from it, names the split that was used."""
        given, text = text, text.strip()
        original = text
        if not text:  # a Python caller's '' (pretrain(PretrainConfig(data='')), probe(data='')): said as the CLI's
            check_not_empty([given], "data source")
        if role not in (None, "train", "test"):
            raise ValueError(f"role must be 'train', 'test' or None, got {role!r}")
        # the form token() writes, last; read wherever written, but not out of an existing folder's name
        cap = next((c for c in re.finditer(r"\[max_images=(\d+)\]", text)
                    if not os.path.exists(os.path.expanduser(text[:c.end()]))), None)
        if cap and not os.path.exists(text):
            text, max_images = text[:cap.start()] + text[cap.end():], int(cap.group(1))
            if not max_images:  # read as no cap by every `if max_images`, then as "no readable image" by the load
                raise UserError(f"{original}: {cap.group(0)}: give a whole number of images of at least 1, "
                                f"e.g. {_option_written('max_images', '')}")
        holdout = None
        m = re.search(r"\[holdout=([^\]%]*)(%?)(?::([^\]]*))?\]", text)  # wherever written: after SOURCE, @REV,
        read = m is not None and not os.path.exists(text)  # :SPLIT or #COLUMN (the token writes it last)
        if read:
            text = text[:m.start()] + text[m.end():]
        _stray_option(original, text, m, cap)  # a second hold-out said as one before the first's value is read
        if read:
            holdout = _holdout(original, m.group(1), m.group(2), m.group(3), role)
        _unbracketed_option(original, text)
        sliced = re.search(r":([^:@#\[\]]+)\[([^\]]*)\](?=#|$)", text)  # datasets' split slice: train[:10%]
        if sliced and not os.path.exists(os.path.expanduser(text)):
            raise UserError(f"{original}: split slices ({sliced.group(1)}[{sliced.group(2)}]) are not read: name the "
                            f"whole split (:{sliced.group(1)}) and cap a training source with --max-train-images N, or "
                            "hold out a share of it for testing: the same "
                            f"{text[:sliced.start()]}:{sliced.group(1)}{text[sliced.end():]}[holdout=10%] as "
                            "--train-data and --test-data")
        # a refused address is said as typed, and the id to pass keeps the options written with it ([holdout=10%]:
        # without it the id given to --train-data and --test-data trains and tests on the same images)
        options = "".join(o.group(0) for o in (m if holdout else None, cap if max_images is not None else None) if o)
        said = text if text == original else f"{original}: {text}"
        if (local := file_url_path(text)) is not None and not os.path.exists(text):  # file:///data/photos: a folder
            text = local
        elif (host := file_url_host(text)) and not os.path.exists(text):
            raise UserError(f"{said} is {_other_host(host)}")
        if (hub := _hub_address(text)) is not None:
            raise UserError(f"{said} is {hub[1]} of the Hugging Face dataset {hub[0]}: pass its id, {hub[0]}{options}")
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text) and not os.path.exists(text):
            raise UserError(f"{said} is a URL: a source is an image folder, a saved dataset or a hub id "
                            "(download the files and pass their folder)")
        if "$" in text and not os.path.exists(os.path.expanduser(_split_source(text)[0])):  # '$DATA/photos:test' in
            # a config file, as a shell reads it (a list's paths too: find_file); an unset one kept, and a folder of a
            # name holding a '$' (run$TAG:test) read as written (tests/test_review_data20.py)
            text = os.path.expandvars(text)
        text, revision, split, column = _split_source(text)
        if missing := unknown_home(text):  # ~name of a user this machine has not (pathlib raised RuntimeError)
            user, own = missing
            raise UserError(f"{said}: ~{user} is the home folder of user {user!r}, and there is no user {user!r} on "
                            f"this machine (a folder in your own home is {own})")
        if text and not os.path.exists(os.path.expanduser(text)) and (found := on_disk(text)) is not None:
            text = str(found)  # 'été' typed composed, a Mac's copy decomposed: its name on disk
        text = without_hub_slash(text)  # a hub id typed with a slash after it, as a folder is: one id, token, run ids
        if not text:
            raise UserError(f"dataset source {original!r} names no source before its '@', ':' or '#' "
                            "(write SOURCE[@REVISION][:SPLIT][#COLUMN])")
        if os.path.isdir(os.path.expanduser(text)) or _is_table(Path(os.path.expanduser(text))):  # one name per
            text = str(Path(os.path.expanduser(text)).resolve())  # folder (or table), however it was typed
        spec = cls(text, split or None, column or None, revision or None, max_images, holdout)
        if holdout and spec.split is None and spec.kind in ("saved", "files"):  # both parts of one split: train's
            role = "train"
        if holdout and role == "test":  # the held-out part of its train split, or of the folder read whole
            role = None
        if role == "test" and spec.split is None and spec.kind == "hub":  # scores on training images, silently
            log.warning("%s: no split given for test data; testing on its 'train' split (a hub id's default): "
                        "name the held-out one as %s:SPLIT (e.g. :test, :validation)", spec.source, spec.source)
        if role == "test" and spec.split is None and spec.kind == "folder":  # imagefolder layout, read whole
            try:  # train/, or Kaggle's Train/
                subs = {d.name for d in Path(spec.source).iterdir() if d.is_dir()}
            except OSError:  # a folder this user cannot list: loading it says so, in one line
                subs = set()
            held_out = sorted(d for d in subs if d.lower() in ("test", "validation", "val", "valid"))
            train = sorted(d for d in subs if d.lower() == "train")
            if train and held_out:
                log.warning("%s: test data read whole, its %s/ sub-folder included (no folder name is read as a "
                            "split): name the held-out one as %s:%s", spec.source, train[0], spec.source, held_out[0])
        if role is not None and spec.split is None and spec.kind in ("saved", "files"):
            splits = saved_splits(Path(spec.source)) if spec.kind == "saved" else files_splits(Path(spec.source))
            if splits is not None:
                spec = dataclasses.replace(spec, split=default_split(spec, splits, role))
        return spec

    def __str__(self) -> str:
        s = self.source + (f"@{self.revision}" if self.revision else "")
        s += f":{self.split}" if self.split else ""
        s += f"#{self.image_column}" if self.image_column else ""
        return s + self.part

    @property
    def part(self) -> str:
        """``[holdout=P%:PART]`` for a part of a hold-out (:attr:`holdout`), else ``""``: in its token and its name."""
        return f"[holdout={self.holdout[0]:g}%:{self.holdout[1]}]" if self.holdout else ""

    def token(self) -> str:
        """``str(self)`` plus ``[max_images=N]`` when capped: what configs record; :meth:`parse` reads it back."""
        return str(self) + (f"[max_images={self.max_images}]" if self.max_images is not None else "")

    @property
    def name(self) -> str:
        """Short name for result rows: the folder name or the id, plus the split (several sources
        sharing one: :func:`dataset_names`) and the part of a hold-out (:attr:`part`: a folder's held-out images are not
        the folder), composed (NFC) as image ids are (:func:`_distinct_ids`)."""
        import unicodedata

        base = Path(self.source).name if os.path.isdir(self.source) or _is_table(Path(self.source)) else self.source
        return unicodedata.normalize("NFC", base + (f":{self.split}" if self.split else "") + self.part)

    @property
    def kind(self) -> str:
        """``embedded``, ``folder``, ``saved``, ``files`` (a hub dataset's data files, no image file:
        :func:`_is_data_files_folder`), ``table`` (a file listing images: :data:`TABLE_SUFFIXES`), ``file`` (another
        existing file: not a source), ``missing-path`` (a path that does not exist, a link to nothing, or a name no
        hub id can be: a bracket, a space) or ``hub``."""
        if self.source in EMBEDDED:
            return "embedded"
        p = Path(self.source).expanduser()
        if p.is_dir():
            return "saved" if _is_saved_dataset(p) else "files" if _is_data_files_folder(p) else "folder"
        if p.exists():
            return "table" if _is_table(p) else "file"
        if p.is_symlink():  # a link to nothing (a share not mounted) or in a loop: a path, not a hub id
            return "missing-path"
        if hub_data_file(self.source) is not None:  # owner/name/DIV2K_train_HR.zip: one data file of a hub dataset
            return "hub"
        if p.suffix or self.source.startswith((".", "/", "~")):
            return "missing-path"
        if not re.fullmatch(r"[\w.-]+(/[\w.-]+)?", "/".join(self.source.split("/")[:2])):  # no repo id has a bracket
            return "missing-path"  # or a space (letters, digits, '-', '_', '.'): a folder that is not there
        return "hub"


#: suffixes of a file read as a table of images (:func:`_load_table`): a CSV/TSV with a column of paths (with a header,
#: or one path a line), a plain list (one path a line), JSON lines, parquet or arrow (paths or encoded images)
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".jsonl", ".json", ".parquet", ".arrow")


#: a hub dataset's web page (copied from a browser), its ``hf://`` address (what datasets and pandas read), or its
#: path with the page's ``datasets/`` before it: the id (``owner/name``), a revision after ``@`` or ``/tree/`` (or
#: ``/blob/``, ``/resolve/``), then anything (a folder; a data file, :func:`hub_data_file`, named in the id)
_HUB_ADDRESS = re.compile(r"(https?://(?:www\.)?(?:huggingface\.co|hf\.co)/datasets/|hf://datasets/|datasets/)"
                          r"([\w.-]+/[\w.-]+)(?:@([^/:#?]+))?(?:/(?:tree|blob|resolve)/([^/:#?]+))?(?:/([^:#@?]+))?")


def _hub_address(text: str) -> tuple[str, str] | None:
    """(the hub id to pass, ``owner/name[@REVISION]``, and what ``text`` is) where ``text`` is a hub dataset's address
    (:data:`_HUB_ADDRESS`), else None: a path that exists, or ``datasets/…`` where a folder ``datasets`` is here (a
    local path mistyped), is none."""
    from urllib.parse import unquote

    m = _HUB_ADDRESS.match(text)
    if m is None or os.path.exists(os.path.expanduser(text)) or (m.group(1) == "datasets/"
                                                                   and os.path.isdir("datasets")):
        return None
    name = m.group(2).removesuffix(".git")  # a clone's address
    revision, file = m.group(3) or m.group(4), f"{name}/{m.group(5)}"
    what = {"datasets/": "not a local path; it reads as the path"}.get(m.group(1), "the address")
    hub_id = file if hub_data_file(file) else name  # one of its archives or shards: owner/name/FILE
    # a split or column written after an hf:// or datasets/ address (:test#hr) is the id's too; a web address's query
    # (?download=true) or fragment (#L3) is the browser's
    tail = "" if m.group(1).startswith("http") else re.fullmatch(r"(:[^#]*)?(#.*)?", text[m.end():])
    return hub_id + (f"@{unquote(revision)}" if revision else "") + (tail.group(0) if tail else ""), what


def _is_table(p: Path) -> bool:
    """Whether ``p`` is an existing file of :data:`TABLE_SUFFIXES`, or a Markdown file holding a pipe table
    (:func:`_markdown_start`: its head read, in the encoding its first bytes tell; asked by :meth:`DataSpec.parse`,
    ``.name`` and ``.kind``, no table built and no whole file read): a source read as a table of images."""
    if p.suffix.lower() == ".md":
        return p.is_file() and _markdown_start(p, _text_encoding(p, head=_HEAD_BYTES)) is not None
    return p.suffix.lower() in TABLE_SUFFIXES and p.is_file()


#: suffixes of a hub dataset's data files that ``owner/name/FILE`` names (one archive or shard of it, not a config)
HUB_FILE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".parquet", ".arrow")


def hub_data_file(source: str) -> str | None:
    """The file (its path in the repo) that a hub id ``owner/name/FILE`` names, ``FILE`` with a data file's suffix
    (:data:`HUB_FILE_SUFFIXES`: ``goodfellowliu/DIV2K/DIV2K_train_HR.zip``, whose splits hold every LR archive too);
    None for ``owner/name[/config]`` and paths."""
    parts = source.split("/")
    if len(parts) > 2 and all(parts) and source.lower().endswith(HUB_FILE_SUFFIXES) and source[0] not in "./~":
        return "/".join(parts[2:])
    return None


_TAIL = re.compile(r"(?:@(?P<revision>[^:#]+))?(?::(?P<split>[^#]+))?(?:#(?P<column>.+))?")


#: the bracketed options a source takes (:meth:`DataSpec.parse`)
SOURCE_OPTIONS = ("holdout", "max_images")


def _stray_option(original: str, text: str, holdout, cap=None) -> None:
    """A :class:`UserError` for a ``[NAME=VALUE]`` left in a source's ``text`` once its options are read (``original``:
    as written; ``holdout``, ``cap``: the ``[holdout=…]``, ``[max_images=N]`` matches read, or None): a misspelt
    option (``[Holdout=10%]``, ``[hold-out=10%]``), a second hold-out or cap, a cap that is not a number or an option
    written with spaces, which were read as part of a hub id's name. Every bracket is looked at: one ending an
    existing path's name (a folder named ``scans[v=2]``, before its ``:SPLIT`` or an option too), or like no option
    (a folder of that name that is not there, said so where it is read), is left alone."""
    for stray in re.finditer(r"\[\s*([^\]\[=]*?)\s*=\s*([^\]]*?)\s*\]", text):
        if os.path.exists(os.path.expanduser(text[:stray.end()])):  # the brackets are in an existing path's name
            continue
        name, value, written = stray.group(1), stray.group(2), stray.group(0)
        if name.lower().replace("-", "").replace("_", "") == "holdout" and holdout is not None:
            raise UserError(f"{original}: two hold-outs ({holdout.group(0)} and {written}): give one [holdout=P%]")
        if name == "max_images" and not value.isdigit():
            raise UserError(f"{original}: {written}: give a whole number of images, [max_images=N] (e.g. "
                            f"{_option_written(name, '')})")
        if written == f"[max_images={value}]" and cap is not None:
            raise UserError(f"{original}: two caps ({cap.group(0)} and {written}): give one [max_images=N]")
        if name in SOURCE_OPTIONS:  # its own name, with spaces
            raise UserError(f"{original}: {written} is not read: write {_option_written(name, value)}, without spaces")
        if close := did_you_mean(name, SOURCE_OPTIONS):  # else a folder named so that is not there: said as one
            raise UserError(f"{original}: {written} is not an option of a source (it takes "
                            f"[holdout=P%] and [max_images=N]){close}")


def _option_unbracketed(text: str) -> tuple[str | None, str] | None:
    """(the source written before it or None, the bracketed form) of a source option written without its brackets at
    the end of ``text`` (:func:`_unbracketed_option`); None for any other text and for an existing path."""
    m = re.fullmatch(r"(?:(?P<source>.*?)[\s,;:]+)?(?P<name>hold[-_]?out|max[-_]?images)\s*=\s*(?P<value>[^\s\[\]]*)",
                     text.strip(), flags=re.IGNORECASE)
    if not m or os.path.exists(os.path.expanduser(text)):
        return None
    return m["source"] or None, _option_written("holdout" if m["name"].lower().startswith("hold") else "max_images",
                                                 m["value"])


#: a value each source option takes, for a message on one written without a value it reads
OPTION_EXAMPLES = {"holdout": "10%", "max_images": "100"}


def _option_written(name: str, value: str) -> str:
    """``[NAME=VALUE]`` as a message tells the user to write it: ``value`` where it is one the option reads
    (``holdout=34`` a percentage, ``[holdout=34%]``), else :data:`OPTION_EXAMPLES`' (an empty ``holdout=`` →
    ``[holdout=10%]``), so the form named is one that parses; ``name``: ``holdout`` or ``max_images``."""
    if name == "holdout" and re.fullmatch(r"\d+(?:\.\d*)?", value):  # holdout=34: a percentage, as [holdout=P%] reads
        value += "%"
    valid = (re.fullmatch(r"\d+(?:\.\d*)?%(?::(?:test|train))?", value) if name == "holdout"
             else re.fullmatch(r"0*[1-9]\d*", value))
    return f"[{name}={value if valid else OPTION_EXAMPLES[name]}]"


def _unbracketed_option(original: str, text: str) -> None:
    """A :class:`UserError` for a source option written without its brackets, after a space, ``:`` or ``,``
    (``photos holdout=34%``, ``photos:holdout=34%``: the help's ``SOURCE[holdout=P%]`` read as an optional part),
    or passed as a source of its own (``--train-data photos holdout=34%`` unquoted; :func:`check_not_empty` names
    the source before it where it has the list): one line naming the bracketed form, where it was "dataset folder not
    found" or "no sub-folder 'holdout=34%'". ``text``: the source once its bracketed options are read; an existing path
    of that name (a folder named ``photos holdout=34%``) is left alone."""
    if (found := _option_unbracketed(text)) is None:
        return
    source, option = found
    if source:
        raise UserError(f"{original}: a source's options are written in brackets right after it, no space: "
                        f"{source}{option} (quoted in a shell)")
    raise UserError(f"{original} is a source's option, not a source: write it in brackets right after its source, "
                    f"SOURCE{option} (e.g. \"photos{option}\", quoted in a shell)")


def without_hub_slash(source: str) -> str:
    """A hub id typed with a slash after it (``me/photos/``, as a shell completes a folder) → ``me/photos``, the same
    source (:meth:`DataSpec.parse`; a self-trained encoder's data, :class:`benchmark.pretrain.PretrainConfig`); any
    other source, a folder that exists among them, as it is. ``source``: without its ``@``/``:``/``#`` tail."""
    if re.fullmatch(r"[\w.-]+/[\w.-]+(/[^/]+)*/+", source) and not os.path.exists(os.path.expanduser(source)):
        return source.rstrip("/")
    return source


def _split_source(text: str) -> tuple[str, str | None, str | None, str | None]:
    """``SOURCE[@REVISION][:SPLIT][#COLUMN]`` → (source, revision, split, column). An existing path is
    the whole source; else the longest existing path before an ``@``, ``:`` or ``#`` followed by a
    well-formed tail; else the parts are cut from the right (``#``, then ``:``, then ``@``)."""
    if os.path.exists(os.path.expanduser(text)):
        return text, None, None, None
    for i in sorted((i for i, ch in enumerate(text) if ch in "@:#"), reverse=True):
        head, tail = text[:i], _TAIL.fullmatch(text[i:])
        if head and tail and os.path.exists(os.path.expanduser(head)):
            return head, tail["revision"], tail["split"], tail["column"]
    column = split = revision = None
    if "#" in text:
        text, column = text.rsplit("#", 1)
    if ":" in text:
        text, split = text.rsplit(":", 1)
    if "@" in text:
        text, revision = text.rsplit("@", 1)
    return text, revision, split, column


#: how a Git LFS pointer file starts: what a repository cloned without git-lfs holds in place of each large file
GIT_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
_LFS_WHY = "a Git LFS pointer file, not the {} (cloned without Git LFS): run 'git lfs pull' in its repository"


def _unread(path: Path, exc: BaseException, what: str = "data") -> str:
    """Why ``path`` could not be read (``exc``), in a few words: a Git LFS pointer (:data:`GIT_LFS_POINTER`) said so,
    anything else by the first line of its error."""
    try:
        with open(path, "rb") as f:
            if f.read(len(GIT_LFS_POINTER)) == GIT_LFS_POINTER:
                return _LFS_WHY.format(what)
    except OSError:
        pass
    return first_line(exc)


def _data_files_unread(root: Path, exc: BaseException) -> str:
    """Why a folder of data files (:func:`_is_data_files_folder`) could not be read: its first Git LFS pointer named,
    else the first line of ``exc``."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if Path(f).suffix.lower() in DATA_FILE_SUFFIXES and (why := _unread(Path(dirpath) / f, exc)) != \
                    first_line(exc):
                return f"{Path(dirpath, f).relative_to(root)} is {why}"
    return first_line(exc)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_saved_dataset(p: Path) -> bool:
    """A folder written by ``save_to_disk``: a ``dataset_dict.json`` naming splits or a ``state.json``
    naming data files. A folder with another program's ``state.json`` (or ``dataset_dict.json``)
    that holds image files is an image folder; without image files it counts as a (broken) saved
    dataset, so that loading it says what is wrong with it."""
    dd, state = p / "dataset_dict.json", p / "state.json"
    if not dd.is_file() and not state.is_file():
        return False
    if saved_splits(p) is not None:
        return True
    info = _read_json(state) if state.is_file() else None
    if isinstance(info, dict) and "_data_files" in info:
        return True
    return not _holds_image_file(p)


#: suffixes of a hub dataset's data files (what ``huggingface-cli download`` of a parquet/arrow dataset leaves, or
#: of a WebDataset one: ``.tar`` shards of ``<key>.jpg``/``<key>.json`` files, which ``datasets`` reads as rows)
DATA_FILE_SUFFIXES = (".parquet", ".arrow", ".tar")


def _is_data_files_folder(p: Path) -> bool:
    """A folder of a hub dataset's data files (parquet/arrow/WebDataset tar shards) and no image file: a local copy
    of a hub dataset, read by ``datasets`` (:func:`load_raw`) rather than as an (empty) image folder."""
    if _holds_image_file(p):  # first: it stops at an image folder's first image
        return False
    for _dirpath, dirnames, filenames in os.walk(p):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if any(Path(f).suffix.lower() in DATA_FILE_SUFFIXES and not f.startswith(".") for f in filenames):
            return True
    return False


def files_splits(path: Path) -> list[str]:
    """The split names ``datasets`` reads off a folder of data files (``data/test-….parquet`` → ``test``)."""
    import datasets

    try:
        with _quiet_datasets(), _no_card_warning():
            return [str(s) for s in datasets.load_dataset_builder(str(path)).config.data_files]
    except Exception as exc:  # noqa: BLE001 - datasets raises many types for a layout it cannot read
        if (configs := _configs_error(path)) is not None:
            raise configs from None
        raise UserError(f"{path}: a folder of data files that datasets cannot read ({_data_files_unread(path, exc)})"
                        ) from None


def _readme_configs(path: Path) -> list[str]:
    """The config names a folder's README.md declares in its YAML front matter (a hub dataset's card: ``configs:``,
    each with a ``config_name``), read without ``datasets``; none where it has no card or no configs."""
    import yaml

    try:
        with open(Path(path) / "README.md", encoding="utf-8") as f:
            text = f.read(1 << 20)
        m = re.match(r"---\r?\n(.*?)\r?\n---\s*(?:\n|$)", text, re.S)
        card = yaml.safe_load(m[1]) if m else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    configs = card.get("configs") if isinstance(card, dict) else None
    return [str(c["config_name"]) for c in configs if isinstance(c, dict) and "config_name" in c] \
        if isinstance(configs, list) else []


def _configs_error(path: Path) -> UserError | None:
    """For a local copy whose README declares several configs (``datasets``: "Config name is missing"), the line that
    names them and what to pass: each config's own folder where its files lie in one (it reads as a local copy of
    its own), else how to save the one wanted; None for a copy of one config or none."""
    import datasets

    root = Path(path).expanduser().resolve()
    try:
        with _quiet_datasets(), _no_card_warning():
            configs = [str(c) for c in datasets.get_dataset_config_names(str(root))]
            folders = {}
            for c in configs:
                files = datasets.load_dataset_builder(str(root), c).config.data_files or {}
                parents = {Path(str(f)).parent for fs in files.values() for f in fs}
                if len(parents) == 1 and (d := parents.pop()) != root and d.is_relative_to(root):
                    folders[c] = d
    except Exception:  # noqa: BLE001 - a README datasets cannot read: the caller's line
        return None
    if len(configs) < 2:
        return None
    if len(folders) == len(configs):
        return UserError(f"{path}: a local copy of a dataset with configs {', '.join(configs)}: pass the folder of the "
                         f"one to read ({'; '.join(f'{c}: {d}' for c, d in folders.items())})")
    return UserError(f"{path}: a local copy of a dataset with configs {', '.join(configs)}, which a folder source "
                     "does not choose between: load the one wanted (datasets.load_dataset(DIR, CONFIG)), save_to_disk "
                     "it and pass that folder")


@contextlib.contextmanager
def _no_card_warning(*names: str):
    """Held back while a local copy is read: huggingface_hub's WARNING "Repo card metadata block was not
    found" (a README without YAML metadata, as most downloaded copies have: nothing about the data) and
    the parquet reader's ERROR on a damaged shard (the one-line :class:`UserError` then says it); and the loggers
    ``names`` (a read whose messages its load says again)."""
    loggers = [logging.getLogger(n) for n in ("huggingface_hub.repocard", "datasets.packaged_modules.parquet.parquet",
                                              *names)]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _holds_image_file(root: Path) -> bool:
    exts = image_extensions()
    for _dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in SYSTEM_FOLDERS]
        if any(Path(f).suffix.lower() in exts and not f.startswith(".") for f in filenames):
            return True
    return False


def saved_splits(path: Path) -> list[str] | None:
    """The split names of a saved ``DatasetDict`` (its ``dataset_dict.json``); None for anything else."""
    info = _read_json(path / "dataset_dict.json")
    if isinstance(info, dict) and isinstance(info.get("splits"), list):
        return [str(s) for s in info["splits"]]
    return None


def default_split(spec: "DataSpec", splits: list[str], role: str | None) -> str:
    """The split of a saved ``DatasetDict`` that ``spec`` (given without ``:SPLIT``) stands for.

    Test data: ``test``, else ``validation`` (logged), else the only split (logged). Training data: ``train``, else
    the only split (logged). Where none is spelt so, a name matching one of them, or test data's ``valid`` or ``val``,
    in any case (Kaggle's ``Train``/``Test``, as an image folder's ``Train/`` is read; logged). ``role=None`` (a token
    written before roles were recorded): ``train`` when present, as then. Anything else is ambiguous: a
    :class:`UserError` listing the splits."""
    wanted = {"test": ("test", "validation"), "train": ("train",), None: ("train",)}[role]
    loose = wanted + (("valid", "val") if role == "test" else ())
    order = [(i, name, name) for i, name in enumerate(wanted) if name in splits]  # as before: what it took stays
    order += [(i, name, s) for i, name in enumerate(loose) for s in splits if s.lower() == name]
    if order:
        i, name, found = order[0]
        if i or found != name or (role is None and len(splits) > 1):
            log.info("%s: no split given; %s its %r split (splits: %s)", spec.source,
                     {"test": "testing on", "train": "training on", None: "using"}[role], found, ", ".join(splits))
        return found
    if len(splits) == 1:
        log.info("%s: no split given; using its only split, %r", spec.source, splits[0])
        return splits[0]
    what = {"test": "test on", "train": "train on", None: "use"}[role]
    raise UserError(f"saved dataset {spec.source} has splits {', '.join(splits)}, none of them "
                    f"{' or '.join(repr(w) for w in wanted)}: name the one to {what} as {spec.source}:SPLIT")


def _holdout(text: str, value: str, percent: str, part: str | None, role: str | None) -> tuple[float, str]:
    """:attr:`DataSpec.holdout` of ``SOURCE[holdout=VALUE%[:PART]]`` (``text``): the part named, else the role's (test
    data: the held-out images; training data: the others); a :class:`UserError` in one line otherwise."""
    try:  # to the 0.01 % that held_out counts in: the token writes it whole, and reads back as this spec
        share = round(float(value), 2)
    except ValueError:
        share = math.nan
    if not percent or not 0 < share < 100:
        raise UserError(f"{text}: a hold-out is a percentage of the images between 0.01 and 99.99, e.g. "
                        f"[holdout=10%], not [holdout={value}{percent}]")
    part = part if part is not None else role
    if part not in ("test", "train"):
        raise UserError(f"{text}: name the part of the hold-out to read, [holdout={share:g}%:test] (the held-out "
                        f"images) or [holdout={share:g}%:train] (the others), or give it as --test-data or "
                        "--train-data")
    return share, part


def held_out(keys, percent: float) -> set[str]:
    """The keys (:func:`upright_hash`) of a source's held-out ``percent`` % (:attr:`DataSpec.holdout`), of its images'
    ``keys``: the distinct images ranked by their key, the first k = round(``percent`` % × N) of N held out (half up;
    at least 1, at most N − 1), so the share is exact, with no seed, and whatever the images' order or names; copies
    of one image, turned or mirrored ones too, count once and fall on one side; an added image moves at most one other
    across."""
    distinct = sorted(set(keys))
    n = len(distinct)
    k = min(n - 1, max(1, (round(percent * 100) * n + 5_000) // 10_000))
    return set(distinct[:k])


def check_holdouts(train, test, flags: tuple[str, str] = ("--train-data", "--test-data")) -> None:
    """Refuse, in one line, training and test sources (:class:`DataSpec`) that name one source with a hold-out
    (``SOURCE[holdout=P%]``) on either side unless they are its two parts of one share: shares of 10 % and 20 % rank the
    same images (the 10–20 % band is held out by one and trained on by the other, or, the training part's
    share the larger, read by neither), a whole source holds either part,
    and one part given to both sides is both. A source named without a hold-out on both sides is left to
    :meth:`DataCache.overlap`'s warning. ``flags``: the two sides' names (pretrain: ``--data``, ``--probe``)."""
    def whole(spec):  # the source a part is of; a hub id's default split named ('train': what load_raw reads)
        split = spec.split or ("train" if spec.kind == "hub" else None)
        return dataclasses.replace(spec, holdout=None, max_images=None, split=split)

    for a in train:
        for b in test:
            if whole(a) != whole(b) or not (a.holdout or b.holdout) or (
                    a.holdout and b.holdout and a.holdout[0] == b.holdout[0] and a.holdout[1] != b.holdout[1]):
                continue  # the two parts of one share (trained on the held-out one, if so named: apart too)
            how = "overlap"
            if a.holdout and b.holdout and a.holdout[0] != b.holdout[0]:
                (lo, hi), (lo2, hi2) = (_ranked(h) for h in (a.holdout, b.holdout))  # the part's ranks, in %
                if max(lo, lo2) < min(hi, hi2):
                    why = (f"hold-outs of {a.holdout[0]:g}% and {b.holdout[0]:g}% rank the same images, so those "
                           "between are trained and tested on")
                else:  # train on the images ranked after 20 %, test on the first 10 %: apart, a band left out
                    how = "split one source in two places"
                    why = (f"hold-outs of {a.holdout[0]:g}% and {b.holdout[0]:g}% rank the same images, so those "
                           "between are neither trained nor tested on")
            elif a.holdout and b.holdout:
                why = f"both read its {a.holdout[1]} part"
            else:
                why = f"the whole source holds its {(a.holdout or b.holdout)[1]} part"
            share = (a.holdout or b.holdout)[0]
            raise UserError(f"{flags[0]} {a} and {flags[1]} {b} {how} ({why}): give the same "
                            f"{whole(a)}[holdout={share:g}%] as {flags[0]} and {flags[1]}")


def _ranked(holdout: tuple[float, str]) -> tuple[float, float]:
    """The ranks (in %, from :func:`held_out`'s first) a hold-out's part holds: its test part the first P %, its
    training part the rest."""
    share, part = holdout
    return (0.0, share) if part == "test" else (share, 100.0)


@functools.lru_cache(maxsize=1024)
def _symmetric_grid(n: int) -> np.ndarray:
    """17 positions along a side of ``n`` px, the same read from either end (:func:`upright_hash`'s grid)."""
    q = np.linspace(0, n - 1, 17).round().astype(int)
    return np.unique(np.concatenate([q, n - 1 - q]))


def _turned_view(a: np.ndarray, t: int) -> np.ndarray:
    """Turning ``t`` (0 … 7) of a (C, H, W) image ``a``, a numpy view (nothing copied): turning t = 4·mirrored + k is
    ``a`` mirrored (left-right) when t ≥ 4, then turned by k·90° (np.rot90 over H, W), as :func:`_turn` makes it;
    t = 0 is ``a`` as it is. The one order every caller that reads a turning's index (t ≠ 0: turned or mirrored)
    assumes."""
    return np.rot90(a[:, :, ::-1] if t >= 4 else a, t % 4, axes=(1, 2))


def _turned_views(a: np.ndarray) -> list[np.ndarray]:
    """An image's eight turnings, (C, H, W) ``a``'s numpy views (nothing copied), in :func:`_turned_view`'s order."""
    return [_turned_view(a, t) for t in range(8)]


def upright_hash(pixels: torch.Tensor, digest: str | None = None) -> str:
    """:func:`image_hash` of the one of an image's eight turnings (k·90°, mirrored or not) that reads least (its sides,
    then its top row, right column, bottom row and left column as bytes, then its pixels at a grid of rows and columns
    that each turning maps onto itself; of turnings that tie there too, a flat or symmetric image, the least hash): one
    key for an image and each of its turned or mirrored copies (a set saved with its augmentations), as
    :func:`held_out` needs. ``digest``: ``image_hash(pixels)``, reused where the image is its own least turning (one
    hash, of the turning chosen, for a photo whose border or grid tells its turnings apart: a framed one too)."""
    a = pixels.numpy()
    turns = _turned_views(a)
    reads = [(v.shape, np.concatenate([v[:, 0, :], v[:, :, -1], v[:, -1, ::-1], v[:, ::-1, 0]], 1).tobytes(),
              v[:, _symmetric_grid(v.shape[1])][:, :, _symmetric_grid(v.shape[2])].tobytes()) for v in turns]
    least = min(reads)
    return min(digest or image_hash(pixels) if i == 0 else image_hash(torch.from_numpy(np.ascontiguousarray(v)))
               for i, v in enumerate(turns) if reads[i] == least)


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


def on_8bit_levels(img: torch.Tensor) -> torch.Tensor:
    """(N,) bool: which images of (N, C, H, W) in [0, 1] hold 8-bit levels only (every value within 10⁻³ of a level of
    k / 255: an 8-bit source's, or a 16-bit one's whose values are 257·k, its high byte repeated), on ``img``'s device,
    without a host synchronisation. A 16-bit source's value v / 65535 off those lies ≥ 1/257 of a level from one; a
    float source's anywhere."""
    levels = img.to(torch.float64) * 255
    return ((levels - levels.round()).abs() <= 1e-3).flatten(1).all(1)


def on_8bit_source(pixels: torch.Tensor) -> bool:
    """Whether a decoded image (3, H, W) — uint8, or float32 in [0, 1] — is an 8-bit source as a task degrades it
    (:attr:`benchmark.task.Task.reads_source_precision`): uint8, or a 16-bit or float one on 8-bit levels as a whole
    (:func:`on_8bit_levels`: a v·257 file), decided of the whole image, never of a crop of it."""
    return pixels.dtype == torch.uint8 or bool(on_8bit_levels(to_float(pixels)[None]))


# --------------------------------------------------------------------------------------------
# PIL → tensor
# --------------------------------------------------------------------------------------------
def pil_to_tensor(img, name: str = "image", notes: dict | None = None,
                  jpeg2000_bits: int | None = None) -> torch.Tensor:
    """Any PIL image → (3, H, W): uint8 for 8-bit modes, float32 in [0, 1] for I;16/I/F.
    EXIF orientation is applied first, then the image's ICC colour profile, where it is not sRGB
    (:func:`_to_srgb`, or :func:`_float_to_srgb` for I;16/I/F: ``(name, profile)`` appended to ``notes["icc"]``, or
    to ``notes["icc-kept"]`` with the reason where it cannot be applied). Alpha is dropped; greyscale is
    replicated. Integer greyscale (``I;16``, ``I``) is read on the 16-bit scale, value / 65535, whatever its
    content (a 12-bit TIFF, by its BitsPerSample, on its own: value / 4095; a 12-bit grey JPEG 2000, its codestream's
    depth ``jpeg2000_bits``, which Pillow shifts up to 16 bits, too, as 12-bit colour is read). A float (``F``) image
    with non-finite pixels or values outside [0, 1], an ``I`` image outside [0, 65535] (a 12-bit TIFF's outside
    [0, 4095]) or a 32-bit integer TIFF (its scale unknown) is a ``ValueError`` (never clipped or guessed): a folder
    skips and counts it as unreadable, with the reason.
    """
    from PIL import ImageOps

    tag = getattr(img, "tag_v2", None)  # a TIFF's BitsPerSample (exif_transpose's copy has no tags)
    bits = tag.get(258) if tag is not None else None
    bits = max(bits) if isinstance(bits, tuple) and bits else bits
    # a 9- to 15-bit grey JPEG 2000: Pillow reads it as I;16 of value << (16 − bits) (12-bit white: 65520)
    shift = 16 - jpeg2000_bits if jpeg2000_bits is not None and 8 < jpeg2000_bits < 16 else 0
    bits = jpeg2000_bits if shift else bits
    # PhotometricInterpretation 0 (WhiteIsZero: scanners, radiographs): Pillow inverts 8-bit such files, not 16-bit
    white_is_zero = tag is not None and tag.get(262) == 0 and img.mode.startswith("I;16")
    signed = tag.get(339) if tag is not None else None  # SampleFormat: 2 = signed integers
    if signed == 2 or (isinstance(signed, tuple) and 2 in signed):  # Pillow reads int8 as uint8: -1 became 255
        raise ValueError(f"signed {bits or ''}-bit integer pixels: no scale to read them on (unsigned 8- and 16-bit "
                         "and float in [0, 1] are read; convert it to one of those)")
    if img.getexif().get(0x0112, 1) != 1:  # else exif_transpose returns a copy: a 100 MP photo held twice
        img = ImageOps.exif_transpose(img)
    icc = img.info.get("icc_profile")
    if icc and not img.mode.startswith(("I", "F")):
        img = _to_srgb(img, name, notes)
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale (Pillow opens 16-bit PGM/PPM, and some PNG/TIFF, as 32-bit "I"): the scale is the
        # format's, 0..65535, never read off the content (a dark 16-bit image is not an 8-bit one)
        if isinstance(bits, int) and bits > 16:
            raise ValueError(f"{bits}-bit integer pixels: no scale to read them on (8- and 16-bit images are read; "
                             "convert it to one of those)")
        arr = np.asarray(img, dtype=np.float64) / 2.0**shift
        if arr.size and (arr.min() < 0 or arr.max() > 65535):
            raise ValueError(f"integer pixels outside the 16-bit range [0, 65535] (min {arr.min():.0f}, "
                             f"max {arr.max():.0f}): convert the image to 8 or 16 bits")
        # a 12-bit grey TIFF (an X-ray or scientific camera's), which Pillow opens as I;16 of 0 .. 4095: on its own
        # scale, as tifffile's 10/12-bit reads (_tiff_pillow_cannot_open)
        top = 2.0**bits - 1 if isinstance(bits, int) and 8 < bits < 16 else 65535.0
        if arr.size and arr.max() > top:
            raise ValueError(f"a {bits}-bit TIFF with values up to {arr.max():.0f}, over its {top:.0f}: save it as "
                             "16 bits")
        arr = ((top - arr if white_is_zero else arr) / top).astype(np.float32)
        grey = torch.from_numpy(arr).expand(3, *arr.shape).contiguous()
        return _colour_managed(grey, img.info, name, notes, grey=True)
    if mode == "F":  # a float image must already be in [0, 1]: never silently clipped (load_images skips it)
        arr = np.array(img, dtype=np.float32)  # a copy: torch warns on (and must not share) Pillow's read-only buffer
        if not np.isfinite(arr).all():
            raise ValueError(f"{int((~np.isfinite(arr)).sum())} non-finite (NaN/inf) pixels")
        if arr.size and (arr.min() < 0 or arr.max() > 1):
            raise ValueError(_outside_0_1(arr))
        grey = torch.from_numpy(arr).expand(3, *arr.shape).contiguous()
        return _colour_managed(grey, img.info, name, notes, grey=True)
    if mode in ("P", "PA"):
        img = img.convert("RGBA")
    if img.mode != "RGB":
        img = img.convert("RGB")
    arr = _rgb_planes(img)
    return arr if icc else _colour_managed(arr, img.info, name, notes)  # a profile: applied by littleCMS above


#: ``datasets.Image(mode=…)`` values that say a column holds greyscale images (:func:`declared_mode` applies them)
GREY_MODES = frozenset({"L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
#: colour modes a decoded image already is, as RGB (alpha dropped): declaring one changes nothing
_RGB_MODES = frozenset({"RGB", "RGBA", "RGBa", "RGBX"})


def declared_mode(pixels: torch.Tensor, mode: str, name: str, notes: dict) -> torch.Tensor:
    """A decoded image (3, H, W) as its column's ``datasets.Image(mode=mode)`` says it is, as `datasets` hands it to
    its users: a greyscale mode (:data:`GREY_MODES`) makes a colour image its luma (Pillow's ITU-R 601 weights; uint8
    exactly as Pillow's ``convert('L')`` rounds, a 16-bit or float image at its precision), replicated to RGB, and
    ``name`` appended to ``notes["mode-grey"]``; an RGB mode changes nothing; any other (``P``, ``1``, ``CMYK``, …,
    which would quantise, dither or leave the photo in another colour space) is not applied: ``notes["mode-kept"]``."""
    if mode in _RGB_MODES:
        return pixels
    if mode not in GREY_MODES:
        notes["mode-kept"] = True
        return pixels
    if bool((pixels[0] == pixels[1]).all() and (pixels[1] == pixels[2]).all()):
        return pixels  # greyscale already
    notes.setdefault("mode-grey", []).append(name)
    if pixels.dtype == torch.uint8:  # Pillow's L24: (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16, one plane at a time
        luma = pixels[0].to(torch.int32) * 19595
        luma += pixels[1].to(torch.int32) * 38470
        luma += pixels[2].to(torch.int32) * 7471
        luma = ((luma + 0x8000) >> 16).to(torch.uint8)
    else:
        luma = pixels[0] * 0.299 + pixels[1] * 0.587 + pixels[2] * 0.114
    return luma.expand(3, *luma.shape).contiguous()


def _rgb_planes(img) -> torch.Tensor:
    """An RGB PIL image → (3, H, W) uint8, one band at a time: peak memory the decoded image, the result and one
    band (numpy's read of the whole image, its copy and the permuted copy held three more: 4.7× a 100 MP photo's
    size, which ran a folder of them out of memory one image at a time)."""
    w, h = img.size
    out = torch.empty((3, h, w), dtype=torch.uint8)
    planes = out.numpy()
    for c in range(3):
        planes[c] = np.asarray(img.getchannel(c))
    return out


def decode_image(value, name: str, base: Path | None = None, notes: dict | None = None) -> torch.Tensor:
    """Decode one cell of an image column: a ``datasets.Image(decode=False)`` cell ({'bytes', 'path'}),
    a file path (str), encoded image bytes (a binary column) or a PIL image. A relative path is looked
    up in ``base`` (the saved dataset's folder) first, then in the cwd (:func:`find_file`). A cell that
    holds no image is a ``ValueError`` saying what it holds. Of a file of several frames (animated
    GIF/PNG/WebP, multi-page TIFF) the first is decoded, and ``(name, frame count)`` appended to
    ``notes["frames"]`` when ``notes`` is given (a camera's MPO JPEG, a photo plus its previews, is not
    counted); an image with transparent pixels (alpha < 255: dropped, the colours under it kept) is
    appended to ``notes["transparent"]``, and a 16-bit colour file no decoder here reads at 16 bits (Pillow's
    8-bit read kept) as ``(name, why)`` to ``notes["8-bit"]`` (logged at once without ``notes``). A TIFF that
    Pillow does not open (16-bit grey + alpha, float colour) is read by tifffile
    (:func:`_tiff_pillow_cannot_open`)."""
    from PIL import Image, UnidentifiedImageError

    pillow_plugins()
    if value is None:
        raise ValueError("empty image cell")
    if hasattr(value, "mode"):  # already a PIL image
        return pil_to_tensor(value, name, notes)
    if isinstance(value, np.ndarray) and value.dtype.name in PIXEL_DTYPES:  # a pixel array column (_is_pixel_array)
        return _array_to_tensor(value, name, notes)
    if isinstance(value, str):  # a column of file paths
        value = {"bytes": None, "path": value}
    elif isinstance(value, (bytes, bytearray, memoryview)):  # a binary column of encoded files (PNG, JPEG, …)
        value = {"bytes": bytes(value), "path": None}
    if not isinstance(value, dict):
        raise ValueError(f"the cell holds {_what(value)}, not an image or a file path")
    data, path = value.get("bytes"), value.get("path")
    if data is None:
        if not path:
            raise ValueError("empty image cell (neither bytes nor a path)")
        path = file_url_path(str(path)) or path  # a file URL names a local file
        if host := file_url_host(str(path)):
            raise ValueError(_other_host(host))
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", str(path)):  # a hub dataset of image URLs (LAION-style)
            data = _archive_member(str(path))  # or a file in a downloaded archive: datasets' zip://…::/cache/….zip
            if data is None:
                raise ValueError("a URL: images are not downloaded here (download them, then pass their folder or a "
                                 "column of local paths)")
        else:
            path = find_file(path, base)
            st = os.stat(path)  # one stat: a folder (a list of the folders to read, as other tools take), the size
            if stat.S_ISDIR(st.st_mode):
                raise ValueError("a folder, not an image file: a table lists image files; give the folder as a "
                                 "source of its own (--train-data and --test-data take several)")
    if (len(data) if data is not None else st.st_size) == 0:
        raise ValueError("empty file (0 bytes)")
    # Pillow's own warnings (corrupt EXIF, a decompression-bomb size, …) went to stderr as library
    # warnings naming neither the file nor the outcome: logged here under the image's name
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            img = Image.open(io.BytesIO(data) if data is not None else path)
        except Image.DecompressionBombError as exc:  # its text: "… could be decompression bomb DOS attack"
            raise ValueError(_too_many_pixels(exc)) from None
        except UnidentifiedImageError:  # its own text names a BytesIO object's address, or repeats the path
            if data is not None:
                head = data[:64]
            else:
                with open(path, "rb") as f:
                    head = f.read(64)
            if head.startswith((b"II*\x00", b"MM\x00*")):  # a layout Pillow does not open: tifffile's read
                return _tiff_pillow_cannot_open(data, path, name, notes)
            if re.match(rb"PF\s", head):  # a colour Portable Float Map (Pillow reads grey ones only)
                return _read_colour_pfm(data if data is not None else Path(path).read_bytes())
            raise ValueError(_undecodable(head)) from None
        # a TIFF's page read (not a preview before it, whose tags may differ: tests/test_review_data20.py), left on it
        page, n = _tiff_main_page(img) if img.format == "TIFF" else (0, None)
        opened = None
        if data is None and img.format == "TIFF" and img.tag_v2.get(0x0112) in (5, 6, 7, 8):  # turned by 90°
            # Pillow maps an uncompressed grey or RGBA TIFF's pixels from a file it opened by name at the turned size,
            # rows of the wrong length (a scramble); from a file object it decodes them, as it does a compressed one's,
            # the file read as it is decoded (not copied into memory whole: a scan of gigabytes)
            img.close()
            opened = open(path, "rb")  # noqa: SIM115 - closed with img, below
            img = Image.open(opened)
        with img, opened or contextlib.nullcontext():
            if opened is not None:  # the TIFF opened again: on the page read
                img.seek(page)
            if n is None:  # not a TIFF: its frames
                n = getattr(img, "n_frames", 1)
            # before load(): the raw mode is read off the file's tile, and a 16-bit TIFF's orientation is gone after it
            deep = _is_16_bit_colour(img)
            grey = deep and _raw_mode(img).startswith("LA;16")  # 16-bit grey + alpha, which Pillow opens as RGBA
            orientation = img.getexif().get(0x0112, 1) if deep else 1
            # a grey JPEG 2000's depth (its codestream's), read before load() closes the file: 12-bit is value / 4095
            j2k_bits = _jpeg2000_bits(img) if img.format == "JPEG2000" and img.mode.startswith("I;16") else None
            # damage Pillow decodes in silence (libjpeg's warnings go unread): checked by a second decoder in a
            # thread of its own while Pillow decodes, its time hidden behind Pillow's where a core is free
            check = _jpeg_checker(os.getpid()).submit(
                _jpeg_damage, data if data is not None else Path(path).read_bytes()) \
                if img.format in ("JPEG", "MPO") else None
            img.load()
            if check is not None:
                _check_jpeg_data(check.result(), name, notes)
            if notes is not None and n > 1 and img.format != "MPO":
                notes.setdefault("frames", []).append((name, n))
            if notes is not None and _transparent(img):
                notes.setdefault("transparent", []).append(name)
            pixels = None
            if deep:
                try:
                    pixels = _read_16_bit_colour(img, data, path, orientation, page)
                except Exception as exc:  # noqa: BLE001 - any decoder's failure: Pillow's 8-bit read is still an image
                    why = " ".join(f"{type(exc).__name__}: {exc}".split())
                    if notes is not None:  # the loader names them once per source
                        notes.setdefault("8-bit", []).append((name, why))
                    else:
                        log.warning("%s: 16-bit colour read at 8 bits (Pillow's high byte): %s", name, why)
            if pixels is not None:  # a profile (or PNG gamma) converted at 16 bits, not by littleCMS's 8
                pixels = _colour_managed(pixels, img.info, name, notes, grey=grey)
            if pixels is None:
                pixels = pil_to_tensor(img, name, notes, jpeg2000_bits=j2k_bits)
    for text in dict.fromkeys(_large_image(w.message) if issubclass(w.category, Image.DecompressionBombWarning)
                              else " ".join(str(w.message).split()) for w in caught):
        log.warning("%s: read, with Pillow's warning: %s", name, text)
    return pixels


#: libjpeg's warning that a JPEG's data ends before its image does: the rest is filled in (grey), as in a
#: truncated file, which Pillow refuses; any other "Corrupt JPEG data" warning is named, the image kept
_JPEG_CUT_SHORT = "premature end of data segment"
#: libjpeg's other warnings (jerror.h): damage besides "Corrupt JPEG data: …", and format oddities that leave the
#: decode as it is (a JFIF version libjpeg does not know, scan parameters it corrects), logged at debug level
_LIBJPEG_DAMAGE = ("Premature end of JPEG file", "Inconsistent progression sequence")
_LIBJPEG_ODDITY = ("Warning: unknown JFIF revision number", "Invalid SOS parameters for sequential JPEG",
                   "Unknown Adobe color transform code")


def _capture_file():
    """A file to send fd 2 to for one capture (:func:`_libjpeg_warnings`) that needs no temporary folder: an anonymous
    memory file where the system has them (Linux), else a temporary file. A file in a full /tmp failed every JPEG
    as unreadable (no inode left: ENOSPC), or, created, took none of libjpeg's words (no block left): a JPEG cut
    short was read grey-filled, another image set than the same command reads with room there."""
    import tempfile

    if hasattr(os, "memfd_create"):
        with contextlib.suppress(OSError):
            return os.fdopen(os.memfd_create("plbench-libjpeg", os.MFD_CLOEXEC), "w+b")
    return tempfile.TemporaryFile()


def _libjpeg_warnings(raw: bytes) -> tuple[list[str], list[str]]:
    """libjpeg's warnings on decoding ``raw`` (a JPEG file's bytes), which Pillow's decoder silences, as (damage:
    what follows "Corrupt JPEG data:", or a :data:`_LIBJPEG_DAMAGE` line; :data:`_LIBJPEG_ODDITY` lines): OpenCV's
    libjpeg decodes it at 1/8 scale (every entropy-coded byte is still read) with the process's stderr (fd 2) sent
    to a temporary file for that call; whatever else was written there meanwhile is passed on."""
    import sys

    import cv2

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to capture (a daemon's closed fd 2): nothing can be read of libjpeg's warnings
        return [], []
    try:
        with _capture_file() as tmp:
            os.dup2(tmp.fileno(), 2)
            try:
                cv2.imdecode(np.frombuffer(raw, dtype=np.uint8), cv2.IMREAD_REDUCED_COLOR_8)
            finally:
                os.dup2(saved, 2)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", "replace")
    finally:
        os.close(saved)
    said, odd, other = [], [], []
    for line in text.splitlines():
        if line.startswith("Corrupt JPEG data:"):
            said.append(line.split(":", 1)[1].strip())
        else:
            (said if line.startswith(_LIBJPEG_DAMAGE) else odd if line.startswith(_LIBJPEG_ODDITY) else other).append(
                line)
    if other:
        os.write(2, ("\n".join(other) + "\n").encode())
    return said, odd


#: a marker in a JPEG's entropy-coded data: 0xFF then neither a stuffed 0x00, a restart marker (RST0–7) nor fill
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _unfinished_progression(raw: bytes) -> str | None:
    """What a progressive JPEG (SOF2, or SOF10 arithmetic) that ends in EOI lacks of its image, or None: each
    component's 64 coefficients must reach full precision (a scan with Al 0 over them) by its last scan. One cut where
    a scan starts and closed with EOI (a progressive preview of the first scans, a download cut and 'repaired')
    decodes without a word from libjpeg, blurred; one whose data ends within a scan is libjpeg's 'premature end of
    data segment' (:func:`_check_jpeg_data`). None for a sequential JPEG, or one this walk of its markers cannot
    follow (Pillow and libjpeg judge it)."""
    pos, components, done = 2, None, {}
    if not raw.startswith(b"\xff\xd8"):
        return None
    while pos + 2 <= len(raw):
        if raw[pos] != 0xFF:
            return None
        marker = raw[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            pos += 2
            continue
        end = pos + 2 + int.from_bytes(raw[pos + 2:pos + 4], "big")
        if end > len(raw):
            return None
        seg = raw[pos + 4:end]
        if marker in (0xC2, 0xCA) and len(seg) >= 6:  # progressive frame: its components' ids
            components = seg[6:6 + 3 * seg[5]:3]
            done = {c: [None] * 64 for c in components}
        elif marker in (0xC0, 0xC1, 0xC3, 0xC9, 0xCB) and components is None:
            return None  # sequential (or lossless): libjpeg's own warnings tell a cut
        elif marker == 0xDA:
            if components is None or len(seg) < 1 + 2 * seg[0] + 3:
                return None
            ns = seg[0]
            ss, se, al = seg[1 + 2 * ns], seg[2 + 2 * ns], seg[3 + 2 * ns] & 0x0F
            for c in seg[1:1 + 2 * ns:2]:
                if c not in done or not ss <= se <= 63:
                    return None
                for k in range(ss, se + 1):
                    done[c][k] = al if done[c][k] is None else min(done[c][k], al)
            found = _JPEG_MARKER.search(raw, end)  # past the scan's entropy-coded data
            if found is None:
                return None  # no EOI: Pillow refuses it as truncated
            pos = found.start()
            continue
        pos = end
    else:
        return None
    if components is None:
        return None
    missing = sum(1 for c in components for bits in [done[c]] for v in bits if v != 0)
    if not missing:
        return None
    return (f"its progressive scans end before the image does ({missing} of its {64 * len(components)} coefficients "
            "never refined to full precision: a preview of its first scans, or a file cut where a scan starts; it "
            "would be read blurred)")


def _jpeg_damage(raw: bytes) -> tuple[list[str], list[str], str | None]:
    """:func:`_libjpeg_warnings` of a JPEG's bytes and what its progressive scans lack
    (:func:`_unfinished_progression`), for :func:`_check_jpeg_data`."""
    said, odd = _libjpeg_warnings(raw)
    return said, odd, _unfinished_progression(raw)


@functools.cache
def _jpeg_checker(pid: int):
    """The one thread that runs :func:`_libjpeg_warnings` for this process (``pid``: a forked child gets its own, as
    the parent's thread is not in it): one check at a time, as each takes over the process's fd 2."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(1, thread_name_prefix="plbench-jpeg-check")


def _check_jpeg_data(warned: tuple[list[str], list[str], str | None], name: str, notes: dict | None) -> None:
    """A JPEG whose entropy-coded data libjpeg finds damaged (``warned``: :func:`_jpeg_damage`): one cut short, or a
    progressive one whose scans stop early (:func:`_unfinished_progression`), is a ``ValueError`` (skipped as
    unreadable, as a truncated file is); other damage (bytes garbled in the middle, which libjpeg resynchronises
    past) keeps the image and appends ``(name, warning)`` to ``notes["jpeg-damaged"]`` (logged at once without
    ``notes``): the same warning comes from the harmless padding some cameras write."""
    said, odd, unfinished = warned
    for line in odd:
        log.debug("%s: libjpeg: %s (the image is read as it is)", name, line)
    if unfinished:
        raise ValueError(f"damaged JPEG: {unfinished}; copy the whole file again")
    if not said:
        return
    if any(_JPEG_CUT_SHORT in w for w in said):
        raise ValueError(f"damaged JPEG: libjpeg: {_JPEG_CUT_SHORT} (its data ends before the image does: the rest "
                         "would be filled in grey); copy the file again")
    if notes is not None:
        notes.setdefault("jpeg-damaged", []).append((name, said[0]))
    else:
        log.warning("%s: read, with libjpeg's warning of corrupt data: %s (part of the image may be garbled)",
                    name, said[0])


_ARCHIVE_MEMBER = re.compile(r"(?:zip|tar)://(?P<member>[^:]+)::(?P<archive>.+)")


def _archive_member(url: str) -> bytes | None:
    """The bytes of a file inside a local archive, as ``datasets`` names the images of an imagefolder shipped as zip or
    tar archives (``zip://DIV2K_train_HR/0001.png::/…/DIV2K_train_HR.zip``: the archive downloaded into its cache);
    None for any other URL (nothing is downloaded here)."""
    m = _ARCHIVE_MEMBER.fullmatch(url)
    if m is None or re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", m["archive"]) and not m["archive"].startswith("file://"):
        return None
    import fsspec

    with fsspec.open(url, "rb") as f:
        return f.read()


def _hub_data_file(repo: str, file: str, split: str, revision: str | None):
    """One data file of hub dataset ``repo`` (:func:`hub_data_file`) as split ``split``: fetched by
    ``huggingface_hub`` into its cache (offline: found there, where ``datasets`` leaves the files it downloads too)
    and read as a local file, an archive by the imagefolder builder. Not ``load_dataset(repo, data_files=...)``:
    online it names its cache by the file's URL resolved at a commit, offline by the name as given, so a download
    is never found again offline (huggingface/datasets#7551)."""
    import datasets
    from huggingface_hub import hf_hub_download

    local = hf_hub_download(repo, file, repo_type="dataset", revision=revision)
    builder = {".parquet": "parquet", ".arrow": "arrow"}.get(Path(file).suffix.lower(), "imagefolder")
    with _quiet_datasets():
        return datasets.load_dataset(builder, data_files={split: local}, split=split)


def archive_member_name(path: str) -> str:
    """A cell's path for naming the image: the file's path inside its archive for :func:`_archive_member`'s URLs
    (``DIV2K_train_HR/0001.png``), else ``path``."""
    m = _ARCHIVE_MEMBER.fullmatch(path)
    return m["member"] if m else path


def _large_image(message) -> str:
    """Pillow's warning on an image over ``MAX_IMAGE_PIXELS`` but under twice it (read): its size and the limit in
    megapixels, not Pillow's 'could be decompression bomb DOS attack'."""
    from PIL import Image

    found = re.search(r"\((\d+) pixels\)", str(message))
    size = f"{_megapixels(int(found[1]))} MP, " if found else ""
    return (f"a large image ({size}over Pillow's warning limit of {_megapixels(Image.MAX_IMAGE_PIXELS or 0)} MP; "
            f"it refuses from {_megapixels(2 * (Image.MAX_IMAGE_PIXELS or 0))} MP)")


def _megapixels(n: float) -> str:
    """``n`` pixels in megapixels, as the decompression-bomb lines say it: 400, 179, 0.0019."""
    return f"{n / 1e6:.0f}" if n >= 1e7 else f"{n / 1e6:.2g}"


def _too_many_pixels(exc: Exception) -> str:
    """What to say of an image Pillow refuses as a possible decompression bomb (over twice ``MAX_IMAGE_PIXELS``): a
    huge scan or satellite tile, not an attack; its size, the limit, and that tiles of it are read."""
    from PIL import Image

    mp = _megapixels
    found = re.search(r"\((\d+) pixels\)", str(exc))
    size = f"{mp(int(found[1]))} MP, " if found else ""
    limit = Image.MAX_IMAGE_PIXELS or 0
    return (f"an image of {size}over Pillow's limit of {mp(2 * limit)} MP (its guard against decompression bombs): "
            f"not read; cut it into tiles of under {mp(limit)} MP each and use their folder")


#: an ICC profile's colour space (header) → the Pillow mode its pixels are transformed from, and the image modes
#: it is applied to (a profile of another space than the pixels' is not applied)
_ICC_SPACES = {"RGB": ("RGB", ("RGB", "RGBA", "RGBX", "RGBa", "P", "PA", "L", "LA", "La", "1")),
               "GRAY": ("L", ("L", "LA", "La", "1")), "CMYK": ("CMYK", ("CMYK",))}


#: a profile named sRGB is taken at its word while it maps every probe colour to within this many 8-bit levels of
#: itself: sRGB's approximations (a pure gamma 2.2 to 2.4 under its name: up to 13 levels off in the shadows) are
#: kept as stored, while a linear-light "sRGB" (GIMP's Linear sRGB, sRGB-elle-V4-g10: 73 levels off) is converted
SRGB_NAMED_LEVELS = 16
#: littleCMS's 8-bit transform resamples its pipeline into tables; where that is more than this many 8-bit levels off
#: the pipeline evaluated for each pixel (black-point compensation in it, a profile whose black is not zero: up to 13
#: levels for Display P3 colorants, 18 for Adobe RGB's), the exact one is used (a few times slower)
OPTIMISED_LEVELS = 1
#: littleCMS's cmsFLAGS_NOOPTIMIZE (Pillow's ImageCms.Flags.NOOPTIMIZE, where it has that enum)
_NOOPTIMIZE = 0x0100


@functools.lru_cache(maxsize=16)
def _srgb_transform(icc: bytes):
    """(littleCMS transform to sRGB or None, the profile's description, its colour space) for an ICC
    profile. None where the profile is sRGB: it maps a probe of colours (every grey level and an 18-level cube,
    colorimetrically) to within one 8-bit level of themselves, as sRGB's own profile does, or, where its
    description names sRGB, to within :data:`SRGB_NAMED_LEVELS`; pixels tagged so are read as stored. The transform
    is littleCMS's optimised one, or its pipeline evaluated for each pixel where the optimised tables are more than
    :data:`OPTIMISED_LEVELS` off that on the probe (black-point compensation of a raised black). A profile
    littleCMS cannot read or transform, or of a colour space other than RGB, grey or CMYK, is a ``ValueError``."""
    from PIL import ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        desc = " ".join((ImageCms.getProfileDescription(profile) or "").split()) or "no description"
    except (OSError, ImageCms.PyCMSError, TypeError, ValueError) as exc:
        raise ValueError(f"its colour profile cannot be read ({first_line(exc)})") from None
    space = profile.profile.xcolor_space.strip()
    if space not in _ICC_SPACES:
        raise ValueError(f"its colour profile ({desc}) is of the {space} colour space")
    in_mode = _ICC_SPACES[space][0]
    named = "srgb" in desc.lower()
    srgb = ImageCms.createProfile("sRGB")
    try:
        if in_mode != "CMYK":
            colorimetric = ImageCms.buildTransform(profile, srgb, in_mode, "RGB",
                                                   renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
            if _maps_to_itself(colorimetric, in_mode, SRGB_NAMED_LEVELS if named else 1):
                return None, desc, space
        transform = ImageCms.buildTransform(profile, srgb, in_mode, "RGB")
        exact = ImageCms.buildTransform(profile, srgb, in_mode, "RGB", flags=_NOOPTIMIZE)
        if _levels_apart(transform, exact, in_mode) > OPTIMISED_LEVELS:
            transform = exact
    except ImageCms.PyCMSError as exc:
        if named:  # as before: a profile called sRGB that littleCMS cannot apply leaves the pixels as stored
            return None, desc, space
        raise ValueError(f"its colour profile ({desc}) cannot be applied ({first_line(exc)})") from None
    return transform, desc, space


def _probe(in_mode: str) -> np.ndarray:
    """8-bit colours that transforms from ``in_mode`` are checked on: every grey level (L), and for RGB an 18-level
    colour cube besides, for CMYK a 6-level 4-D grid; (1, N, channels) uint8 ((1, N) for L)."""
    steps = np.arange(256, dtype=np.uint8)
    if in_mode == "L":
        return steps.reshape(1, -1)
    if in_mode == "CMYK":
        return np.stack(np.meshgrid(*[steps[::51]] * 4, indexing="ij"), -1).reshape(1, -1, 4)
    cube = np.stack(np.meshgrid(*[steps[::15]] * 3, indexing="ij"), -1).reshape(1, -1, 3)
    return np.concatenate([cube, np.repeat(steps.reshape(1, -1, 1), 3, -1)], 1)


def _apply(transform, probe: np.ndarray, in_mode: str) -> np.ndarray:
    from PIL import Image, ImageCms

    return np.asarray(ImageCms.applyTransform(Image.fromarray(probe, in_mode), transform), dtype=np.int16)


def _maps_to_itself(transform, in_mode: str, levels: int) -> bool:
    """Whether ``transform`` (from ``in_mode``, RGB or L, to sRGB) maps every grey level and an 18-level colour
    cube (:func:`_probe`) to within ``levels`` 8-bit levels of themselves."""
    probe = _probe(in_mode)
    want = np.repeat(probe[..., None], 3, -1) if in_mode == "L" else probe
    return bool(np.abs(_apply(transform, probe, in_mode) - want.astype(np.int16)).max() <= levels)


def _levels_apart(a, b, in_mode: str) -> int:
    """The most 8-bit levels two transforms from ``in_mode`` (RGB, L or CMYK) to sRGB differ by on :func:`_probe`."""
    probe = _probe(in_mode)
    return int(np.abs(_apply(a, probe, in_mode) - _apply(b, probe, in_mode)).max())


def _to_srgb(img, name: str, notes: dict | None):
    """``img`` (its EXIF orientation applied) with its ICC profile applied: an 8-bit image whose profile is not sRGB
    (Adobe RGB, Display P3, ProPhoto, a grey gamma, a CMYK press profile) → RGB in sRGB, as a colour-managed viewer
    shows it (``(name, profile)`` appended to ``notes["icc"]``); one without a profile or with an sRGB one is
    returned as it is, as is one whose profile cannot be read or does not fit its pixels, with ``(name, why)``
    appended to ``notes["icc-kept"]`` (logged at once without ``notes``). 16-bit and float pixels are converted by
    :func:`_float_to_srgb` instead."""
    from PIL import ImageCms

    def kept(why: str):
        _profile_kept(name, notes, why)
        return img

    if img.mode == "LAB":  # CIE L*a*b* pixels (a Lab TIFF, with the Lab profile) say their colours themselves: Pillow's
        return img  # convert to RGB is littleCMS's Lab → sRGB
    try:
        transform, desc, space = _srgb_transform(bytes(img.info["icc_profile"]))
    except ValueError as exc:
        return kept(str(exc))
    if transform is None:
        return img
    in_mode, modes = _ICC_SPACES[space]
    if img.mode not in modes:
        return kept(f"its profile ({desc}) is not applied to {img.mode} pixels")
    src = img if img.mode == in_mode else img.convert(in_mode)
    out = ImageCms.applyTransform(src, transform)
    if notes is not None:
        notes.setdefault("icc", []).append((name, desc))
    return out


def _profile_kept(name: str, notes: dict | None, why: str) -> None:
    """Say that ``name``'s colour profile is not applied, and ``why``: ``(name, why)`` appended to
    ``notes["icc-kept"]`` (the loader names them once per source), else logged at once."""
    if notes is not None:
        notes.setdefault("icc-kept", []).append((name, why))
    else:
        log.warning("%s: colour profile not applied, pixels read as stored (as if sRGB): %s", name, why)


def _float_to_srgb(pixels: torch.Tensor, icc: bytes, name: str, notes: dict | None,
                   grey: bool = False) -> torch.Tensor:
    """16-bit or float pixels, (3, H, W) float32 in [0, 1], tagged with the ICC profile ``icc`` → (3, H, W) float32
    in sRGB, at full precision (:mod:`benchmark.colour`; littleCMS through Pillow is 8-bit only). ``grey``: the
    pixels are a grey image's, replicated. Pixels whose profile is sRGB (:func:`_srgb_transform`'s test, as for
    8-bit files) are returned as they are; converted ones are named in ``notes["icc"]``. A profile that cannot be
    read, that does not fit the pixels (of another colour space: a grey profile on colour, a CMYK one on RGB), or
    that is not a matrix/TRC one (a LUT-based profile) leaves them as stored, said in one line naming the reason."""
    from benchmark.colour import icc_shaper

    try:
        transform, desc, space = _srgb_transform(bytes(icc))
        if transform is None:
            return pixels
        shaper = icc_shaper(bytes(icc))
    except ValueError as exc:
        _profile_kept(name, notes, str(exc))
        return pixels
    # a profile of another colour space than the pixels' (a CMYK press profile on RGB, a grey one on colour): not
    # applied, as an 8-bit file's is not (:func:`_to_srgb`), whatever its kind
    if space not in (("GRAY", "RGB") if grey else ("RGB",)):
        _profile_kept(name, notes, f"its profile ({desc}) is of the {space} colour space, not applied to "
                                   f"{'grey' if grey else 'RGB'} pixels")
        return pixels
    if shaper is None:
        _profile_kept(name, notes, f"its profile ({desc}) is not a matrix/TRC one (a LUT-based {space} profile), so "
                                   "not applied to 16-bit or float pixels (8-bit files' are)")
        return pixels
    out = shaper.to_srgb(pixels.permute(1, 2, 0).numpy())
    if notes is not None:
        notes.setdefault("icc", []).append((name, desc))
    return torch.from_numpy(out.astype(np.float32)).permute(2, 0, 1).contiguous()


#: a PNG whose gAMA is within this fraction of 1/2.2 (libpng's PNG_GAMMA_THRESHOLD) and whose cHRM, if any, is
#: within :data:`PNG_SRGB_CHROMATICITY` of sRGB's is sRGB as far as its chunks say: read as stored
PNG_GAMMA_THRESHOLD = 0.05
PNG_SRGB_CHROMATICITY = 0.01
_SRGB_CHRM = (0.3127, 0.3290, 0.64, 0.33, 0.30, 0.60, 0.15, 0.06)


def _png_encoding(info: dict):
    """(:class:`benchmark.colour.Shaper`, description) for a PNG that has no ``iCCP`` or ``sRGB`` chunk (those take
    precedence, as in viewers) but a ``gAMA`` (and maybe a ``cHRM``) other than sRGB's (a linear-light export,
    gAMA 1.0; an old Mac's 1/1.8), else None. PNG's gAMA is the encoding exponent: linear = value ** (1 / gAMA)."""
    from benchmark.colour import chromaticities_valid, png_shaper

    gamma, chrm = info.get("gamma"), info.get("chromaticity")
    if info.get("icc_profile") or "srgb" in info or not gamma or gamma <= 0:
        return None
    chrm = tuple(float(c) for c in chrm) if chrm and len(chrm) == 8 else None
    # a cHRM that describes no RGB space (every primary at the white, primaries on a line): ignored, as libpng
    # ignores it ("invalid chromaticities"), the gAMA still applied with sRGB's primaries
    invalid = chrm is not None and not chromaticities_valid((chrm[2:4], chrm[4:6], chrm[6:8]), chrm[:2])
    chrm = None if invalid else chrm
    srgb_chrm = chrm is None or max(abs(a - b) for a, b in zip(chrm, _SRGB_CHRM)) <= PNG_SRGB_CHROMATICITY
    if abs(gamma * 2.2 - 1) <= PNG_GAMMA_THRESHOLD and srgb_chrm:
        return None
    chunks = " + cHRM" if not srgb_chrm else " (cHRM invalid: ignored)" if invalid else ""
    return png_shaper(gamma, None if srgb_chrm else chrm), f"PNG gAMA {gamma:.5g}{chunks}"


#: EXIF ColorSpace (0xA001, in the Exif IFD 0x8769): 0xFFFF "uncalibrated"; the Interop IFD (0xA005) and its
#: InteroperabilityIndex (0x0001): DCF's "R03" is Adobe RGB, "R98" sRGB (JEITA CP-3461 DCF, its Adobe RGB option)
_EXIF_IFD, _EXIF_COLOR_SPACE, _INTEROP_IFD, _INTEROP_INDEX, _UNCALIBRATED = 0x8769, 0xA001, 0xA005, 0x0001, 0xFFFF


def _exif_encoding(info: dict):
    """(:class:`benchmark.colour.Shaper`, description) for a file with no ICC profile whose EXIF says Adobe RGB the
    DCF way (ColorSpace 0xFFFF "uncalibrated" and Interop index "R03": what DSLRs set to Adobe RGB write, with no
    profile), else None: an sRGB one (ColorSpace 1, "R98") or one that says nothing is read as stored."""
    from PIL import Image

    from benchmark.colour import adobe_rgb_shaper

    raw = info.get("exif")
    if info.get("icc_profile") or not raw or b"R03" not in raw:
        return None
    try:
        exif = Image.Exif()
        exif.load(raw)
        sub = exif.get_ifd(_EXIF_IFD)
        index = exif.get_ifd(_INTEROP_IFD).get(_INTEROP_INDEX)
    except Exception:  # noqa: BLE001 - damaged EXIF (Pillow raises many types): it says nothing
        return None
    index = index.decode("latin-1") if isinstance(index, bytes) else str(index or "")
    if sub.get(_EXIF_COLOR_SPACE) != _UNCALIBRATED or index.strip("\0 ") != "R03":
        return None
    return adobe_rgb_shaper(), "Adobe RGB (1998), by its EXIF (DCF R03, no ICC profile)"


def _colour_managed(pixels: torch.Tensor, info: dict, name: str, notes: dict | None,
                    grey: bool = False) -> torch.Tensor:
    """``pixels`` (3, H, W), uint8 or float32 in [0, 1], of an image whose ``info`` (Pillow's) says how it is encoded
    → in sRGB, same dtype: a 16-bit/float image's ICC profile by :func:`_float_to_srgb` (an 8-bit image's is
    littleCMS's, in :func:`_to_srgb`), else a PNG's gAMA/cHRM (:func:`_png_encoding`) or a camera's EXIF saying Adobe
    RGB (:func:`_exif_encoding`), named in ``notes["icc"]``.
    Pixels with neither, or with sRGB's, are returned as they are."""
    if info.get("icc_profile"):
        return _float_to_srgb(pixels, info["icc_profile"], name, notes, grey=grey) if pixels.is_floating_point() \
            else pixels
    png = _png_encoding(info) or _exif_encoding(info)
    if png is None:
        return pixels
    shaper, desc = png
    if notes is not None:
        notes.setdefault("icc", []).append((name, desc))
    else:
        log.warning("%s: %s (no ICC profile): converted to sRGB", name, desc)
    if pixels.dtype == torch.uint8:
        out = shaper.to_srgb(pixels.permute(1, 2, 0).numpy() / 255.0)
        return torch.from_numpy(np.round(out * 255).astype(np.uint8)).permute(2, 0, 1).contiguous()
    out = shaper.to_srgb(pixels.permute(1, 2, 0).numpy())
    return torch.from_numpy(out.astype(np.float32)).permute(2, 0, 1).contiguous()


def _tiff_main_page(img) -> tuple[int, int]:
    """(the page to read, the pages that count) of a TIFF opened by Pillow, left on that page: its first page, or,
    where that is a reduced-resolution preview (NewSubfileType bit 0: scanners' and some cameras' files), its first
    full-resolution page; previews are not counted as pages (wherever they are: a full page then its thumbnail is one
    page, as tifffile's reads count it)."""
    n = getattr(img, "n_frames", 1)
    if n < 2:
        return 0, n
    full = []
    for i in range(n):
        img.seek(i)
        if not img.tag_v2.get(254, 0) & 1:
            full.append(i)
    img.seek(full[0] if full else 0)
    return (full[0], len(full)) if full else (0, n)


def _is_16_bit_colour(img) -> bool:
    """Whether Pillow opened ``img`` (not yet loaded) as colour that it would read at 8 bits of 16: a PNG or
    TIFF stored as RGB or RGBA with 16 bits per sample (its raw mode ``RGB;16B``, ``RGBA;16L``, …), or a PNG
    of 16-bit grey with alpha (``LA;16B``, which Pillow opens as RGBA), or a colour PPM of more than 8 bits
    (maxval > 255: dcraw's ``-4`` output, 10/12-bit camera data), or a colour JPEG 2000 of more than 8 bits (a
    12-bit cinema frame: read on its own scale, value / 4095), which Pillow scales down to 8 bits, or a TIFF of
    16-bit CMYK (a prepress export)."""
    if img.format == "PPM" and img.mode == "RGB":
        return _ppm_maxval(img) > 255
    if img.format == "JPEG2000" and img.mode in ("RGB", "RGBA"):
        return _jpeg2000_bits(img) > 8
    if img.format not in ("PNG", "TIFF") or img.mode not in ("RGB", "RGBA", "CMYK" if img.format == "TIFF" else ""):
        return False
    if img.format == "TIFF":  # BitsPerSample: a planar file's tiles read one 8-bit plane each ("R")
        bits = img.tag_v2.get(258)
        return (max(bits) if isinstance(bits, tuple) and bits else bits) == 16
    return _raw_mode(img).startswith(("RGB;16", "RGBA;16", "LA;16"))


def _raw_mode(img) -> str:
    """The raw mode of a not yet loaded image's first tile (a PNG's ``RGB;16B``, ``LA;16B``, …), else ""."""
    if not getattr(img, "tile", None):
        return ""
    args = img.tile[0][3]
    raw = args if isinstance(args, str) else args[0] if isinstance(args, tuple) and args else ""
    return raw if isinstance(raw, str) else ""


def _jpeg2000_bits(img) -> int:
    """The most bits per sample of a not yet loaded JPEG 2000 image's components (Pillow reads colour of any depth
    at 8 bits): :func:`_jpeg2000_head_bits` of its codestream's start (:func:`_jpeg2000_codestream_head`)."""
    fp = getattr(img, "fp", None)
    if fp is None:
        return 8
    at = fp.tell()
    try:
        return _jpeg2000_head_bits(_jpeg2000_codestream_head(fp))
    finally:
        fp.seek(at)


def _jpeg2000_codestream_head(fp, size: int = 4096) -> bytes:
    """The first ``size`` bytes of a JPEG 2000 file's codestream (its SOC and SIZ markers): the file's start for a
    bare codestream (.j2k), else the start of its ``jp2c`` box, found by walking the JP2 boxes (an XMP/XML box, a
    UUID box or a large ICC profile before it can be kilobytes long); b"" where there is none. ``fp`` is left
    anywhere."""
    fp.seek(0)
    if fp.read(4) == b"\xff\x4f\xff\x51":
        fp.seek(0)
        return fp.read(size)
    at = 0
    for _ in range(256):  # boxes before the codestream: a handful in any real file
        fp.seek(at)
        head = fp.read(16)
        if len(head) < 8:
            return b""
        length, kind = struct.unpack_from(">I4s", head)
        body = at + 8
        if length == 1 and len(head) == 16:  # XLBox: a 64-bit length follows
            (length,), body = struct.unpack_from(">Q", head, 8), at + 16
        if kind == b"jp2c":
            fp.seek(body)
            return fp.read(size)
        if length < body - at:  # 0 (up to the end of the file) on another box, or damaged: no codestream after it
            return b""
        at += length
    return b""


def _jpeg2000_head_bits(head: bytes) -> int:
    """The most bits per sample of the components a JPEG 2000 codestream's SIZ marker lists in ``head`` (the
    codestream's first bytes), 8 where it is not there."""
    siz = head.find(b"\xff\x4f\xff\x51")  # SOC then SIZ: Lsiz Rsiz, 8 sizes, Csiz, then Ssiz XRsiz YRsiz per component
    if siz < 0 or len(head) < siz + 42:
        return 8
    (count,) = struct.unpack_from(">H", head, siz + 40)  # after the markers (4), Lsiz, Rsiz (4) and 8 sizes (32)
    sizes = head[siz + 42: siz + 42 + 3 * count: 3]
    return max(((b & 0x7F) + 1 for b in sizes), default=8)


def _ppm_maxval(img) -> int:
    """A PPM's maxval, as Pillow's decoder has it (its tile's arguments; 255 where it uses the plain raw one)."""
    args = img.tile[0][3] if getattr(img, "tile", None) else None
    return int(args[1]) if isinstance(args, tuple) and len(args) == 2 and isinstance(args[1], int) else 255


def _read_ppm(data: bytes | None, path) -> np.ndarray:
    """A colour PPM of maxval > 255 (binary P6: big-endian 16-bit samples; plain P3: decimal text) → (H, W, 3)
    float64 in [0, 1], value / maxval (as Pillow scales a grey one's), by its own header."""
    raw = data if data is not None else Path(path).read_bytes()
    head = re.match(rb"(P[36])((?:\s+|#[^\n]*\n)+)(\d+)((?:\s+|#[^\n]*\n)+)(\d+)((?:\s+|#[^\n]*\n)+)(\d+)\s", raw)
    if head is None:
        raise ValueError("a PPM header that is not 'P6|P3 width height maxval'")
    w, h, maxval = int(head[3]), int(head[5]), int(head[7])
    if raw[:2] == b"P6":
        arr = np.frombuffer(raw, dtype=">u2", count=h * w * 3, offset=head.end())
    else:  # P3: whitespace-separated numbers, comments (#…) allowed
        arr = np.array(re.sub(rb"#[^\n]*", b" ", raw[head.end():]).split()[: h * w * 3], dtype=np.int64)
        if arr.size < h * w * 3:
            raise ValueError(f"a plain PPM with {arr.size} of its {h * w * 3} samples")
    if arr.max(initial=0) > maxval:
        raise ValueError(f"PPM samples above its maxval {maxval}")
    return arr.reshape(h, w, 3).astype(np.float64) / maxval


#: EXIF orientation → the numpy operation on an (H, W, C) array that Pillow's exif_transpose does
_ORIENT = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
           5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1), 7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],
           8: lambda a: np.rot90(a, 1)}


def _read_16_bit_colour(img, data: bytes | None, path, orientation: int = 1, page: int = 0) -> torch.Tensor:
    """A 16-bit colour PNG (torchvision's decoder), TIFF (tifffile, else OpenCV's libtiff; CMYK: tifffile,
    :func:`_cmyk_tiff_16`) or JPEG 2000 (OpenCV; of
    9 to 16 bits: value / (2^bits − 1)) at full precision: (3, H, W) float32, value / 65535, as 16-bit greyscale
    (a PNG's grey + alpha: the grey replicated, as 16-bit greyscale is); alpha dropped, the EXIF ``orientation``
    (as Pillow read it off ``img``) applied as :func:`pil_to_tensor` applies it. Raises (``ValueError``,
    ``ImportError``, a decoder's error) where no decoder here gives 16 bits (a torchvision whose decode_png
    refuses 16-bit files, tifffile absent, a layout it does not read): the caller keeps Pillow's 8-bit read."""
    if img.format == "PPM":
        return torch.from_numpy(_read_ppm(data, path).astype(np.float32)).permute(2, 0, 1).contiguous()
    if img.format == "JPEG2000":
        raw = data if data is not None else Path(path).read_bytes()
        bits = _jpeg2000_head_bits(_jpeg2000_codestream_head(io.BytesIO(raw)))
        arr = _jpeg2000_by_opencv(raw, bits).astype(np.float64) / (2**bits - 1)
        return torch.from_numpy(arr.astype(np.float32)).permute(2, 0, 1).contiguous()
    if img.format == "PNG":
        raw = data if data is not None else Path(path).read_bytes()
        with warnings.catch_warnings():  # torchvision's notice that its image I/O is deprecated: not the file's
            warnings.simplefilter("ignore")
            from torchvision.io import ImageReadMode, decode_png

            t = decode_png(torch.frombuffer(bytearray(raw), dtype=torch.uint8), mode=ImageReadMode.UNCHANGED)
        if t.dtype != torch.uint16 or t.shape[0] not in (2, 3, 4):
            raise ValueError(f"torchvision's decode_png gave {plural(t.shape[0], 'channel')} of {t.dtype}, not 16 bits")
        arr = (t if t.shape[0] > 2 else t[:1].expand(3, -1, -1)).permute(1, 2, 0).numpy()
    elif img.mode == "CMYK":
        arr = _cmyk_tiff_16(img, data, path, page)
    else:
        try:
            arr = _tiff_by_tifffile(data, path, page)
        except Exception as exc:  # noqa: BLE001 - a codec tifffile has only with imagecodecs (LZW, …): OpenCV's
            if page:  # OpenCV reads the first page, here a preview: Pillow's 8-bit read of the right one is kept
                raise
            arr, orientation = _tiff_by_opencv(data, path, exc), 1  # turned by OpenCV already
    arr = arr[..., :3]
    turn = _ORIENT.get(orientation)
    if turn is not None:
        arr = turn(arr)
    return torch.from_numpy((arr.astype(np.float64) / 65535.0).astype(np.float32)).permute(2, 0, 1).contiguous()


def _cmyk_tiff_16(img, data: bytes | None, path, page: int = 0) -> np.ndarray:
    """Page ``page`` of a 16-bit CMYK TIFF with no ICC profile → (H, W, 3) float64 RGB on the 16-bit scale, converted
    as Pillow converts an 8-bit CMYK TIFF (stored not inverted, 0 = no ink): R = (1 − C)(1 − K), G = (1 − M)(1 − K),
    B = (1 − Y)(1 − K). One with a CMYK profile is a ``ValueError`` (littleCMS, which applies it, takes 8 bits here),
    as is one tifffile does not read (LZW without imagecodecs, extra channels): the caller keeps Pillow's 8-bit read
    and names the file."""
    if img.info.get("icc_profile"):
        raise ValueError("its CMYK profile is applied by littleCMS, at 8 bits")
    arr = _tiff_by_tifffile(data, path, page)
    if arr.shape[-1] != 4:
        raise ValueError(f"tifffile read {arr.shape[-1]} channels of a CMYK TIFF, not 4")
    cmyk = arr.astype(np.float64)
    return (65535.0 - cmyk[..., :3]) * (65535.0 - cmyk[..., 3:]) / 65535.0


def _jpeg2000_by_opencv(raw: bytes, bits: int) -> np.ndarray:
    """A colour JPEG 2000 of 9 to 16 bits per sample → (H, W, 3) uint16 RGB on its own scale, 0 .. 2^bits − 1 (the
    caller divides by that: a 12-bit cinema frame by 4095), by OpenCV's OpenJPEG (installed with pyiqa). Values above
    that scale, or what is not 16-bit colour, are a ``ValueError``: the caller keeps Pillow's 8-bit read and names
    the file."""
    import cv2

    if not 8 < bits <= 16:
        raise ValueError(f"a {bits}-bit JPEG 2000: only up to 16 bits are read at their precision")
    arr = cv2.imdecode(np.frombuffer(raw, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None or arr.dtype != np.uint16 or arr.ndim != 3 or arr.shape[-1] not in (3, 4):
        got = "nothing" if arr is None else f"{arr.dtype} {tuple(arr.shape)}"
        raise ValueError(f"OpenCV read {got}, not 16-bit colour")
    if arr.max(initial=0) > 2**bits - 1:
        raise ValueError(f"OpenCV read values up to {arr.max()} from a {bits}-bit JPEG 2000")
    return arr[..., [2, 1, 0]]  # BGR(A) → RGB, alpha dropped


def _read_colour_pfm(raw: bytes) -> torch.Tensor:
    """A colour Portable Float Map ('PF', width height, scale: negative for little-endian; float32 RGB rows from the
    bottom up: renderers' and Monte-Carlo denoisers' output) → (3, H, W) float32, top row first, which must be
    finite and in [0, 1] as any float image (:func:`_array_to_tensor`), else a ``ValueError`` saying so."""
    head = re.match(rb"PF\s+(\d+)\s+(\d+)\s+([-+0-9.eE]+)\s", raw)
    if head is None:
        raise ValueError("a colour PFM whose header is not 'PF width height scale'")
    w, h, scale = int(head[1]), int(head[2]), float(head[3])
    if len(raw) - head.end() < w * h * 12:
        raise ValueError(f"a colour PFM of {w}×{h} with {(len(raw) - head.end()) // 12} of its {w * h} pixels")
    arr = np.frombuffer(raw, dtype="<f4" if scale < 0 else ">f4", count=w * h * 3, offset=head.end())
    return _array_to_tensor(arr.reshape(h, w, 3)[::-1].astype(np.float32))


def _tiff_by_tifffile(data: bytes | None, path, page: int = 0) -> np.ndarray:
    """Page ``page`` (:func:`_tiff_main_page`) of a 16-bit colour TIFF as (H, W, 3 or 4) uint16, by tifffile (its
    codecs: none, deflate, …; LZW and others need the ``imagecodecs`` package, which plbench does not install)."""
    import tifffile

    with tifffile.TiffFile(io.BytesIO(data) if data is not None else path) as tif:
        arr, axes = tif.pages[page].asarray(), tif.pages[page].axes
    if axes.startswith("S"):  # planar: one plane per channel
        arr, axes = np.moveaxis(arr, 0, -1), axes[1:] + "S"
    if arr.dtype != np.uint16 or axes != "YXS" or arr.shape[-1] not in (3, 4):
        raise ValueError(f"tifffile read {arr.dtype} {axes} {tuple(arr.shape)}, not 16-bit colour")
    return arr


def _tiff_by_opencv(data: bytes | None, path, tifffile_error: Exception) -> np.ndarray:
    """The first page of a 16-bit colour TIFF as (H, W, 3 or 4) uint16 RGB(A), by OpenCV's libtiff (installed
    with pyiqa), which decodes LZW and the other codecs libtiff has; turned by the file's orientation tag as
    Pillow turns it (OpenCV applies a TIFF's tag itself, even reading it unchanged). A ``ValueError`` naming
    both decoders' outcomes where neither gives 16-bit colour."""
    import cv2

    raw = data if data is not None else Path(path).read_bytes()
    arr = cv2.imdecode(np.frombuffer(raw, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None or arr.dtype != np.uint16 or arr.ndim != 3 or arr.shape[-1] not in (3, 4):
        got = "nothing" if arr is None else f"{arr.dtype} {tuple(arr.shape)}"
        raise ValueError(f"tifffile: {tifffile_error}; OpenCV read {got}, not 16-bit colour")
    return arr[..., [2, 1, 0, 3][: arr.shape[-1]]]  # BGR(A) → RGB(A)


def _tiff_pillow_cannot_open(data: bytes | None, path, name: str, notes: dict | None) -> torch.Tensor:
    """A TIFF Pillow cannot open, by tifffile: its first page, grey or RGB with or without alpha (dropped), 8-bit
    → (3, H, W) uint8, 16-bit → float32 value / 65535 and float (16/32/64-bit) → float32, which must be finite and
    in [0, 1] (as Pillow's float greyscale), its orientation tag applied; transparency and several pages noted as
    :func:`decode_image` notes them; a colour profile applied as to any file (:func:`_to_srgb` for 8-bit pixels,
    :func:`_float_to_srgb` for the others).
    Any other layout (CMYK, YCbCr, a palette, many channels, another sample type) is a ``ValueError`` saying
    what the file holds and what is read."""
    import tifffile

    try:
        with tifffile.TiffFile(io.BytesIO(data) if data is not None else path) as tif:
            if not len(tif.pages):
                raise ValueError("no image in it")
            full = [p for p in tif.pages if not getattr(p, "subfiletype", 0) & 1]  # previews left out
            page, pages = (full or list(tif.pages[:1]))[0], max(len(full), 1)
            arr, axes, photometric = page.asarray(), page.axes, page.photometric
            tags = {t.code: t.value for t in page.tags}
            bits = page.bitspersample
    except Exception as exc:  # noqa: BLE001 - tifffile raises many types for a damaged file
        raise ValueError(_undecodable(b"II*\x00") + f" (nor tifffile: {first_line(exc)})") from None
    if axes.startswith("S") and arr.ndim == 3:  # planar: one plane per channel
        arr, axes = np.moveaxis(arr, 0, -1), axes[1:] + "S"
    if axes == "YX":
        arr = arr[..., None]
    what = f"{arr.dtype} samples, {arr.shape[-1] if arr.ndim == 3 else '?'} per pixel, {photometric.name}"
    if (arr.ndim != 3 or (axes not in ("YX", "YXS")) or arr.dtype.kind not in "uf"
            or (arr.dtype.kind == "u" and arr.itemsize > 2)
            or not ((photometric.name in ("MINISBLACK", "MINISWHITE") and arr.shape[-1] in (1, 2))
                    or (photometric.name == "RGB" and arr.shape[-1] in (3, 4)))):
        raise ValueError(f"a TIFF of {what}: not read (grey or RGB, with or without alpha, of 8- or 16-bit integers "
                         "or floats in [0, 1] are): save it as 8- or 16-bit grey or RGB")
    colour = 3 if photometric.name == "RGB" else 1
    # the integers' own scale: a 10/12-bit TIFF (a scientific camera's; tifffile unpacks it, with imagecodecs, into
    # uint16 of 0 .. 4095) is read as value / 4095, not on the 16-bit container's scale
    top = (2**bits - 1 if arr.dtype == np.uint16 and 8 < bits < 16 else np.iinfo(arr.dtype).max) \
        if arr.dtype.kind == "u" else 1.0
    if arr.shape[-1] > colour and notes is not None:
        alpha = arr[..., colour]
        if alpha.min() < top:
            notes.setdefault("transparent", []).append(name)
    if pages > 1 and notes is not None:
        notes.setdefault("frames", []).append((name, pages))
    arr = arr[..., :colour]
    turn = _ORIENT.get(int(tags.get(274, 1)))
    if turn is not None:
        arr = turn(arr)
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float32)
        if not np.isfinite(arr).all():
            raise ValueError(f"{int((~np.isfinite(arr)).sum())} non-finite (NaN/inf) pixels")
        if arr.size and (arr.min() < 0 or arr.max() > 1):
            raise ValueError(_outside_0_1(arr))
        if photometric.name == "MINISWHITE":  # WhiteIsZero: 0 is white
            arr = 1 - arr
    else:
        if arr.max(initial=0) > top:
            raise ValueError(f"a {bits}-bit TIFF with values up to {arr.max()}")
        if photometric.name == "MINISWHITE":
            arr = top - arr
        if arr.dtype == np.uint16:
            arr = (arr.astype(np.float64) / top).astype(np.float32)
    icc = bytes(tags[34675]) if 34675 in tags else None  # an ICC profile: applied as to files Pillow reads
    if arr.dtype == np.uint8 and icc:  # 8-bit: by littleCMS, as Pillow's 8-bit files are
        from PIL import Image

        img = Image.fromarray(np.ascontiguousarray(arr[..., 0] if colour == 1 else arr))
        img.info["icc_profile"] = icc
        srgb = np.asarray(_to_srgb(img, name, notes).convert("RGB"), dtype=np.uint8)
        return torch.from_numpy(srgb.copy()).permute(2, 0, 1).contiguous()
    t = torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1)
    t = t.expand(3, -1, -1).contiguous() if colour == 1 else t.contiguous()
    return _float_to_srgb(t, icc, name, notes, grey=colour == 1) if icc and t.is_floating_point() else t


#: the value types of a pixel-array column that are read, each on its scale: uint8 0..255, uint16 0..65535, floats
#: in [0, 1] (as 16-bit and float image files are)
PIXEL_DTYPES = ("uint8", "uint16", "float16", "float32", "float64")


def _outside_0_1(arr: np.ndarray) -> str:
    """Why float pixels outside [0, 1] (HDR radiance, a simulation's units) are not read, and what to do."""
    low, high = arr.min(), arr.max()
    # the 8-bit scale: 0..255 with a brightest pixel above 2 (a [0, 1] image resampled overshoots 1 a little, an HDR
    # highlight may reach 1.5; an 8-bit image whose brightest pixel is at most 2 of 255 is black)
    eight_bit = " (on the 8-bit scale, 0..255: divide by 255, or store uint8)" if 0 <= low and 2 < high <= 255 else ""
    return (f"float pixels outside [0, 1] (min {low:.4g}, max {high:.4g}): tone-map or scale it into "
            f"[0, 1]{eight_bit} (floats are read as they are, never clipped)")


def _array_to_tensor(arr: np.ndarray, name: str = "image", notes: dict | None = None) -> torch.Tensor:
    """A pixel array → (3, H, W): uint8 as :func:`pil_to_tensor` reads the same image; uint16 → float32 value / 65535
    and floats → float32 (finite, in [0, 1], else a ``ValueError``), as 16-bit and float files are read. H×W
    (grey), H×W×C or C×H×W with C = 1 (grey), 3 (RGB) or 4 (RGBA: alpha dropped; where it is not opaque everywhere,
    ``name`` appended to ``notes["transparent"]``, as :func:`decode_image` does for a file); any other shape or value
    type is a ``ValueError``."""
    from PIL import Image

    if arr.dtype.name not in PIXEL_DTYPES:
        raise ValueError(f"an array of {arr.dtype} is not read (pixel arrays: {', '.join(PIXEL_DTYPES)})")
    if arr.ndim == 3 and arr.shape[-1] not in (1, 3, 4) and arr.shape[0] in (1, 3, 4):
        arr = arr.transpose(1, 2, 0)  # channels first (torch's layout)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[-1] in (3, 4))):
        raise ValueError(f"an array of shape {tuple(arr.shape)} is not an image (H×W, H×W×C or C×H×W, C = 1, 3 or 4)")
    opaque = {"uint8": 255, "uint16": 65535}.get(arr.dtype.name, 1.0)
    if notes is not None and arr.ndim == 3 and arr.shape[-1] == 4 and arr.size and arr[..., 3].min() < opaque:
        notes.setdefault("transparent", []).append(name)
    if arr.dtype == np.uint8:
        return pil_to_tensor(Image.fromarray(np.ascontiguousarray(arr)))
    arr = arr[..., :3] if arr.ndim == 3 else np.repeat(arr[..., None], 3, -1)
    if arr.dtype == np.uint16:
        arr = (arr.astype(np.float64) / 65535.0).astype(np.float32)
    else:
        arr = arr.astype(np.float32)
        if not np.isfinite(arr).all():
            raise ValueError(f"{int((~np.isfinite(arr)).sum())} non-finite (NaN/inf) pixels")
        if arr.size and (arr.min() < 0 or arr.max() > 1):
            raise ValueError(_outside_0_1(arr))
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1).contiguous()


def _transparent(img) -> bool:
    """Whether ``img`` has a pixel that is not fully opaque (an alpha channel or a palette's transparency)."""
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA") if img.mode in ("P", "PA") else img
        alpha = rgba.getchannel(rgba.getbands()[-1])  # "A", or "a" where the colours are premultiplied (RGBa)
        return alpha.getextrema()[0] < 255
    return False


#: the first bytes of image formats, to say what a file Pillow cannot open is
_MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"II*\x00": "TIFF", b"MM\x00*": "TIFF", b"GIF8": "GIF",
          b"BM": "BMP", b"RIFF": "RIFF (WebP)", b"PF\n": "PFM"}


def _undecodable(head: bytes) -> str:
    """Why Pillow could not open a file that starts with ``head`` (its first 64 bytes): a damaged or unsupported file
    of an image format, a Git LFS pointer (:data:`GIT_LFS_POINTER`), or no image at all."""
    kind = next((k for magic, k in _MAGIC.items() if head.startswith(magic)), None)
    if head.startswith(GIT_LFS_POINTER):  # a repository cloned without git-lfs: the image was never downloaded
        return _LFS_WHY.format("image")
    if kind is None and head[4:8] == b"ftyp":  # ISO media: HEIC/HEIF (phones), AVIF, or a video (mp4, mov)
        brand = head[8:12].decode("latin-1").strip()
        if brand in ("heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"):
            return f"a HEIC/HEIF photo (brand {brand!r}), {_heif_why()}"
        if brand in ("avif", "avis"):
            return "an AVIF file Pillow cannot decode: damaged, or an encoding it does not read"
        return f"not an image file (an ISO media file of brand {brand!r}: a video?)"
    if kind is None:
        return "not an image file (no image format's signature)"
    return f"a {kind} file Pillow cannot decode: damaged, or an encoding it does not read"


def find_file(path: str, base: Path | None = None) -> Path:
    """A file path from an image column: absolute as it is; relative, in ``base`` (the saved
    dataset's folder) if it is there, else in the cwd. None there is a ``FileNotFoundError`` naming
    the places looked in, or the link there that leads to no file (:func:`_broken_link`). A path not there as
    written is looked for with its accents composed otherwise (:func:`on_disk`: a folder copied from a Mac names
    ``café.png`` decomposed, a table written elsewhere composed). One written on Windows from its drive or share
    (``C:\\photos\\a.png``), not found, is said to be one. ``~`` is expanded, and so are ``$VAR`` and ``${VAR}``
    (a list written for a shell, as the CLI's own paths are typed: ``$DATA/photos/a.png``) where the path is not a
    file's name as written (``$1.png``); a variable that is not set is named so."""
    try:
        return _find_file(path, base)
    except FileNotFoundError:
        if "$" not in path:
            raise
        if unset := _unset_variables(path):
            raise FileNotFoundError(f"no such file: {path} (${unset[0]} is not set in the environment: set it, or "
                                    "write the path out)") from None
        return _find_file(os.path.expandvars(path), base)


def _find_file(path: str, base: Path | None = None) -> Path:
    """:func:`find_file`'s look-up of ``path`` as written (``~`` expanded; ``~name`` of a user this machine has not,
    left as written, as a shell leaves it: not found, said so)."""
    p = Path(os.path.expanduser(path))  # pathlib's expanduser raises RuntimeError for such a ~name
    if p.is_absolute():
        if (found := on_disk(p)) is None:
            raise FileNotFoundError(_broken_link(p) or f"no such file: {p}")
        return found
    places = ([base] if base is not None else []) + [Path.cwd()]
    for place in places:
        if (found := on_disk(place / p)) is not None:
            return found
    if broken := next((b for place in places if (b := _broken_link(place / p))), None):  # there, leading nowhere
        raise FileNotFoundError(broken)
    if os.sep == "/" and windows_absolute(path):  # C:\photos\a.png, \\nas\share\a.png: a table made on Windows
        raise FileNotFoundError(f"no such file: {path} (a Windows path: write the table's paths relative to its "
                                "folder)")
    if missing := unknown_home(path):
        user, own = missing
        raise FileNotFoundError(f"no such file: {path} (no user {user!r} on this machine for ~{user}; one in your "
                                f"own home is {own})")
    raise FileNotFoundError(f"no such file: {path} (looked in {' and '.join(map(str, places))})")


def on_disk(path: str | Path) -> Path | None:
    """``path`` (``~`` expanded) as it is on disk, or None where it is not there: each of its parts not there as
    written looked for with its accents composed otherwise (Unicode's NFC and NFD forms: a folder copied from a Mac
    names ``Vacances été`` decomposed, a name typed or written on Linux or Windows composed; each part on its own, as a
    Mac's folder copied into one named on Linux mixes both). Of two files named in both forms, the one as written."""
    p = Path(path).expanduser()
    if p.exists():
        return p
    found = Path(p.anchor)
    for part in p.parts[1:] if p.anchor else p.parts:
        forms = dict.fromkeys((part, unicodedata.normalize("NFC", part), unicodedata.normalize("NFD", part)))
        if (found := next((found / f for f in forms if (found / f).exists()), None)) is None:
            return None
    return found


def file_url_path(text: str) -> str | None:
    """The local path a ``file:`` URL names (``file:///data/my%20photos/a.png``, as ``Path.as_uri()``, a photo
    manager's or a labelling tool's export writes it → ``/data/my photos/a.png``), a ``#fragment`` kept as written
    (a source's ``#COLUMN``); None for any other text, and for a file on another host (:func:`file_url_host`)."""
    from urllib.parse import unquote, urlparse

    if text[:5].lower() != "file:" or file_url_host(text):
        return None
    url = urlparse(text)
    return unquote(url.path) + (f"#{url.fragment}" if url.fragment else "") if url.path else None


def file_url_host(text: str) -> str | None:
    """The machine a ``file:`` URL names a file on, where it is another one (``file://nas/share/a.png`` → ``nas``),
    else None (no host, ``localhost``, or no file URL)."""
    from urllib.parse import urlparse

    if text[:5].lower() != "file:":
        return None
    return host if (host := urlparse(text).netloc) not in ("", "localhost") else None


def _other_host(host: str) -> str:
    """Why a file URL on machine ``host`` is not read (:func:`file_url_host`), in one line."""
    return (f"a file on another machine ({host}): only this machine's files are read (mount its share and give the "
            "local path)")


def _written_on_windows(path: str) -> bool:
    """Is ``path`` a relative path as written on Windows, read on POSIX: a backslash in it, no drive or root
    (:func:`_windows_relative` finds its file, :func:`windows_relative` gives its id)."""
    return os.sep == "/" and "\\" in path and not PureWindowsPath(path).anchor \
        and not Path(path).expanduser().is_absolute()


def _windows_relative(path: str, base: Path | None = None) -> str:
    """A cell's relative path written on Windows (``photos\\trip\\b.png``: a CSV from pandas or Excel there) with its
    backslashes read as folder separators where it is not found as written but is so (:func:`find_file`'s places);
    else ``path`` unchanged (a POSIX file name may hold a backslash)."""
    if not _written_on_windows(path):
        return path
    places = ([base] if base is not None else []) + [Path.cwd()]
    if any((place / path).exists() for place in places):
        return path
    posix = "/".join(PureWindowsPath(path).parts)
    return posix if any((place / posix).exists() for place in places) else path


def windows_relative(path: str, base: Path | None = None) -> str | None:
    """A relative path written on Windows (``photos\\trip\\a.png``: backslashes, ``/`` too or not — Python there joins
    ``data/photos`` and ``a.png`` as ``data/photos\\a.png`` —, no drive, an image file's suffix) in ``/`` form
    (``photos/trip/a.png``), as an image's id reads it (:func:`_decoded`: an image stored with its
    bytes under that name, an id column of such paths): each backslash a slash and nothing else (``.\\a.png`` is
    ``./a.png``, as that text's id, not ``a.png``); None for any other text, and for a file of that very name on disk
    (:func:`find_file`'s places: on POSIX a backslash may be part of a file's name)."""
    if not _written_on_windows(path) or PureWindowsPath(path).suffix.lower() not in image_extensions():
        return None
    places = ([base] if base is not None else []) + [Path.cwd()]
    return None if any(on_disk(place / path) is not None for place in places) else path.replace("\\", "/")


def _what(value) -> str:
    """A few words for what a cell holds (an error message's)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return f"an array ({type(value).__name__})"
    return f"a {type(value).__name__} ({str(value)[:40]!r})"


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


def _cached_hub_ids(datasets_cache: str) -> list[str]:
    """The hub dataset ids this machine holds: ``owner/name`` of the hub cache's ``datasets--owner--name`` folders
    and of ``datasets``' prepared ``owner___name`` ones (its cache, ``datasets_cache``); none where neither lists."""
    from huggingface_hub import constants

    ids = []
    for folder, pattern in ((constants.HF_HUB_CACHE, r"datasets--([^-].*?)--(.+)"), (datasets_cache, r"(.+?)___(.+)")):
        with contextlib.suppress(OSError):
            ids += [f"{m.group(1)}/{m.group(2)}" for e in os.listdir(folder) if (m := re.fullmatch(pattern, e))]
    return sorted(set(ids))


def _no_such_split_or_config(exc: Exception) -> bool:
    """Whether ``exc`` is datasets' answer to a split or config the dataset does not have, naming those it has: read
    from the cache ('Unknown split', 'Available configs'), or from the hub ('Bad split: … Available splits', a stream's
    or a builder's; 'BuilderConfig … not found. Available', 'pick one among the available configs')."""
    text = " ".join(str(exc).split())
    return isinstance(exc, ValueError) and any(s in text for s in (
        "Unknown split", "Available configs", "Bad split", "available configs", "BuilderConfig"))


def check_embedded_split(spec: DataSpec) -> None:
    """An embedded source's split (``skimage:trian``): one line, said as the grid is planned (before ``run`` looks at
    ``--out``), not once the data is read. Any other source: nothing checked here."""
    if spec.kind == "embedded" and spec.split and spec.split != "all" \
            and spec.split not in set(EMBEDDED[spec.source].values()):  # its images' splits, none decoded
        raise UserError(f"embedded dataset {spec.source!r} has splits train, test, all; got {spec.split!r}"
                        + did_you_mean(spec.split, ("train", "test", "all")))


def check_source_as_written(spec: DataSpec) -> None:
    """What a source's name alone refuses, no image read (said as the grid is planned, before ``run`` looks at
    ``--out``, and before any source is decoded): an embedded source's split (``skimage:trian``), a path that is not
    there (``/data/photoz``, ``./x``: :attr:`DataSpec.kind` ``missing-path``), a file that is no source
    (``notes.pdf``, an archive: ``file``) and, offline, a hub id no cache holds (``nonexist``) — each by the rule
    :func:`load_raw` refuses it by, in its words. What needs a source read (or the hub asked) is
    :func:`check_source_readable`'s."""
    kind = spec.kind
    if kind == "embedded":
        check_embedded_split(spec)
    elif kind == "missing-path":
        raise _missing_path_error(spec)
    elif kind == "file":
        raise _file_error(spec)
    elif _offline_and_not_cached(spec):
        load_raw(spec)  # refuses it, nothing downloaded or decoded (one cached where not looked for: read, left)


def check_source_readable(spec: DataSpec, asked: dict[tuple, tuple[str, ...] | bool | None] | None = None
                          ) -> None:
    """What reading a source, its images not decoded, refuses (said once ``run`` has looked at ``--out``, before any
    source is decoded: a test source's slip was said after the training images were decoded, minutes): online, a hub
    id no cache holds that the hub does not hold, or cannot be reached for, or a split or (its card says) a column it
    lacks (:func:`_check_on_hub`);
    a hub id the cache holds, read from there (its split, its column); a table of images that cannot be read (a row of
    a cell too many, two Markdown tables of images; a parquet or arrow one off its first rows, :func:`_table_head`); a
    saved dataset's, an image folder's or a local copy of hub files' (its first rows streamed) split (``:tset``) or
    column (``#imag``) not there — each by the rule :func:`load_raw` refuses it by, in its words; their warnings said
    once, at their load. ``asked``: what the hub was already asked in this planning (one per planning, filled by
    :func:`_check_on_hub`), so that one id used as training and test data, or in several splits, is asked once."""
    kind = spec.kind
    # the hub asked by us, not by datasets: PLBENCH_OFFLINE (no network access of this package's) also forbids it
    if kind == "hub" and not _hub_offline() and "PLBENCH_OFFLINE" not in offline_switches() and _not_cached(spec):
        _check_on_hub(spec, asked)
    elif kind == "hub" and hub_data_file(spec.source) is None and not _not_cached(spec):
        # its cached copy, memory-mapped: its split and column; a capped one's first rows streamed online, as its load
        # streams them (the cache may hold its card alone, which a streamed load or _hub_splits left: not read whole)
        with _quiet_datasets(), _no_card_warning(__name__):
            _prepared(spec, load_raw(spec, rows=None if spec.max_images is None else GUESS_ROWS))
    elif kind == "files":  # its split, off its files' names, then its column off its first rows, streamed
        with _quiet_datasets(), _no_card_warning(__name__):
            _prepared(spec, load_raw(spec, rows=GUESS_ROWS))
    elif kind == "table" and Path(spec.source).suffix.lower() in (".parquet", ".arrow"):
        # its first rows alone (its schema's features): not its whole data copied into the datasets cache
        _no_revision(spec, f"the table {spec.source}")
        if spec.split:
            load_raw(spec)  # refuses it, nothing read
        with _quiet_datasets(), _no_card_warning(__name__):
            _prepared(spec, _table_head(Path(spec.source).expanduser()))
    elif kind in ("table", "saved", "folder"):
        with _quiet_datasets(), _no_card_warning(__name__):
            _prepared(spec, load_raw(spec))


def _file_error(spec: DataSpec) -> UserError:
    """One line for a source that is an existing file but no table of images (:attr:`DataSpec.kind` ``file``)."""
    if spec.source.lower().endswith(_ARCHIVES):
        return UserError(f"{spec.source} is an archive: unpack it (e.g. unzip / tar -xf) and pass the folder of "
                         "images it holds")
    path = Path(spec.source).expanduser()
    if path.suffix.lower() in image_extensions():  # one photo: its folder, or a list of the photos meant
        return UserError(f"{spec.source} is a file, not a dataset: pass its folder ({path.resolve().parent}) or a "
                         ".txt file listing the images to use, one path a line")
    # a list kept in a spreadsheet
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".fods", ".numbers"):
        return UserError(f"{spec.source} is a spreadsheet workbook, which is not read: save its sheet as CSV (in "
                         f"Excel: Save As → CSV UTF-8) and pass {path.with_suffix('.csv')}")
    lacks = ": it holds no Markdown table (a header row over a '--- | ---' rule in its first 1000 lines);" \
        if path.suffix.lower() == ".md" else ":"
    return UserError(f"{spec.source} is a file, not a dataset{lacks} a source is an image folder, a table of image "
                     "paths (.txt, .csv, .jsonl, .parquet, .md holding a pipe table), a saved dataset (a folder "
                     "written by save_to_disk) or a hub id")


def checked_before_its_load(spec: DataSpec) -> bool:
    """Whether the first training source, whose own load comes next (so a local one is not read twice), is still
    checked by :func:`check_source_readable` first: a hub id no cache holds, whose load online downloads and prepares
    the whole dataset before it meets a split it lacks (a cached one's load reads its cache, and says it at once)."""
    return spec.kind == "hub" and _not_cached(spec)


def _offline_and_not_cached(spec: DataSpec) -> bool:
    """Whether ``spec`` is a hub id (no data file of it named) that, offline, neither the hub cache
    (``datasets--owner--name``) nor ``datasets``' (``owner___name``, the name as it writes it) holds: one
    :func:`load_raw` refuses without reading anything. A folder of either name: False (let it load)."""
    if spec.kind != "hub" or hub_data_file(spec.source) is not None or not _hub_offline():
        return False
    return _not_cached(spec)


def _hub_offline() -> bool:
    """Whether the hub is switched off (``HF_HUB_OFFLINE``, or ``HF_DATASETS_OFFLINE``, datasets' own switch)."""
    import datasets
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE or datasets.config.HF_HUB_OFFLINE)


def _not_cached(spec: DataSpec) -> bool:
    """Whether neither the hub cache (``datasets--owner--name``, a data file of it: :func:`_hub_files_cached`) nor
    ``datasets``' (``owner___name``) holds the hub id ``spec`` (:attr:`DataSpec.kind` ``hub``)."""
    import datasets
    from datasets.naming import camelcase_to_snakecase
    from huggingface_hub import constants

    parts = without_hub_slash(spec.source).split("/")[:2]
    snake = camelcase_to_snakecase(parts[-1])
    cache = os.environ.get("HF_DATASETS_CACHE") or str(datasets.config.HF_DATASETS_CACHE)
    there = [Path(cache) / "___".join([*parts[:-1], name]) for name in dict.fromkeys((parts[-1], snake))]
    return not any(p.exists() for p in there) and not _hub_files_cached(
        Path(constants.HF_HUB_CACHE) / ("datasets--" + "--".join(parts)))


#: what the hub cache holds of a dataset no data file of which was downloaded: its card (and a standalone YAML, its
#: infos), which a streamed load or the early check's split listing (:func:`_hub_splits`) downloads
_HUB_CARD_FILES = frozenset({"README.md", ".gitattributes", ".huggingface.yaml", "dataset_infos.json"})


def _hub_files_cached(repo: Path) -> bool:
    """Whether the hub cache's folder ``repo`` (``datasets--owner--name``) holds a file of the dataset beyond its card
    (:data:`_HUB_CARD_FILES`): a folder with the card alone is no cached copy (its load downloads the whole dataset),
    so its id is still asked of the hub, its split too. Stops at the first such file."""
    for _, _, files in os.walk(repo / "snapshots"):
        if any(f not in _HUB_CARD_FILES for f in files):
            return True
    return False


# the early hub check's deadline on its whole request (seconds): huggingface_hub's ETag timeout (10 s) bounds a read,
# not a hang in name resolution or connect on a broken network (no HF_HUB_OFFLINE set); twice it
HUB_CHECK_S = 20.0


class _HubSilent(TimeoutError):
    """The hub did not answer the early check (:func:`_check_on_hub`) within :data:`HUB_CHECK_S`."""

    def __init__(self, seconds: float):
        super().__init__(f"the hub did not answer in {seconds:g} s")
        self.seconds = seconds


#: hub ids (and their splits) asked at once while a grid is planned (:func:`ask_hub_ahead`)
HUB_ASK_THREADS = 8


def _hub_questions(spec: DataSpec) -> tuple[tuple, tuple | None, str, str | None]:
    """The keys :func:`_check_on_hub` keeps ``spec``'s answers under in ``asked`` — (hub id lower-cased, revision),
    and (…, config) of its splits (None where its splits are not asked: ``:all`` of no config, a data file named) —
    with its repo (``owner/name``) and config."""
    parts = without_hub_slash(spec.source).split("/")
    repo, config = "/".join(parts[:2]), ("/".join(parts[2:]) or None)
    every = (spec.split or "").strip() == "all"  # datasets' every split: none to check; listed for a config alone
    splits = (repo.lower(), spec.revision, config) \
        if (not every or config is not None) and hub_data_file(spec.source) is None else None
    return (repo.lower(), spec.revision), splits, repo, config


def _asks_the_hub(spec: DataSpec) -> bool:
    """Whether :func:`check_source_readable` asks the hub about ``spec`` (a hub id no cache holds, online)."""
    return (spec.kind == "hub" and not _hub_offline() and "PLBENCH_OFFLINE" not in offline_switches()
            and _not_cached(spec))


def ask_hub_ahead(specs, asked: dict) -> None:
    """Every question :func:`check_source_readable` will ask the hub about ``specs`` (each distinct hub id no cache
    holds, online: whether the hub holds it, and its splits), asked at once — :data:`HUB_ASK_THREADS` at most — and
    kept in ``asked``, its answer or the error it raised, for :func:`_check_on_hub` to read (and raise) in turn: the
    planning waited for each in turn, up to :data:`HUB_CHECK_S` twice an id on a slow network (a grid of four ids:
    minutes). Nothing is said here: each source's answer, a refusal too, is said by its own check, in order. The hub's
    refusal of an id (its dataset not there, gated, refused, unreachable) ends the wait at once: the questions not
    answered by then are left to the load (the refused source's check ends the planning before any load), so a
    misspelt id is said as soon as the hub says so, not after the slowest other answer (up to :data:`HUB_CHECK_S`)."""
    import queue
    import threading

    jobs: dict[tuple, tuple] = {}
    for spec in specs:
        try:
            if not _asks_the_hub(spec):
                continue
            known, splits, repo, config = _hub_questions(spec)
        except Exception:  # noqa: BLE001 - a source that cannot be looked at is said by its own check, with its role
            continue
        if known not in asked:
            jobs.setdefault(known, (_ask_hub, spec, repo))
        if splits is not None and splits not in asked:
            jobs.setdefault(splits, (_hub_splits, spec, repo, config))
    if len(jobs) < 2:
        return  # one question: asked by its check, as before

    def answer(job):
        try:
            return False, job[0](*job[1:])
        except Exception as exc:  # noqa: BLE001 - raised by its source's own check, in order
            return True, exc

    todo, done = queue.SimpleQueue(), queue.SimpleQueue()
    for item in jobs.items():
        todo.put(item)

    def work() -> None:  # daemon threads: a question still waited on when a refusal came never holds the exit
        while True:
            try:
                key, job = todo.get_nowait()
            except queue.Empty:
                return
            done.put((key, *answer(job)))

    for k in range(min(HUB_ASK_THREADS, len(jobs))):
        threading.Thread(target=work, name=f"plbench-hub-{k}", daemon=True).start()
    for _ in jobs:
        key, failed, value = done.get()
        if failed:
            asked[("error", key)] = value
            if len(key) == 2:  # the id refused: its check raises it; the others' questions are left to their load
                for other in jobs:
                    if other not in asked and ("error", other) not in asked:
                        asked[other] = None if len(other) == 3 else False
                        if len(other) == 2:
                            asked[("card", *other)] = None
                while True:  # the questions not yet begun are not asked
                    try:
                        todo.get_nowait()
                    except queue.Empty:
                        return
        elif len(key) == 2:
            asked[key], asked[("card", *key)] = value
        else:
            asked[key] = value


def _asked(asked: dict, key: tuple, ask):
    """``asked[key]``, asked (``ask()``) where it is not there yet; an error :func:`ask_hub_ahead` kept for it:
    raised."""
    if (error := asked.pop(("error", key), None)) is not None:
        raise error
    if key not in asked:
        asked[key] = ask()
    return asked[key]


def _check_on_hub(spec: DataSpec, asked: dict[tuple, tuple[str, ...] | bool | None] | None = None) -> None:
    """Online, a hub id no cache holds (:func:`_not_cached`): its dataset (and revision) asked of the hub, in one
    request (:func:`_ask_hub`), so that a misspelt id (or one private or gated, no token with access to it set: the hub
    says 401 or 404 alike), a revision not there, a token refused (403) or a hub that cannot be reached is said while
    the grid is planned (:func:`check_source_readable`), in :func:`_hub_error`'s words and the hub's meaning, not its
    status line (``404 Client Error. (Request ID: …)``) — not after the training sources were decoded (minutes), when
    :func:`load_raw` would meet it, after downloading and preparing the whole dataset. Then its splits
    (:func:`_hub_splits`): a split it has not (``:tset``, a part of ``:train+tset``; ``train``, the default, where none
    is named; ``:all`` is every split) or a config it has not is refused too (where the hub said yes: another answer
    is left to the load), and a ``#COLUMN`` its card lists no column of (:func:`_card_columns`: the card came with the
    hub's answer on the id; a card that lists none leaves it to the load). ``asked`` (one per planning, filled here): a
    (hub id, revision) in it (the id lower-cased: the hub's ids are case-blind) is not asked again (its answer and card
    were kept: a refusal would have ended the planning), nor the splits of a (hub id, revision, config), kept there."""
    asked = {} if asked is None else asked
    known, key, repo, config = _hub_questions(spec)  # the hub's ids are case-blind (Me/Photos is me/photos)

    def ask_known():
        answer, asked[("card", *known)] = _ask_hub(spec, repo)
        return answer

    if not _asked(asked, known, ask_known) or hub_data_file(spec.source) is not None:
        return  # its answer left to the load; a data file named: read as the split asked for
    every = (spec.split or "").strip() == "all"
    if key is not None:  # (a config it has not: refused there)
        _asked(asked, key, lambda: _hub_splits(spec, repo, config))
    if not every and (splits := asked[key]) is not None:
        for split in re.split(r"\s*\+\s*", (spec.split or "train").strip()):  # train+test: joined, as datasets reads
            if split not in splits:
                default = "" if spec.split else f" (the default: name one as {spec.source}:SPLIT)"
                raise UserError(f"dataset {spec.source!r} has splits {', '.join(splits)}; got {split!r}{default}"
                                + (did_you_mean(split, splits) if spec.split else ""))
    col = spec.image_column
    if col and (columns := _card_columns(asked.get(("card", repo.lower(), spec.revision)), config)) \
            and col not in columns and col.split(".")[0] not in columns:  # a.b: the field b of the struct a
        raise UserError(f"dataset {spec.source!r} has no column {col!r}{did_you_mean(col, columns)} "
                        f"(columns: {', '.join(columns)})")  # as _image_column says it at the load


def _card_columns(card, config: str | None) -> list[str] | None:
    """The columns the hub's card (``dataset_info`` of its YAML, which datasets' load takes its features from) lists
    for ``config`` (None: ``default``, or the card's one config), from :func:`_ask_hub`'s answer; None where it lists
    none (no card, no features, a config it does not name): nothing is known before the load."""
    entries = card.get("dataset_info") if hasattr(card, "get") else None
    entries = [entries] if isinstance(entries, dict) else entries
    if not isinstance(entries, list):
        return None
    entries = [e for e in entries if isinstance(e, dict)]
    named = [e for e in entries if e.get("config_name", "default") == (config or "default")]
    entry = named[0] if named else (entries[0] if config is None and len(entries) == 1 else None)
    features = entry.get("features") if entry is not None else None
    if isinstance(features, dict):
        features = [{"name": k} for k in features]
    names = [f.get("name") for f in features if isinstance(f, dict)] if isinstance(features, list) else []
    return names if names and all(isinstance(n, str) for n in names) else None


def _answer_within(seconds: float, ask, name: str) -> list:
    """``ask()`` run in a daemon thread (never holding the exit) waited on ``seconds`` at most: ``[]`` where it has not
    returned by then, else ``[what it returned]`` or ``[the exception it raised]`` — the hub's client and datasets raise
    many types (their own, httpx's, OSError's) for what :func:`_ask_hub` and :func:`_hub_splits` tell apart."""
    import threading

    answer: list = []

    def run() -> None:
        try:
            answer.append(ask())
        except Exception as exc:  # noqa: BLE001 - the caller reads which
            answer.append(exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(seconds)
    return answer


def _hub_splits(spec: DataSpec, repo: str, config: str | None) -> tuple[str, ...] | None:
    """The splits of the hub dataset ``repo`` (its config ``config``) at ``spec``'s revision, as ``datasets`` resolves
    them for its load (``get_dataset_split_names``: its card's, or its data files' names; no data read), asked in a
    daemon thread waited on :data:`HUB_CHECK_S` at most. A config it has not: a one-line :class:`UserError`. None where
    they cannot be had (another error, no answer in time): the load says what it meets."""
    def ask() -> tuple[str, ...]:
        import datasets

        return tuple(datasets.get_dataset_split_names(repo, config, revision=spec.revision))

    answer = _answer_within(HUB_CHECK_S, ask, f"hub splits {repo}")
    if not answer:
        log.debug("%s: the hub did not list its splits in %g s: left to the load", spec.source, HUB_CHECK_S)
        return None
    if isinstance(exc := answer[0], Exception):
        if _no_such_split_or_config(exc):
            raise _hub_error(spec, exc) from None
        log.debug("%s: its splits could not be listed (%s): left to the load", spec.source, _hub_words(exc))
        return None
    return exc or None


def _ask_hub(spec: DataSpec, repo: str) -> tuple[bool, object]:
    """:func:`_check_on_hub`'s question whether the hub holds ``repo`` at ``spec``'s revision, refused in one line
    where it does not; (True, its card data: :func:`_card_columns`) where it does. Another answer (a server error, a
    rate limit) is left to the load, which says it: (False, None). The request runs in a daemon thread, waited on
    :data:`HUB_CHECK_S` at most: a hub that has not answered by then is refused (:class:`_HubSilent`), not left to
    the load — the id is not cached, so its load needs the same network, and datasets' retries there would hang the
    planning for minutes."""
    from huggingface_hub import HfApi, constants

    answer = _answer_within(HUB_CHECK_S, lambda: HfApi().dataset_info(
        repo, revision=spec.revision, timeout=constants.HF_HUB_ETAG_TIMEOUT), f"hub check {repo}")
    if not answer:
        raise _hub_error(spec, _HubSilent(HUB_CHECK_S)) from None
    if not isinstance(exc := answer[0], Exception):  # the hub holds it
        return True, getattr(exc, "card_data", None)
    names = {c.__name__ for c in type(exc).__mro__}
    status = getattr(getattr(exc, "response", None), "status_code", None)  # None: no answer came
    if "GatedRepoError" in names:
        why = (f"the dataset {repo} is gated: accept its terms on https://huggingface.co/datasets/{repo} with the "
               "account of the token set (HF_TOKEN, or hf auth login)")
    elif "RevisionNotFoundError" in names:
        why = f"the hub's dataset {repo} has no revision {spec.revision!r}"
    elif "RepositoryNotFoundError" in names:
        why = (f"the hub holds no dataset {repo}, or it is private or gated and no token with access to it is "
               "set: HF_TOKEN, or hf auth login")
    elif status == 403:
        raise _hub_error(spec, PermissionError(
            f"the hub refuses the token set for dataset {repo} ({_hub_words(exc)}): a token with read access to "
            "it (HF_TOKEN, or hf auth login; a fine-grained token granted this repository)")) from None
    elif status is None and (isinstance(exc, OSError) or names & {"TransportError", "ConnectionError",
                                                                    "Timeout"}):
        raise _hub_error(spec, ConnectionError(f"Couldn't reach the hub ({_hub_words(exc)})")) from None
    else:
        log.debug("%s: the hub's answer on it (%s) is left to the load", spec.source, _hub_words(exc))
        return False, None
    raise _hub_error(spec, FileNotFoundError(why)) from None


def _hub_words(exc: BaseException) -> str:
    """The hub client's error in its words: its first line that says something, its request id left out (the hub's
    errors begin ``404 Client Error. (Request ID: Root=…)`` or ``(Request ID: …)`` alone)."""
    for line in str(exc).splitlines():
        line = re.sub(r"\s*\(Request ID: [^)]*\)", "", line).strip()
        if line:
            return line
    return type(exc).__name__


def _missing_path_error(spec: DataSpec) -> UserError:
    """One line for a source that names a path that is not there (:attr:`DataSpec.kind` ``missing-path``), or a link
    there that leads to no file (:func:`_broken_link`: a share not mounted)."""
    if broken := _broken_link(Path(spec.source).expanduser()):
        return UserError(f"{spec.source} is {broken}")
    where = "" if os.path.isabs(os.path.expanduser(spec.source)) else f" (cwd {os.getcwd()})"
    suffix = Path(spec.source).suffix.lower()
    what = "table of images" if suffix in TABLE_SUFFIXES else "dataset folder"
    shared = ""
    if suffix in image_extensions():  # `photos/coffe.png`: no folder, and its right spelling no source either
        what = "image file"
        shared = (" (and one image is no dataset: pass its folder, or a .txt file listing the images to use, one "
                  "path a line)")
    if spec.source.startswith(SHARED_PREFIX):  # a flag's (a config file's is read from there: GridSpec.from_file)
        there = SHARED_DATASETS / spec.source.removeprefix(SHARED_PREFIX)
        shared = (f" (the shared images: it is at {there}: write that path)" if there.exists() else
                  " (the shared images: set PLBENCH_SHARED_DATASETS to the folder holding them, or put "
                  "shared/datasets beside the checkout)")
    if unset := _unset_variables(spec.source):
        return UserError(f"{what} not found: {spec.source}{where}: ${unset[0]} is not set in the environment (set it, "
                         "or write the path out)")
    hint = did_you_mean_path(spec.source)
    return UserError(f"{what} not found: {spec.source}{where}"
                     + (hint + shared if hint and what == "image file" else hint or shared))


def _unset_variables(path: str) -> list[str]:
    """The names of the environment variables ``path`` names (``$VAR``, ``${VAR}``, as ``os.path.expandvars``
    reads them) that are not set."""
    return [v.strip("{}") for v in re.findall(r"\$(\w+|\{[^}$]*\})", path) if v.strip("{}") not in os.environ]


def _hub_error(spec: DataSpec, exc: Exception) -> UserError:
    """One line for a hub id that did not load; where the dataset was not found, it also says that no
    local folder has that name (a mistyped relative path reads as a hub id)."""
    from huggingface_hub import constants

    cache = os.environ.get("HF_DATASETS_CACHE") or os.path.join(constants.HF_HOME, "datasets")
    # either cache is read (_not_cached): datasets' own (load_dataset) and the hub's (huggingface-cli download)
    caches = (f"datasets' cache {cache} ($HF_DATASETS_CACHE, as load_dataset fills it) or the hub cache "
              f"{constants.HF_HUB_CACHE} ($HF_HUB_CACHE, as huggingface-cli download "
              f"{'/'.join(spec.source.split('/')[:2])} --repo-type dataset fills it)")
    offline = constants.HF_HUB_OFFLINE or "Offline" in type(exc).__name__ or "offline" in str(exc).lower()
    file = hub_data_file(spec.source)  # owner/name/FILE: that file of the repo, fetched into the hub cache
    local = f"there is no local {'file' if file else 'folder'} {spec.source!r} (cwd {os.getcwd()})"
    text = " ".join(str(exc).split())
    if _no_such_split_or_config(exc):
        return UserError(f"dataset {spec.source!r}: {text}")  # it is there (cached): the split or config is not
    near = did_you_mean_path(spec.source)  # a local folder close: before a shared set merely close (Set5hr, CSet5)
    if "/" not in spec.source and (there := _shared_set(spec.source)) \
            and (there.name.lower() == spec.source.lower() or not near):  # `BSD200`, as the README names the sets
        hub = "is not cached and the hub is offline" if offline else f"did not load: {_hub_words(exc)}"
        which = (f"the shared images' {there.name} is at {there}" if there.name == spec.source else
                 f"did you mean the shared images' {there.name}? It is at {there}")
        return UserError(f"dataset {spec.source!r}: {local}, and read as a hub id it {hub}; {which}: pass that path")
    if "/" not in spec.source and (hint := did_you_mean(spec.source, EMBEDDED)):  # a slip on an embedded name
        return UserError(f"unknown dataset {spec.source!r}{hint} (embedded: {', '.join(EMBEDDED)}; and {local}, "
                         "nor a hub dataset that loads)")
    if hint := near:  # `my_photos/tset`: a misspelt local folder, read as a hub id
        hub = "is not cached and the hub is offline" if offline else f"did not load: {_hub_words(exc)}"
        return UserError(f"dataset folder not found: {spec.source} (cwd {os.getcwd()}){hint} (read as a hub id, "
                         f"it {hub})")
    repo = "/".join(spec.source.split("/")[:2])
    if offline and file:  # that file only (not DIV2K's LR archives), in the hub cache it is read from
        unpack = ", unpack it" if file.lower().endswith(_ARCHIVES) else ""
        return UserError(f"dataset file {spec.source!r} is not cached and the hub is offline (HF_HUB_OFFLINE=1), and "
                         f"{local}: on a connected machine, download it into the hub cache {constants.HF_HUB_CACHE} "
                         f"(huggingface-cli download {repo} {file} --repo-type dataset), or into a folder (… "
                         f"--local-dir DIR){unpack} and pass the folder it gives")
    if offline:  # a slip in the id of a dataset that is cached: offered (a close spelling only: 'owner/' is shared)
        hint = did_you_mean(repo, [i for i in _cached_hub_ids(cache) if i != repo], cutoff=0.85)
        hint = f" ({hint[2:]} it is cached)" if hint else ""
        return UserError(f"dataset {spec.source!r} is not cached and the hub is offline (HF_HUB_OFFLINE=1){hint}, and "
                         f"{local}: download it on a connected machine into {caches}, or pass a local folder "
                         f"(its images, or its files: huggingface-cli download {'/'.join(spec.source.split('/')[:2])} "
                         "--repo-type dataset --local-dir DIR)")
    if isinstance(exc, _HubSilent):  # a network that resolves or connects nowhere, and not in the cache
        return UserError(f"dataset {spec.source!r} is not cached and {exc}, and {local}: check the network (its "
                         f"DNS, a proxy), or download it on a connected machine into {caches}, or pass a local folder; "
                         "HF_HUB_OFFLINE=1 reads the caches alone, the hub not asked")
    if isinstance(exc, ConnectionError) or "Couldn't reach" in text:  # no network, and not in the cache
        return UserError(f"dataset {spec.source!r} is not cached and the hub cannot be reached, and {local}: "
                         f"download it on a connected machine into {caches}, or pass a local folder "
                         "(HF_HUB_OFFLINE=1 skips the hub's retries)")
    first = _hub_words(exc)
    if isinstance(exc, FileNotFoundError) or "NotFound" in type(exc).__name__:
        return UserError(f"cannot load dataset {spec.source!r} from the hub ({first}), and {local}")
    return UserError(f"cannot load dataset {spec.source!r}: {first}")


def _shared_set(name: str) -> Path | None:
    """The folder of :data:`SHARED_DATASETS` a bare source ``name`` names (``BSD200``), or a close spelling of, case
    not counted (``Set14`` or ``set14`` for ``CSet14``, ``kodak24``); ``None`` where none is close or the shared images
    are not here."""
    try:
        sets = {p.name.lower(): p.name for p in SHARED_DATASETS.iterdir() if p.is_dir() and not p.name.startswith(".")}
    except OSError:
        return None
    close = _close(name.lower(), sets, n=1, cutoff=0.75)  # difflib's ratio counts case: set5 was 0.67 from CSet5
    return SHARED_DATASETS / sets[close[0]] if close else None


@functools.lru_cache(maxsize=1)
def pillow_plugins() -> tuple[str, ...]:
    """Register the installed Pillow plugins for formats Pillow lacks — pillow-heif (HEIC/HEIF, a phone's
    photos) and pillow-jxl-plugin (JPEG XL) — once per process; the names of those registered. Installing
    pillow-heif alone does not make Pillow read HEIC (its opener must be registered), so the advice to install
    it was not enough before this was called by :func:`image_extensions` and :func:`decode_image`."""
    done = []
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        done.append("pillow_heif")
    except Exception:  # noqa: BLE001 - not installed, or a release that fails to load: HEIC named as not read
        pass
    try:
        import pillow_jxl  # noqa: F401 - registers its plugin when imported

        done.append("pillow_jxl")
    except Exception:  # noqa: BLE001 - as above
        pass
    return tuple(done)


def image_extensions() -> frozenset[str]:
    """File suffixes read as images in a folder: those of ``datasets``' imagefolder builder and every one
    this Pillow can open (``datasets``' list is fixed: it lacks AVIF, QOI, PFM and MPO, which Pillow reads),
    with the installed plugins' (:func:`pillow_plugins`: HEIC, JPEG XL); not HDF5 (``.h5``: data files, for
    which Pillow has only a stub) nor formats Pillow only writes (PDF)."""
    from PIL import Image

    pillow_plugins()

    exts: set[str] = set()
    try:
        from datasets.packaged_modules.imagefolder.imagefolder import ImageFolder

        exts |= {e.lower() for e in ImageFolder.EXTENSIONS}
    except Exception:  # noqa: BLE001 - a datasets release that moved it: Pillow's registry below
        pass
    Image.init()
    readable = (set(Image.OPEN) | {"MPO"}) - {"HDF5"}  # MPO files open through the JPEG plugin
    exts |= {e.lower() for e, fmt in Image.registered_extensions().items() if fmt in readable}
    return frozenset(exts)


def _not_utf8(name: str) -> str:
    """``name`` shown with its undecodable bytes escaped when it is not UTF-8 (a file system name
    Python holds as surrogates), else "": such a name fits no id, path column or results file."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return ""


def _heif_why(them: bool = False) -> str:
    """Why a HEIC/HEIF photo (``them``: several) is not read, its install hint naming the pip of the python running
    plbench as reached from here (:func:`benchmark.errors.pip`)."""
    it = "them" if them else "it"
    return f"which no decoder here reads ({pip()} install pillow-heif, or export {it} as JPEG or PNG)"


_RAW = ("camera RAW file, not decoded (develop it into a 16-bit TIFF or PNG)",
        "camera RAW files, not decoded (develop them into 16-bit TIFFs or PNGs)")
_HDR = ("HDR image (OpenEXR/Radiance), not decoded: tone-map it into [0, 1] and save a 16-bit or float TIFF",
        "HDR images (OpenEXR/Radiance), not decoded: tone-map them into [0, 1] and save a 16-bit or float TIFF")
_RAW_SUFFIXES = (".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".raf", ".orf", ".rw2", ".pef", ".srw", ".x3f", ".3fr",
                 ".iiq", ".rwl", ".erf", ".kdc", ".mrw")


def _not_decoded() -> dict[str, tuple[str, str]]:
    """The suffixes of photographs that are not read → the reason a folder gives for skipping one of them and its
    plural (not 'not an image'): a phone's HEIC (Pillow reads it only with the pillow-heif plugin; with it registered,
    the suffix is one of :func:`image_extensions` and the file is read), JPEG XL, cameras' RAW files and HDR renders.
    Made at each use: an install hint names the pip of the python running plbench as reached from here now
    (:func:`benchmark.errors.pip`)."""
    heif = (f"HEIC/HEIF photo, {_heif_why()}", f"HEIC/HEIF photos, {_heif_why(them=True)}")
    jxl = tuple(f"JPEG XL {what}, which no decoder here reads ({pip()} install pillow-jxl-plugin, or export {it} as "
                "PNG)" for what, it in (("image", "it"), ("images", "them")))
    return {".heic": heif, ".heif": heif, ".hif": heif, ".exr": _HDR, ".hdr": _HDR, ".jxl": jxl,
            **dict.fromkeys(_RAW_SUFFIXES, _RAW)}


#: signatures of formats Pillow always reads, found under a suffix of :func:`_not_decoded` (a JPEG saved as
#: ``.HEIC``); not TIFF's, which most RAW files (DNG, NEF, CR2, ARW) share: Pillow would read their thumbnail
_PLAIN_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")


def _plain_image_inside(path: Path) -> bool:
    """Whether the file at ``path`` starts with a JPEG, PNG, GIF or WebP signature, whatever its suffix says."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:  # unreadable: the loader names why, as for any image file
        return False
    return head.startswith(_PLAIN_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


#: folders that systems, not people, put beside photos: a Synology NAS's thumbnails of each photo (``@eaDir``:
#: real JPEGs), a macOS zip's resource forks (``__MACOSX``), Windows' recycle bin and volume data; never read
SYSTEM_FOLDERS = frozenset({"@eaDir", "__MACOSX", "$RECYCLE.BIN", "System Volume Information"})
_SYSTEM_REASON = "system folder, not photos (a NAS's thumbnails, a zip's resource forks, a recycle bin)"

#: files that systems, not people, put beside photos, named in any case: Windows Explorer's thumbnail caches and folder
#: settings, Picasa's per-folder edits, a Mac's custom folder icon (``Icon\r``); passed over unsaid, as hidden files
#: (``.DS_Store``, AppleDouble ``._photo.jpg``) are, never listed as 'not an image'
SYSTEM_FILES = frozenset({"thumbs.db", "ehthumbs.db", "ehthumbs_vista.db", "desktop.ini", "picasa.ini", "icon\r"})

#: Hugging Face imagefolder's metadata files, named as written: a ``file_name`` column names each row's image, a
#: ``<name>_file_name`` column another image of that row (``noisy_file_name``: the noisy twin), which ``datasets`` reads
#: as column <name>; else captions or labels. Listed apart (:data:`_METADATA`), never as 'not an image': read for the
#: pairs they name (:func:`_paired_images`), else passed over with an info line, as :data:`SYSTEM_FILES` are unsaid
METADATA_FILES = ("metadata.csv", "metadata.jsonl", "metadata.parquet")
_METADATA = "imagefolder metadata"

#: a folder's skipped file whose link leads back to itself (:func:`folder_files`), and the words for several
_LOOP = "link in a loop (it leads back to itself)"
#: the plural of each reason :func:`folder_files` skips a file for that is a noun, as the skipped line counts them
#: (each written beside its singular, a rewording made in both)
#: (a photograph's: :func:`_not_decoded`)
_SKIPPED_MANY = {"dangling link": "dangling links", _LOOP: "links in a loop (each leads back to itself)"}


def _broken_link(link: Path) -> str | None:
    """What ``link`` is where it is a symbolic link that leads to no file: ``a link in a loop (it leads back to
    itself)`` or ``a dangling link (to TARGET, which is not there)``, as a folder's are skipped (:func:`folder_files`);
    None otherwise."""
    if not link.is_symlink() or link.exists():
        return None
    return f"a {_LOOP}" if _loops(link) else f"a dangling link (to {os.readlink(link)}, which is not there)"


def _loops(link: Path) -> bool:
    """Whether following ``link`` comes back to it (the system's ELOOP), rather than to nothing."""
    try:
        os.stat(link)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _unlisted(name: str) -> bool:
    """Whether a file or folder name is left out of a folder's listing unsaid: hidden (``.name``) or a
    :data:`SYSTEM_FILES` one."""
    return name.startswith(".") or name.lower() in SYSTEM_FILES


def folder_files(root: Path, split: str | None = None) -> tuple[list[Path], dict[str, list[str]]]:
    """The image files of a folder, by one rule: **every file under it, at any depth, whose suffix is
    an image format** (:func:`image_extensions`), in sorted path order; hidden files and folders
    (names starting with ``.``) and :data:`SYSTEM_FILES` are left out unsaid, and so are :data:`SYSTEM_FOLDERS`
    (logged). No file or folder
    *name* is read as a split (``datasets``' imagefolder builder would read ``train_x.jpg`` as a split and drop
    every other file). With ``split`` (``FOLDER:SPLIT``), only the files under the top-level sub-folder of that name.
    Links to folders are followed, each folder read once: a link to a folder above (``up -> ..``) or
    to one the walk reads under its own path, or a folder reached a second time, is logged and not
    followed. Each file is read once too: of several paths to one file (a link beside its target, hard
    links) the one that is not a symbolic link is kept, else the first.

    Returns (image files, {reason: [relative paths]}) with the skipped files by reason: ``not an
    image`` (other suffixes; imagefolder metadata, :data:`METADATA_FILES`, under ``imagefolder metadata``; a
    phone's HEIC photo and a camera's RAW file are skipped with their own reason, unless the file is a JPEG, PNG,
    GIF or WebP under that name, read then: :func:`_plain_image_inside`;
    :func:`_not_decoded`), ``dangling link`` (a symbolic link to nothing; one that leads back to itself, ``a → b →
    a``: :data:`_LOOP`), ``name not UTF-8`` (bytes
    in its name that no id or results file can hold, shown escaped) and ``second path to a file read
    as …`` (a link to a file read under another name)."""
    files, skipped, loops = [], {}, []
    exts = image_extensions()
    not_decoded = {suffix: one for suffix, (one, _) in _not_decoded().items()}
    real_root = root.resolve()
    above = {real_root, *real_root.parents}  # a link to one of these is a loop

    def not_to_follow(link: Path) -> bool:  # to a folder above, or one the walk reads under its own path
        target = link.resolve()
        if target in above:
            return True
        if not target.is_relative_to(real_root):
            return False
        parts = target.relative_to(real_root).parts
        return not any(p.startswith(".") for p in parts) and (split is None or parts[0] == split)

    unread: list[str] = []  # folders os.walk could not list (no read permission): it passes over them, unsaid

    def not_listed(err: OSError) -> None:
        where = Path(err.filename).relative_to(root).as_posix() if err.filename else "?"
        if split is None or where.split("/", 1)[0] in (split, "?"):  # another split's folder holds none of these images
            unread.append(f"{where}/ ({err.strerror or type(err).__name__})")

    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=not_listed):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in seen:  # reached a second time through links: read once
            loops.append(Path(dirpath).relative_to(root).as_posix())
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        for d in sorted(dirnames):
            if not d.startswith(".") and os.path.islink(os.path.join(dirpath, d)) and not_to_follow(Path(dirpath, d)):
                loops.append((Path(dirpath, d).relative_to(root)).as_posix())
                dirnames.remove(d)
        for d in sorted(dirnames):
            if d in SYSTEM_FOLDERS:  # a NAS's thumbnails are JPEGs: read, each photo would be tested twice
                skipped.setdefault(_SYSTEM_REASON, []).append(Path(dirpath, d).relative_to(root).as_posix() + "/")
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SYSTEM_FOLDERS)
        for name in sorted(filenames):
            if _unlisted(name):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if split is not None and rel.split("/", 1)[0] != split:
                continue
            if shown := _not_utf8(rel):  # bytes no encoding decodes (a Latin-1 archive): no id or path can hold it
                skipped.setdefault("name not UTF-8 (rename the file)", []).append(shown)
                continue
            if path.is_symlink() and not path.exists():  # to nothing, or round to itself (a → b → a)
                skipped.setdefault(_LOOP if _loops(path) else "dangling link", []).append(rel)
            elif path.suffix.lower() in not_decoded and _plain_image_inside(path):
                files.append(path)  # a JPEG named .HEIC (a phone's export, a renaming script): read as what it is
            elif path.suffix.lower() not in exts:
                why = _METADATA if name in METADATA_FILES else not_decoded.get(path.suffix.lower(), "not an image")
                skipped.setdefault(why, []).append(rel)
            else:
                files.append(path)
    by_file: dict[tuple, list[Path]] = {}
    for f in files:  # one file, one image: a link to a file also read by its own name would count it twice
        st = f.stat()  # (a file system without inode numbers reports 0 for all: each path is its own file)
        by_file.setdefault((st.st_dev, st.st_ino) if st.st_ino else (str(f),), []).append(f)
    for paths in by_file.values():
        if len(paths) > 1:
            keep = next((f for f in paths if not f.is_symlink()), paths[0])
            for f in paths:
                if f is not keep:
                    files.remove(f)
                    why = f"second path to a file read as {keep.relative_to(root).as_posix()}"
                    skipped.setdefault(why, []).append(f.relative_to(root).as_posix())
    if unread:
        log.warning("%s: %s could not be read, their images left out: %s", root, plural(len(unread), "folder"),
                    ", ".join(unread[:5]) + (", …" if len(unread) > 5 else ""))
    if loops:
        log.warning("%s: not following %s to a folder above it or read under its own path (a loop or a "
                    "second way in): %s", root, plural(len(loops), "link"),
                    ", ".join(loops[:5]) + (", …" if len(loops) > 5 else ""))
    # by the names composed (NFC), as _distinct_ids names them: a folder copied from a Mac (é decomposed, before 'f')
    # is in the order, so of the fingerprint, of the same folder written on Linux (é composed, after 'f')
    files.sort(key=lambda p: (unicodedata.normalize("NFC", rel := p.relative_to(root).as_posix()), rel))
    return files, skipped


def folder_dataset(spec: DataSpec):
    """A local folder as a ``datasets.Dataset`` (columns ``image`` — :class:`datasets.Image` — and
    ``image_id``, the path relative to the folder without its suffix, or with it where files differ
    only by suffix: ``photo.bmp``, ``photo.webp``), by the rule of :func:`folder_files`; logs how
    many of the folder's files are image files, with the skipped ones by reason (:func:`load_images`
    adds the unreadable ones)."""
    import datasets

    root = Path(spec.source).expanduser()
    if shown := _not_utf8(str(root)):
        raise UserError(f"image folder {shown}: its path is not UTF-8, which no results file can record: "
                        "rename it (or link to it from a UTF-8 name)")
    for folder in (root, root / spec.split) if spec.split else (root,):
        try:  # a folder that cannot be listed (another user's): os.walk would yield nothing, read as empty
            with os.scandir(folder):
                pass
        except (FileNotFoundError, NotADirectoryError):  # a split that is not a sub-folder: said below
            pass
        except OSError as exc:
            raise UserError(f"image folder {folder} cannot be read ({exc.strerror or type(exc).__name__}): give this "
                            "user read access to it, or copy its images to a folder that can be read") from None
    if spec.split:
        subs = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
        if spec.split not in subs:
            # the saved DatasetDict's rule (_load_saved): a split is named as written, a case slip (:test for
            # Kaggle's Test/) offered as the sub-folder that is there
            raise UserError(f"image folder {spec.source} has no sub-folder {spec.split!r} to take as split "
                            f"{spec.split!r} (sub-folders: {', '.join(subs) or 'none'})"
                            + did_you_mean(spec.split, subs))
    # a local copy of a hub dataset of image files with a config per folder (x2/, x4/, hr/), read whole: not every
    # config at once (FOLDER:hr, a sub-folder, is one)
    if spec.split is None and len(_readme_configs(root)) > 1 and (configs := _configs_error(root)) is not None:
        raise configs
    files, skipped = folder_files(root, spec.split)
    paired = _paired_images(root, spec.split, skipped, files)  # its metadata files taken off the skipped ones
    if metadata := skipped.pop(_METADATA, None):  # of captions or labels (no second image a row): no misnamed photo
        log.info("%s: its imagefolder metadata (%s) names no second image a row: not read, every image file is",
                 spec, ", ".join(metadata[:5]))
    total = len(files) + sum(len(v) for v in skipped.values())
    photos_many = dict(_not_decoded().values())  # a photograph's reason → its plural
    many = {**_SKIPPED_MANY, **photos_many}
    if skipped:
        why = "; ".join(f"{plural(len(v), k, many.get(k, k))}: {', '.join(v[:5])}{', …' if len(v) > 5 else ''}"
                        for k, v in skipped.items())
        log.warning("%s: %d of %s %s; skipped %s", spec, len(files), plural(total, "file"),
                    agree(len(files), "is an image file", "are image files"), why)
    if paired is not None:
        return paired
    # its imagefolder metadata counts as a file there: a folder of metadata.csv alone (its images not downloaded)
    others = total + len(metadata or ())
    if not files and not others:  # not "0 other files": nothing there at any depth (a download not made, no mount)
        raise UserError(f"image folder {spec} is empty: no file in it or its subfolders")
    if not files:
        photos = "; ".join(plural(len(v), k, many[k]) for k, v in skipped.items() if k in photos_many)
        raise UserError(f"image folder {spec} holds no image file ({plural(others, 'other file')}; image suffixes: "
                        ".png, .jpg, .jpeg, .bmp, .tif, .webp, …)" + (f": {photos}" if photos else ""))
    rels = [f.relative_to(root).as_posix() for f in files]
    stems = [f.relative_to(root).with_suffix("").as_posix() for f in files]
    n = Counter(stems)
    ids = [stem if n[stem] == 1 else rel for rel, stem in zip(rels, stems)]
    features = datasets.Features({"image": datasets.Image(), "image_id": datasets.Value("string")})
    return datasets.Dataset.from_dict({"image": [str(f) for f in files], "image_id": ids}, features=features)



def _is_file_name(key) -> bool:
    """Whether a metadata column names an image file, as ``datasets`` reads one: ``file_name``, ``<name>_file_name``."""
    return key == "file_name" or str(key).endswith("_file_name")


def _metadata_rows(path: Path) -> list[dict]:
    """The rows of an imagefolder metadata file (:data:`METADATA_FILES`), each a dict of its file-name columns only
    (:func:`_is_file_name`: a caption, or an embedding a row, is neither kept nor, in a parquet file, read); none, with
    a warning naming it, where it cannot be read (its folder is then read as every image file in it, as it was)."""
    import csv

    def names(row) -> dict | None:
        return {k: v for k, v in row.items() if _is_file_name(k)} if isinstance(row, dict) else None

    try:
        if path.suffix == ".csv":
            with open(path, newline="", encoding="utf-8") as f:
                rows = [names(r) for r in csv.DictReader(f)]
        elif path.suffix == ".jsonl":
            with open(path, encoding="utf-8") as f:
                rows = [names(json.loads(line)) for line in f if line.strip()]
        else:
            import pyarrow.parquet as pq

            columns = [c for c in pq.read_schema(path).names if _is_file_name(c)]
            rows = pq.read_table(path, columns=columns).to_pylist() if columns else []
    except Exception as exc:  # noqa: BLE001 - csv, json and pyarrow raise many types for a damaged file
        log.warning("%s: an imagefolder metadata file that cannot be read (%s): not used", path, first_line(exc))
        return []
    return [r for r in rows if r is not None]


def _paired_images(root: Path, split: str | None, skipped: dict[str, list[str]], files: list[Path]):
    """A folder whose imagefolder metadata (:data:`METADATA_FILES`, among the files :func:`folder_files` skipped, under
    :data:`_METADATA`; with ``split``, also the folder's own) names several images a row (a ``noisy_file_name`` column
    besides ``file_name``, or ``input_file_name`` + ``target_file_name`` without one) as the ``datasets.Dataset`` that
    ``datasets`` reads from it: an image column per file-name column, ``file_name`` → ``image``, ``<name>_file_name`` →
    ``<name>`` (paths from each metadata file's folder), and with ``file_name`` ``image_id`` (its image's path in the
    folder, no suffix; without it, ids are the file names of the column read), the metadata files taken off ``skipped``,
    the image ``files`` no row names said in a warning; None for any other folder (read as every image file in it)."""
    import datasets

    metas = [root / rel for rel in skipped.get(_METADATA, [])]
    if split is not None:
        metas += [root / n for n in METADATA_FILES if (root / n).is_file()]
    tables = [(m, _metadata_rows(m)) for m in metas]
    keys = {str(c) for _, rows in tables for row in rows for c in row}
    if not any(k.endswith("_file_name") for k in keys):
        return None
    # as datasets names them: file_name → image, <name>_file_name → <name>
    names = {k: k[: -len("_file_name")] or "image" for k in sorted(keys, key=lambda k: (k != "file_name", k))
             if _is_file_name(k)}
    columns: dict[str, list] = {c: [] for c in names.values()}
    ids: list[str] = []
    base = root / split if split is not None else root
    for meta, rows in tables:
        for row in rows:
            paths = {c: meta.parent / str(row[k]) if row.get(k) else None for k, c in names.items()}
            first = next((v for v in paths.values() if v is not None), None)
            if first is None or not os.path.abspath(first).startswith(os.path.abspath(base) + os.sep):
                continue  # no image in the row, or the root's metadata row of another split
            for c, v in paths.items():
                columns[c].append(None if v is None else str(v))
            ids.append(Path(os.path.relpath(first, root)).with_suffix("").as_posix())
    if not ids:  # no row of this split (the root's metadata pairs another's): every image file, as before
        return None
    log.info("%s: its metadata (%s) names several images a row, read as datasets reads it: image columns %s, %d rows",
             root, ", ".join(m.relative_to(root).as_posix() for m in metas),
             ", ".join(columns), len(ids))
    named = {os.path.abspath(v) for vs in columns.values() for v in vs if v}
    unnamed = [f.relative_to(root).as_posix() for f in files if os.path.abspath(f) not in named]
    if unnamed:
        log.warning("%s: %s in no row of its metadata, not read: %s", root, plural(len(unnamed), "image file"),
                    ", ".join(unnamed[:5]) + (", …" if len(unnamed) > 5 else ""))
    skipped.pop(_METADATA, None)
    features = datasets.Features({c: datasets.Image() for c in columns})
    if "file_name" in names:  # the image's path in the folder, as a folder's ids are
        columns["image_id"], features["image_id"] = ids, datasets.Value("string")
    return datasets.Dataset.from_dict(columns, features=features)


#: archive suffixes: a source given as one is told to unpack it (a benchmark's Set5.zip, a dataset's .tar.gz)
_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".7z", ".rar")


def _no_revision(spec: DataSpec, what: str) -> None:
    if spec.revision:
        raise UserError(f"{what} has no revisions: drop '@{spec.revision}' from {str(spec)!r} "
                        "(a revision is a hub dataset's)")


def _files_split(spec: DataSpec) -> str:
    """The split of a local copy of a hub dataset's files (:attr:`DataSpec.kind` ``files``) that ``spec`` reads, read
    off its files' names; a revision, or a split it has not, a one-line :class:`UserError`."""
    _no_revision(spec, f"the local copy {spec.source}")
    splits = files_splits(Path(spec.source))
    split = spec.split or default_split(spec, splits, None)
    if split not in splits:
        raise UserError(f"dataset files {spec.source} have splits {', '.join(splits)}; got {split!r}"
                        + did_you_mean(split, splits))
    return split


def load_raw(spec: DataSpec, rows: int | None = None):
    """The ``datasets.Dataset`` behind a spec, split applied, before decoding. A revision or a split
    the source cannot honour is a :class:`UserError`. ``rows``: where given, a hub dataset's data files (a hub id,
    online; a local copy of its files) are streamed and only their first ``rows`` rows returned
    (:func:`_first_rows`), not the whole split downloaded and prepared in the ``datasets`` cache."""
    import datasets

    kind = spec.kind
    if kind == "embedded":
        _no_revision(spec, f"the embedded dataset {spec.source!r}")
        check_embedded_split(spec)
        ds = embedded_dataset(spec.source)
        if spec.split and spec.split != "all":
            ds = ds.filter(lambda s: s == spec.split, input_columns="split")
        return ds
    if kind == "file":
        raise _file_error(spec)
    if kind == "table":
        _no_revision(spec, f"the table {spec.source}")
        if spec.split:
            raise UserError(f"{spec.source} is one table of images, with no splits: drop ':{spec.split}' (a table per "
                            "split: pass each one's file)")
        return _load_table(Path(spec.source).expanduser())
    if kind == "missing-path":
        raise _missing_path_error(spec)
    if kind == "folder":
        _no_revision(spec, f"the local folder {spec.source}")
        if (Path(spec.source) / "state.json").exists() or (Path(spec.source) / "dataset_dict.json").exists():
            log.info("%s: not a saved dataset (its state.json / dataset_dict.json are not datasets'): "
                     "read as an image folder", spec.source)
        return folder_dataset(spec)
    if kind == "saved":
        _no_revision(spec, f"the saved dataset {spec.source}")
        return _load_saved(spec)
    if kind == "files":
        split = _files_split(spec)
        try:
            with _no_card_warning():
                if rows is not None and (first := _first_rows(spec, rows, str(Path(spec.source).expanduser()),
                                                              split=split)) is not None:
                    return first
                return datasets.load_dataset(str(Path(spec.source).expanduser()), split=split)
        except Exception as exc:  # noqa: BLE001 - a damaged shard, a layout datasets cannot read
            raise UserError(f"dataset files {spec.source}:{split} cannot be read "
                            f"({_data_files_unread(Path(spec.source).expanduser(), exc)})") from None
    try:
        parts = spec.source.split("/")
        repo, config = "/".join(parts[:2]), ("/".join(parts[2:]) or None)
        if (file := hub_data_file(spec.source)) is not None:  # that file only, as the split asked for
            ds = _hub_data_file(repo, file, spec.split or "train", spec.revision)
        else:
            # offline (either switch: HF_DATASETS_OFFLINE is datasets' own), the datasets cache a download left is
            # read (streaming would ask the hub); online, a cap streams
            first = None if rows is None or _hub_offline() else \
                _first_rows(spec, rows, repo, config, split=spec.split or "train", revision=spec.revision)
            ds = first if first is not None else \
                datasets.load_dataset(repo, config, split=spec.split or "train", revision=spec.revision)
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - hub errors come in many types; all become one line
        raise _hub_error(spec, exc) from None
    from huggingface_hub import constants

    files = [f.get("filename", "") for f in ds.cache_files]
    if spec.revision and constants.HF_HUB_OFFLINE and not any(f"/{spec.revision}" in f for f in files):
        # datasets reads the latest cached copy whatever the revision: say which one was read
        log.warning("%s: revision %r cannot be resolved offline (HF_HUB_OFFLINE=1): read the latest cached copy, "
                    "%s, which may be another revision", spec.source, spec.revision,
                    Path(files[0]).parent if files else "?")
    return ds


def _first_rows(spec: DataSpec, rows: int, *args, **kwargs):
    """The first ``rows`` rows of ``datasets.load_dataset(*args, streaming=True, **kwargs)`` as a ``datasets.Dataset``,
    its images still encoded (as they are stored: a JPEG is not saved again), or None where the source cannot be
    streamed (then it is loaded whole, as before). The rows are those the whole split begins with, in its order. An
    error of the stream's resolution that the whole load would meet too (unreachable, not found, no such split or
    config) is raised at once; one while its rows are read (a connection dropped or slow mid-shard) gives None."""
    import datasets

    try:  # the stream's resolution: the hub asked for the dataset, its split and config, its features
        stream = datasets.load_dataset(*args, streaming=True, **kwargs)
        features = stream.features  # as declared (Image(), not decode=False: a struct's image flattens as an image)
    except Exception as exc:  # noqa: BLE001 - a layout or a server that cannot stream: read the whole split
        text = " ".join(str(exc).split())
        if isinstance(exc, (ConnectionError, TimeoutError, FileNotFoundError)) or "NotFound" in type(exc).__name__ \
                or "Couldn't reach" in text or _no_such_split_or_config(exc):
            raise  # would fail the whole split's load too: said once (an unreachable hub's retries not waited twice)
        log.info("%s: cannot be streamed (%s): reading the whole split for its first %s", spec,
                 first_line(exc), plural(rows, "image"))
        return None
    try:  # its rows, read over the network: a connection dropped or slow mid-shard is not the whole load's fate
        taken = list(itertools.islice(stream.decode(False), rows))
        return datasets.Dataset.from_list(taken, features=features) if features is not None else \
            datasets.Dataset.from_list(taken)
    except Exception as exc:  # noqa: BLE001 - the whole split's load, with its own retries, reads it as before
        if _no_such_split_or_config(exc):
            raise
        log.info("%s: its stream failed mid-split (%s): reading the whole split for its first %s", spec,
                 first_line(exc), plural(rows, "image"))
        return None


def _list_entry(line: str, base: Path) -> str:
    """One line of a ``.txt`` list → the path it names, or "" for none: blank, or a comment (``# …``, unless a file
    of that name exists, from the list's folder or the cwd); a path in matching quotes (``"my photos/a.jpg"``, as a
    shell or a spreadsheet copies it) without them."""
    line = line.strip()
    if len(line) >= 2 and line[0] == line[-1] and line[0] in "\"'":
        return line[1:-1].strip()
    if line.startswith("#") and not any((where / line).expanduser().is_file() for where in (base, Path.cwd())):
        return ""
    return line


#: how many bytes of a text file's start tell its encoding where a yes/no on its kind is all that is asked
_HEAD_BYTES = 8192


def _text_encoding(path: Path, head: int | None = None) -> str:
    """The encoding of a text table (CSV, TSV, ``.txt`` list, JSON, JSON lines): UTF-32 or UTF-16 where it starts with
    that byte-order mark (UTF-32's little-endian one, FF FE 00 00, looked for first: it begins with UTF-16's; UTF-16 is
    Excel's 'Unicode Text (*.txt)', tab-separated, and Windows PowerShell 5's JSON), else UTF-8 (a
    byte-order mark dropped), else Windows-1252
    where that reads it (Excel's 'CSV (Comma delimited)' and older Notepad save in it: ``café.png`` as byte 0xE9), said
    in a warning naming the table; else UTF-8, whose error the caller reports. With ``head``, told from the file's
    first ``head`` bytes only (a UTF-8 character cut at their end is UTF-8's)."""
    if head is None:
        raw = path.read_bytes()
    else:
        with open(path, "rb") as f:
            raw = f.read(head)
    cut = head is not None and len(raw) == head  # more may follow: a multi-byte character cut in two is not an error
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's 'Unicode Text', Notepad's 'Unicode'
        return "utf-16"
    if b"\x00" in raw[:4096] and (wide := wide_encoding(raw)):  # no mark: a script's or .NET's UTF-16/32
        log.info("%s: no byte-order mark, its NUL bytes those of %s text: read as %s", path, wide.upper(), wide.upper())
        return wide
    if _binary(raw[:4096]):  # a parquet, a NumPy array or an image under a .csv name: not read as text, said so
        raise UserError(f"{path}: a table of images that is not text: it holds binary data (NUL and control "
                        "bytes), not lines of text")
    if raw.isascii():  # UTF-8 without a decoded copy made to tell (a 500 MB JSONL: 0.5 s and as many MB more)
        return "utf-8-sig"
    try:
        raw.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if cut and exc.reason == "unexpected end of data":
            return "utf-8-sig"
        try:
            raw.decode("cp1252")
        except UnicodeDecodeError:
            return "utf-8-sig"
        log.warning("%s: not UTF-8 (byte 0x%02X at %d): read as Windows-1252, as Excel and Notepad save a table on "
                    "Windows; save it as UTF-8 if its names read wrong", path, raw[exc.start], exc.start)
        return "cp1252"


def wide_encoding(raw: bytes) -> str | None:
    """The UTF-16 or UTF-32 encoding, little- or big-endian, of a text ``raw`` written without a byte-order mark
    (Python's ``encode('utf-16-le')``, .NET's ``Encoding.Unicode`` without its preamble): told by where its NUL bytes
    fall in its first 4 KiB (each ASCII character's high bytes: UTF-16-LE's at odd offsets, BE's at even ones), then
    checked by decoding it whole; None where no such pattern holds (a binary file, or UTF-8 with a stray NUL)."""
    head = raw[:4096]
    for enc, width, zero in (("utf-32-le", 4, (1, 2, 3)), ("utf-32-be", 4, (0, 1, 2)), ("utf-16-le", 2, (1,)),
                             ("utf-16-be", 2, (0,))):
        n = len(head) // width * width
        if not n or len(raw) % width:
            continue
        cols = [head[i:n:width] for i in range(width)]
        if all(c.count(0) >= 0.5 * len(c) for i, c in enumerate(cols) if i in zero) and all(
                c.count(0) <= 0.05 * len(c) for i, c in enumerate(cols) if i not in zero):
            try:
                text = raw.decode(enc)
            except UnicodeDecodeError:
                return None
            return None if _binary(text[:4096]) else enc  # numbers stored as 16-bit integers: binary, not text
    return None


def _binary(head: bytes | str) -> bool:
    """Whether ``head``, a file's first bytes or its text, is binary data, not text: one in ten of its characters a
    NUL or another control character but tab, line and page ends (a UTF-8 table's stray NUL is text)."""
    codes = head if isinstance(head, bytes) else [min(ord(c), 0x100) for c in head]
    wide = not isinstance(head, bytes)  # decoded: C1's controls too (U+0080–U+009F), no text's characters
    control = sum(1 for c in codes
                  if (c < 0x20 and c not in (9, 10, 12, 13)) or c == 0x7F or (wide and 0x80 <= c < 0xA0))
    return bool(codes) and control >= 0.1 * len(codes)


#: the names under which a column is taken for the image column without a look at its values, in this order
_IMAGE_COLUMN_NAMES = ("image", "img", "hr", "path", "file")

#: the separators a CSV/TSV's cells may be split by, the first that its first line holds preferred
#: (:func:`_csv_separator`): a comma, a spreadsheet's semicolon or tab, a database export's pipe
_SEPARATORS = (",", ";", "\t", "|")

#: the separator of a table of one path a line (a character no file name holds: each line one cell, commas and all)
_NO_SEPARATOR = "\x1f"


def _csv_separator(path: Path, encoding: str = "utf-8-sig", comments: bool = False,
                   default: str | None = None) -> tuple[str, int]:
    """(the separator of a ``.csv`` table, how many lines before its header to pass over), read off its first line
    that is not blank (with ``comments``, a ``.txt`` list's, nor a ``#`` comment: :func:`_list_entry`; those before a
    header are passed over): a comma wherever it has one, else a semicolon or a tab where it has one (a spreadsheet's
    'CSV' in locales whose decimal mark is a comma: Excel's in German, French, Italian, … writes ``file;label``), or
    a pipe (``path|label``, a database's or a Markdown-minded script's export);
    none (:data:`_NO_SEPARATOR`) where the line names a file or holds none of them (one path a line, under a header
    ``path`` or not, a file's name with a comma or a semicolon in it among them). Where it holds several, the one that
    splits it into a cell naming an image (a table without a header, ``my, photo.png;1``), else the one that splits
    the lines read into as many cells each (``file;label, note`` above ``a.png;1``), else the first as above. A quoted
    cell's text is not looked in (``"file";"label, note"``: semicolons). A line ``sep=;`` (a CSV made for Excel, which
    reads it so) names it, and is passed over; otherwise ``default`` is it where given (a ``.tsv``'s tab). A CSV/TSV's
    ``#`` notes above its header are passed over too (:func:`_note_lines`)."""
    import csv

    with open(path, encoding=encoding, errors="replace", newline="") as f:
        lines = [line.rstrip("\r\n") for line in itertools.islice(f, 1000)]
    rows = [i for i, line in enumerate(lines) if line.strip() and not (comments and not _list_entry(line, path.parent))]
    if not comments:  # a CSV/TSV's '# …' notes above its header (comments mode has passed over its own already)
        rows = rows[_note_lines([lines[i] for i in rows], path.parent):]
    at = rows[0] if rows else len(lines)
    first = lines[at] if at < len(lines) else ""
    if named := re.fullmatch(r"sep=(.) *", first, re.IGNORECASE):  # notes may stand below it too, above the header
        rest = rows[1:]
        if not comments:
            rest = rest[_note_lines([lines[i] for i in rest], path.parent):]
        return named.group(1), rest[0] if rest else at + 1
    first = first.strip()
    if any((where / first.strip("\"'")).expanduser().is_file() for where in (path.parent, Path.cwd())):
        # one path a line ('x;1.png', 'my, photo.png'): found where _list_entry's are; a CSV's notes above passed over
        return default or _NO_SEPARATOR, (0 if comments else at)
    if default:
        return default, at
    bare = re.sub(r'"[^"]*"', "", first)  # the separators between the cells, not a cell's own
    found = [sep for sep in _SEPARATORS if sep in bare]
    if len(found) > 1:
        def cells(line: str, sep: str) -> list[str]:
            return next(csv.reader([line], delimiter=sep), [])

        naming = [sep for sep in found if any(Path(c.strip()).suffix.lower() in image_extensions()
                                              for c in cells(first, sep))]
        even = [sep for sep in found if len({len(cells(lines[i], sep)) for i in rows[:50]}) == 1]
        found = naming or even or found
    # a .txt list: "\t" makes it a TSV; a first line of one cell, one column: 'my, photo.png' below it one path
    return (found[0] if found else _NO_SEPARATOR), at


def _note_lines(lines: list[str], base: Path) -> int:
    """How many of a CSV/TSV's first lines (its non-blank ones, ``lines``) are ``#`` notes above its header, which
    pandas would take for the header (``# made by me``: one column of that name): a line starting with ``#`` that
    names no existing file and whose first cell is not ``#`` itself beside others (a header's row-number column,
    ``#,path``; a lone ``#`` is a note's frame), and that holds no separator (:data:`_SEPARATORS`) or lies above a
    header that names the image column (:data:`_IMAGE_COLUMN_NAMES`: ``# made by me, 2024`` above ``path,label``)."""
    def cells(line: str) -> list[str]:
        return [c.strip().strip("\"'").lower() for c in re.split(f"[{re.escape(''.join(_SEPARATORS))}]", line)]

    def unquoted(line: str) -> str | None:  # a spreadsheet's note cell, quoted for its comma: '"# by me, 2026",,'
        m = re.fullmatch(f'\\s*"((?:[^"]|"")*)"[{re.escape(" ".join(_SEPARATORS))}]*', line)
        return m.group(1).replace('""', '"') if m else None

    header = next((line for line in lines if not (unquoted(line) or line).lstrip().startswith("#")), "")
    names_image = any(c in _IMAGE_COLUMN_NAMES for c in cells(header))
    n = 0
    for line in lines:
        quoted = unquoted(line)
        stripped = (quoted if quoted is not None else line).strip()
        one = quoted is not None or len(cells(stripped)) == 1  # no separator: no header of several columns
        if (not stripped.startswith("#") or (cells(stripped)[0] == "#" and not one) or _list_entry(stripped, base)
                or not (names_image or one)):
            break
        n += 1
    return n


#: the keys of pandas' ``to_json(orient='split')`` and ``orient='table'`` layouts, which datasets reads as one row
_PANDAS_JSON = {frozenset({"columns", "index", "data"}): "split", frozenset({"columns", "data"}): "split",
                frozenset({"schema", "data"}): "table"}


def _pandas_json(path: Path, ds):
    """A ``.json`` table ``ds`` (datasets' read of ``path``) row by row where it is one row that pandas wrote whole: by
    columns (``df.to_json(path)``, pandas' default: each column a {row: value} object; or ``{column: [values]}``, a
    ``json.dump`` of ``df.to_dict('list')``), by rows (``orient='index'``) or ``orient='split'`` / ``'table'``, read as
    pandas reads them; ``ds``
    otherwise (a list of records, JSON lines)."""
    import datasets
    import pandas as pd

    if len(ds) != 1:
        return ds
    row = ds[0]
    orient = _PANDAS_JSON.get(frozenset(row))
    if orient is None:
        lengths = {len(v) if isinstance(v, (dict, list)) else -1 for v in row.values()}
        if len(lengths) != 1 or min(lengths) < 1:  # one record, or columns of unequal lengths: not a frame's
            return ds
        if any(isinstance(v, dict) and set(v) <= {"bytes", "path"} for v in row.values()):
            return ds  # one record of an image ({bytes, path}: Dataset.to_json of one image), not columns
        # by rows (orient='index'): each key a row's label (pandas' default index: 0, 1, …), each value its record
        by_rows = all(str(k).isdigit() and isinstance(v, dict) for k, v in row.items())
        orient = "index" if by_rows else "columns"
    frame = pd.read_json(path, orient=orient, dtype=False, convert_dates=False)
    return datasets.Dataset.from_pandas(frame.astype(object).where(frame.notna(), None), preserve_index=False)


def _load_table(path: Path):
    """A file listing images (:data:`TABLE_SUFFIXES`) → its ``datasets.Dataset``, the image column then found as in
    any dataset (a column ``image``/``path``/``file``, or the one whose values are image paths or encoded images;
    relative paths are looked up from the table's folder, then the cwd; a CSV's separator read off its first line,
    :func:`_csv_separator`; a text table not in UTF-8 read as Windows-1252, :func:`_text_encoding`). A CSV/TSV whose
    first line holds an image
    path (in any column) has no header (every line is a row, that column ``path``); a ``.txt`` file is one path a line
    (blank and ``#`` comment lines passed over, quotes around a path dropped: :func:`_list_entry`), unless its first
    line that is no comment has no comma and a tab and is no file's name (Excel's 'Text (Tab delimited)'): a TSV then,
    its ``#`` comment lines passed over wherever they are, as a list's. One that cannot
    be read is a one-line :class:`UserError`, and so is one that lists no image (empty, blank, comments or a header
    alone)."""
    empty = f"{path}: a table of images that lists no image"
    if path.stat().st_size == 0:  # a list a script never filled
        raise UserError(f"{empty}: it is empty (0 bytes)")
    # found once (a whole read, and a Windows-1252 table's warning), for the read and the checks of a failed one
    encoding = None if path.suffix.lower() in (".parquet", ".arrow") else _text_encoding(path)
    try:
        ds = _read_table(path, encoding)
    except Exception as exc:  # noqa: BLE001 - pandas, pyarrow and datasets raise many types for a damaged file
        if encoding is not None and _blank_text(path, encoding):
            raise UserError(f"{empty}: it holds blank lines only") from None
        if _holds_no_row(path, encoding):  # a JSON [] or {}, a parquet or arrow file of no rows: 'no data'
            raise UserError(f"{empty} (no row)") from None
        raise UserError(f"{path}: a table of images that cannot be read ({_unread(path, exc, 'table')})") from None
    if len(ds) == 0:
        suffix = path.suffix.lower()
        listed = suffix == ".txt" and ds.column_names == ["path"]  # one path a line, not a tab table's header
        raise UserError(f"{empty} (no row" + (": comments and blank lines only)" if listed else " below its header)"
                                              if suffix in (".csv", ".tsv", ".txt") else ")"))
    return ds


def _table_head(path: Path, rows: int | None = None):
    """The first ``rows`` (:data:`GUESS_ROWS` where None) rows of a parquet or arrow (IPC stream or file) table of
    images as a ``datasets.Dataset``, its features those its schema declares (as :func:`_read_table`'s whole read gives
    them), its images undecoded: what :func:`check_source_readable` looks at (its columns, its image column guessed),
    the file neither read whole nor copied into the ``datasets`` cache (a table of encoded images may hold gigabytes).
    One that cannot be read so (damaged, empty): :func:`_load_table`'s, which says why in its words."""
    import datasets
    import pyarrow as pa

    rows = rows or GUESS_ROWS

    def first(batches, schema) -> pa.Table:
        taken, n = [], 0
        for batch in batches:
            taken.append(batch)
            n += batch.num_rows
            if n >= rows:
                break
        return pa.Table.from_batches(taken, schema=schema).slice(0, rows)

    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            with pq.ParquetFile(path) as file:  # closed once read (or the read fails), not left to the collector
                table = first(file.iter_batches(batch_size=rows), file.schema_arrow)
        else:
            with pa.memory_map(str(path)) as source:
                try:  # datasets writes IPC streams
                    reader = pa.ipc.open_stream(source)
                    table = first(reader, reader.schema)
                except pa.ArrowInvalid:
                    source.seek(0)
                    reader = pa.ipc.open_file(source)
                    table = first((reader.get_batch(i) for i in range(reader.num_record_batches)), reader.schema)
        if table.num_rows == 0:
            raise ValueError("no row")
        return datasets.Dataset(datasets.table.InMemoryTable(table))
    except Exception:  # noqa: BLE001 - pyarrow raises many types for a damaged file: the whole read says why
        return _load_table(path)


def _blank_text(path: Path, encoding: str) -> bool:
    """Whether a text table holds blank lines only (a byte-order mark, spaces, tabs, line ends), read in ``encoding``
    up to its first line with text."""
    with open(path, encoding=encoding, errors="replace") as f:
        return not any(line.strip("\ufeff \t\r\n") for line in f)


def _holds_no_row(path: Path, encoding: str | None) -> bool:
    """Whether a table that :func:`_read_table` did not read is one of no rows: a JSON ``[]`` or ``{}`` (read in
    ``encoding``, :func:`_text_encoding`'s), a parquet or arrow (IPC stream or file) file of none."""
    import pyarrow as pa

    suffix = path.suffix.lower()
    with contextlib.suppress(Exception):  # not so: the read's own error is said
        if suffix == ".json":
            return json.loads(path.read_text(encoding=encoding)) in ([], {})
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows == 0
        if suffix == ".arrow":
            for reader in (pa.ipc.open_stream, pa.ipc.open_file):
                with contextlib.suppress(Exception), pa.memory_map(str(path)) as source:
                    return reader(source).read_all().num_rows == 0
    return False


#: a Markdown table's rule line, under its header: ``|---|:--:|``, ``--- | ---``
_MARKDOWN_RULE = re.compile(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?")


def _markdown_start(path: Path, encoding: str) -> int | None:
    """The line number (from 0) of the first Markdown pipe table's header in ``path`` (:func:`_markdown_tables`),
    looked for in its first 1000 lines (its header near the top: a big CSV is not read twice); None where they hold
    no such table. What :func:`_is_table` asks."""
    with open(path, encoding=encoding, errors="replace") as f:
        head = [line.strip() for line in itertools.islice(f, 1000)]
    return next((start for start, _ in _markdown_tables(head)), None)


def _markdown_tables(lines: list[str]):
    """Each Markdown pipe table in ``lines`` (stripped), as (its header's index, its header and row lines): a line
    in ``|`` over a ``|---|---|`` rule, the table ending at its first line not in ``|``; or GitHub's table without
    outer pipes, a line ``path | label`` over a ``--- | ---`` rule of as many cells, ending at its first line holding
    no pipe."""
    i = 0
    while i + 1 < len(lines):
        line, rule = lines[i], lines[i + 1]
        outer = line.startswith("|")
        if "|" in line and "|" in rule and _MARKDOWN_RULE.fullmatch(rule) and (
                outer or len(_markdown_cells(line)) == len(_markdown_cells(rule))):
            rows = list(itertools.takewhile(lambda s, outer=outer: s.startswith("|") if outer else "|" in s,
                                            itertools.islice(lines, i + 2, None)))
            yield i, [line, *rows]
            i += 2 + len(rows)
        else:
            i += 1


def _markdown_cells(line: str) -> list[str]:
    """A Markdown table line's cells, its outer pipes (where written) dropped; ``\\|`` is a pipe in a cell."""
    row = line.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [cell.replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row)]


def _markdown_table(path: Path, encoding: str) -> tuple[str, list[int]] | None:
    """The rows of the Markdown pipe table of images in ``path`` (``| path | label |`` above a ``|---|---|`` rule,
    :func:`_markdown_tables`; a title, notes or prose around it passed over, and so are tables that name no image: a
    header cell that names no image column, :data:`_IMAGE_COLUMN_NAMES`, and no cell an image file), as a
    pipe-separated text for pandas without the outer pipes and the rule: each line was read as a path
    (``| a.png | 1 |``, no such file) or the header as a column named ``Unnamed: 0``; with the file's line number
    (from 1) of each of its lines. None where ``path`` holds no such table; a ``ValueError`` where it holds several
    tables of images (a train table and a test table: its first alone was read, the others dropped unsaid)."""
    if _markdown_start(path, encoding) is None:  # none near its top: a CSV, not read whole a second time
        return None
    lines = [line.strip() for line in path.read_text(encoding=encoding, errors="replace").splitlines()]
    tables = list(_markdown_tables(lines))

    def of_images(rows: list[str]) -> bool:
        header = [c.strip().lower() for c in _markdown_cells(rows[0])]
        return any(c in _IMAGE_COLUMN_NAMES for c in header) or any(
            Path(_markdown_cell(c).strip()).suffix.lower() in image_extensions()
            for row in rows[1:] for c in _markdown_cells(row))

    images = [(start, rows) for start, rows in tables if of_images(rows)]
    if len(images) > 1:
        raise ValueError(f"it holds {len(images)} tables of images (lines "
                         f"{', '.join(str(s + 1) for s, _ in images[:-1])} and {images[-1][0] + 1}): only one is read "
                         "from a file; keep one a file (a train table and a test table: one for --train-data, one "
                         "for --test-data)")
    start, table = (images or tables)[0]
    rows = ["|".join(_pipe_quoted(_markdown_cell(c)) for c in _markdown_cells(line)) for line in table]
    return "\n".join(rows), [start + 1, *range(start + 3, start + 2 + len(rows))]


#: a Markdown table's cell that is one code span, image or link: `` `a.png` ``, ``![a](a.png)``, ``[a](<my a.png>)``
_MARKDOWN_WRAPPED = re.compile(r'\s*(?:`+\s*([^`]+?)\s*`+|!?\[[^\]]*\]\(\s*(?:<([^>]+)>|(\S+))(?:\s+"[^"]*")?\s*\))\s*')


def _pipe_quoted(cell: str) -> str:
    """A Markdown table's cell for the pipe-separated text pandas reads: quoted where it holds a pipe (``x \\| y``,
    GitHub's escaped pipe, a ``|`` in the cell), which split it at the pipe, a ``x \\`` and a cell past the header's."""
    return '"' + cell.replace('"', '""') + '"' if "|" in cell else cell


def _markdown_cell(cell: str) -> str:
    """A Markdown table's cell as the text it stands for: the path in a code span, or an image's or link's target
    (percent-escapes undone, ``my%20photo.png``) — each read as a path, '`a.png`: no such file', before."""
    m = _MARKDOWN_WRAPPED.fullmatch(cell)
    if not m:
        return cell
    from urllib.parse import unquote

    return m.group(1) if m.group(1) is not None else m.group(2) or unquote(m.group(3))


def _counted_lines(lines: list[str]) -> list[int]:
    """The index in a CSV's ``lines`` of each line its parser counts (pandas' 'line N' of an error): every line but
    those that go on with a cell quoted over several lines (``a.png,"two`` then ``lines"``: one line to pandas)."""
    starts, quoted = [], False
    for i, line in enumerate(lines):
        if not quoted:
            starts.append(i)
        quoted ^= _turns_quote(line)
    return starts


def _turns_quote(line: str) -> bool:
    """Whether a CSV line opens a cell quoted over lines, or closes the one it goes on (an odd count of ``"``: a
    doubled quote in a quoted cell, ``""``, counts twice: no change)."""
    return line.count('"') % 2 == 1


def _read_table(path: Path, encoding: str | None):
    """:func:`_load_table`'s read of ``path``, a text table's in ``encoding`` (:func:`_text_encoding`'s; None for
    parquet and arrow), any error its caller's to say."""
    import datasets

    suffix = path.suffix.lower()
    if suffix in (".parquet", ".arrow", ".jsonl", ".json"):
        with contextlib.ExitStack() as stack:
            read = path
            if suffix in (".jsonl", ".json") and encoding != "utf-8-sig":
                # UTF-16 or Windows-1252 (as Windows PowerShell 5 saves JSON): read from a UTF-8 copy
                read = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="plbench-table-"))) / path.name
                read.write_text(path.read_text(encoding=encoding), encoding="utf-8")
            with _no_card_warning():
                builder = {".jsonl": "json"}.get(suffix, suffix[1:])
                ds = datasets.load_dataset(builder, data_files=str(read), split="train")
            return _pandas_json(read, ds) if suffix == ".json" else ds
    markdown, line_of = _markdown_table(path, encoding) or (None, None)  # '| path | label |' over '|---|---|'
    sep, skip = ("|", 0) if markdown is not None else _csv_separator(
        path, encoding, comments=suffix == ".txt", default="\t" if suffix == ".tsv" else None)
    if suffix == ".txt" and sep != "\t" and markdown is None:  # a tab makes it Excel's 'Text (Tab delimited)', a TSV
        lines = [_list_entry(line, path.parent) for line in path.read_text(encoding=encoding).splitlines()]
        return datasets.Dataset.from_dict({"path": [line for line in lines if line]},
                                          features=datasets.Features({"path": datasets.Value("string")}))
    import pandas as pd

    text = markdown
    # a tab table: its '#' comment lines passed over wherever they are, as a list's (a row
    if suffix == ".txt" and markdown is None:  # naming a file, '#1.png', kept), the header's line
        kept, quoted = [], False  # a line inside a cell quoted over lines is the cell's, '#' or not
        with open(path, encoding=encoding, newline="") as f:
            for i, line in enumerate(f):  # counted as _csv_separator counts it
                if i >= skip and (quoted or not (line.lstrip().startswith("#")
                                                 and not _list_entry(line.split("\t")[0], path.parent))):
                    kept.append((i + 1, line.rstrip("\r\n")))
                    quoted ^= _turns_quote(line)  # as _counted_lines reads it
        text, line_of = "\n".join(line for _, line in kept), [i for i, _ in kept]

    def csv(**kw):
        source = io.StringIO(text) if text is not None else path
        return pd.read_csv(source, sep=sep, dtype=str, keep_default_na=False,
                           **({} if text is not None else {"encoding": encoding, "skiprows": skip}), **kw)

    def uneven(exc: pd.errors.ParserError, **kw) -> ValueError | None:
        """A row of more cells than the header's, below the first (pandas' 'Expected 2 fields in line 3, saw 3'
        was the whole message), said by the file's line, its cells and the header's columns; None for another."""
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m is None:
            return None
        expected, line, saw = map(int, m.groups())
        # pandas counts a row whose quoted cell spans lines (a caption of two lines) as one line: the line it starts on
        if text is not None:
            read_lines = text.split("\n")
        else:
            with open(path, encoding=encoding, newline="") as f:
                read_lines = re.split(r"\r\n|\r|\n", f.read())
        starts = _counted_lines(read_lines)
        line = starts[line - 1] + 1 if 0 < line <= len(starts) else line
        if line_of is not None:  # a text built from the file (a Markdown table's rows, a tab table without comments)
            line = line_of[line - 1] if 0 < line <= len(line_of) else line
        names = []
        with contextlib.suppress(Exception):
            names = [str(c).strip() for c in csv(nrows=0, index_col=False, **kw).columns]
        # no header (its first row an image's, as read below): the first row's cells, and a header line to add
        headed = kw.get("header", "infer") is not None and len(names) == expected and not any(
            Path(n).suffix.lower() in image_extensions() for n in names)
        return ValueError(f"line {line} holds {saw} cells, more than the {expected} "
                          + (f"columns ({', '.join(names)}) its header line names: name each column in its header "
                             "line" if headed else "cells of its first row: add a header line naming each column")
                          + ", or remove the cells past them")

    def read(**kw):
        # index_col=False: rows of one cell more than the header (a separator ending each row, as scripts write
        # them: 'a.png,1,') were read with their first cells as pandas' index, every column shifted one to the left
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            try:
                frame = csv(index_col=False, **kw)
            except pd.errors.ParserError as exc:
                raise (uneven(exc, **kw) or exc) from None
        if not any(issubclass(w.category, pd.errors.ParserWarning) for w in said):
            return frame
        names = ", ".join(map(str, frame.columns))
        wide = csv(**kw)  # pandas' own read: the cells past the header's taken from the front, as row names
        k = wide.index.nlevels if not isinstance(wide.index, pd.RangeIndex) else 0
        past = wide.iloc[:, -min(k, wide.shape[1]):] == "" if k else None  # the cells past the header's, empty
        if k and not past.all().all():
            # R's write.table: a row name first in every row, none in its header ('1', not an image's path)
            if k == 1 and not past.any().any() and not any(Path(str(n)).suffix.lower() in image_extensions()
                                                           for n in wide.index):
                log.info("%s: each row holds one cell more than its header names (%s): its first, a row name "
                         "(R's write.table), is not read", path, names)
                return wide.reset_index(drop=True)
            if k > 1:
                raise ValueError(f"its rows hold {k} cells more than its header names ({names}), not empty: name each "
                                 "column in its header line")
            # one cell past the header, filled in some rows (or beside the paths in all): data dropped, said as such
            filled = [i for i, empty in enumerate(past.iloc[:, 0]) if not empty]
            rows = "every row below its header holds" if len(filled) == len(wide) else \
                f"{agree(len(filled), 'row', 'rows')} {', '.join(str(i + 1) for i in filled[:10])}" \
                f"{', …' if len(filled) > 10 else ''} below its header {agree(len(filled), 'holds', 'hold')}"
            cells = ", ".join(f"{frame.iloc[i, 0]}: {wide.iloc[i, -1]!r}" for i in filled[:3])
            log.warning("%s: %s a filled cell past the %d columns it names (%s), not read (%s%s): name its column in "
                        "the header line to read it", path, rows, len(frame.columns), names, cells,
                        ", …" if len(filled) > 3 else "")
            return frame
        log.info("%s: rows with more cells than its header names (%s): the cells past them are not read", path,
                 names)
        return frame

    def stripped(frame):  # 'a.png | 1' (a hand-aligned table's): cells and names without the spaces around them, as
        # a .txt list's lines are read (_list_entry)
        return frame.apply(lambda col: col.str.strip()).rename(columns=lambda c: c.strip() if isinstance(c, str) else c)

    table = stripped(read())
    # a header cell that is an image path (in any column: captions first, paths second) means no header
    named = [i for i, c in enumerate(table.columns) if Path(str(c).strip()).suffix.lower() in image_extensions()]
    if named:
        table = stripped(read(header=None))
        table.columns = ["path" if i == named[0] else f"column_{i}" for i in range(len(table.columns))]
    # a '# …' note line among the rows (its other cells empty) is no image; a file named '#1.png' is
    first = table.iloc[:, 0].fillna("") if len(table.columns) else None
    if first is not None and first.str.startswith("#").any():
        note = (first.str.startswith("#") & (table.iloc[:, 1:].fillna("") == "").all(axis=1)
                & first.map(lambda cell: not _list_entry(cell, path.parent)))
        table = table[~note].reset_index(drop=True)
    return datasets.Dataset.from_pandas(table, preserve_index=False)


def _load_saved(spec: DataSpec):
    """A ``save_to_disk`` folder → the ``datasets.Dataset`` of the spec's split (only that split is
    read). An empty, damaged or incomplete one is a one-line :class:`UserError` naming what is wrong."""
    import datasets
    import pyarrow as pa

    root = Path(spec.source).expanduser()
    splits = saved_splits(root)
    if splits is None:
        if spec.split:
            raise UserError(f"saved dataset {spec.source} is a single Dataset, with no splits: drop ':{spec.split}'")
        folder, where = root, spec.source
    else:
        split = spec.split or default_split(spec, splits, None)
        if split not in splits:
            raise UserError(f"saved dataset {spec.source} has splits {', '.join(splits)}; got {split!r}"
                            + (did_you_mean(split, splits) or  # else the sources to write instead
                               f" (pass one of them: {', '.join(f'{spec.source}:{s}' for s in splits)})"))
        folder, where = root / split, f"{spec.source}:{split}"
    state = _read_json(folder / "state.json")
    if not isinstance(state, dict) or not isinstance(state.get("_data_files"), list):
        problem = ("has no state.json" if not (folder / "state.json").exists()
                   else "has a state.json that is not datasets'")
        raise UserError(f"{folder} is not a readable saved dataset: it {problem}"
                        + ("" if splits is not None else " and holds no image file"))
    names = [f.get("filename", "?") if isinstance(f, dict) else str(f) for f in state["_data_files"]]
    if not names:
        raise UserError(f"saved dataset {where} holds no rows")
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise UserError(f"saved dataset {where} is incomplete: {', '.join(missing[:3])} "
                        f"{agree(len(missing), 'is', 'are')} missing from {folder}")
    try:
        ds = datasets.Dataset.load_from_disk(str(folder))
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as exc:
        bad, why = _damaged_file(folder, names)
        what = f"{bad} cannot be read ({why})" if bad else f"cannot be read ({first_line(exc)})"
        raise UserError(f"saved dataset {where} is damaged: {what}") from None
    if len(ds) == 0:
        raise UserError(f"saved dataset {where} holds no rows")
    return ds


def _damaged_file(folder: Path, names: list[str]) -> tuple[str | None, str]:
    """The first of a saved dataset's .arrow files that pyarrow cannot read through, and why."""
    import pyarrow as pa

    for n in names:
        try:
            with pa.memory_map(str(folder / n)) as src:
                pa.ipc.open_stream(src).read_all()
        except Exception as exc:  # noqa: BLE001 - pyarrow raises OSError, ArrowInvalid, …
            return n, _unread(folder / n, exc)
    return None, ""


#: column dtypes read as file paths (strings) or encoded image files (binary), besides ``datasets.Image``
_PATH_OR_BYTES = ("string", "large_string", "binary", "large_binary")


def _is_image(feat) -> bool:
    """A ``datasets.Image`` feature, or the struct it is stored as (``{bytes, path}``: parquet written
    without Hugging Face's feature metadata)."""
    import datasets

    return isinstance(feat, datasets.Image) or (isinstance(feat, dict) and set(feat) == {"bytes", "path"})


def _array_dtype(feat) -> str | None:
    """The value type of a column of arrays two or three deep (H×W, H×W×C or C×H×W: nested lists, what
    ``Dataset.from_dict`` makes of numpy images, or an ``Array2D``/``Array3D``), else None."""
    import datasets

    if isinstance(feat, (datasets.Array2D, datasets.Array3D)):
        return feat.dtype
    depth = 0
    while hasattr(feat, "feature") and not isinstance(feat, datasets.Value):
        feat, depth = feat.feature, depth + 1
    return feat.dtype if isinstance(feat, datasets.Value) and depth in (2, 3) else None


def _is_pixel_array(feat) -> bool:
    """A column of pixel arrays (:func:`_array_dtype`) of a value type that is read (:data:`PIXEL_DTYPES`)."""
    return _array_dtype(feat) in PIXEL_DTYPES


_PIXEL_ARRAYS = "uint8 0..255, uint16 0..65535, or float16/32/64 in [0, 1]"


def _is_encoded_image(value) -> bool:
    """Whether ``value`` is the bytes of an image file: a signature of :data:`_MAGIC`, an ISO media one (HEIC,
    AVIF) or any Pillow opens (a column of other bytes, an embedding or a JSON blob, is not an image column)."""
    from PIL import Image

    if not isinstance(value, bytes | bytearray) or not value:
        return False
    if value.startswith(tuple(_MAGIC)) or value[4:8] == b"ftyp":
        return True
    try:
        with Image.open(io.BytesIO(value)):
            return True
    except Exception:  # noqa: BLE001 - Pillow raises many types for bytes that are no image
        return False


#: names of an image column that say it holds a paired set's clean images (its ground truth), beside an ``image`` one
CLEAN_NAMES = frozenset({"gt", "ground_truth", "groundtruth", "clean", "target", "sharp", "hr", "hq", "gt_image",
                         "clean_image", "target_image"})

#: what a column's name may add after saying what it holds (``gt_path``, ``hr_file``, ``clean_img``: BasicSR's meta
#: files, paired sets' CSVs), read off before :data:`CLEAN_NAMES` is asked
_COLUMN_SUFFIXES = ("_path", "_paths", "_file", "_files", "_filename", "_file_name", "_bytes", "_img", "_image",
                    "_images")


def _names_clean(column: str) -> bool:
    """Whether a column's name says it holds a paired set's clean images: one of :data:`CLEAN_NAMES`, bare or with a
    suffix of :data:`_COLUMN_SUFFIXES` (``gt_path``, ``HR_file``)."""
    name = str(column).lower()
    return name in CLEAN_NAMES or any(name.endswith(suffix) and name[: -len(suffix)] in CLEAN_NAMES
                                      for suffix in _COLUMN_SUFFIXES)


#: the rows the image-column guess looks at for a first value of each candidate column (an empty cell is passed over)
GUESS_ROWS = 16


def _first_is_image(ds, col: str) -> bool:
    """Whether the first value of column ``col`` (of file paths or bytes) in its first :data:`GUESS_ROWS` rows is an
    encoded image or a path with an image suffix (not a class name or a caption)."""
    column = ds.select_columns([col])
    for i in range(min(len(ds), GUESS_ROWS)):
        v = column[i][col]
        if v is not None:
            return _is_encoded_image(v) or (isinstance(v, str) and Path(v.strip()).suffix.lower() in image_extensions())
    return False


def _nested_images(features) -> tuple[list[str], list[str]]:
    """(columns of lists of images: ``Sequence(Image)``, struct fields holding an image by their dotted names:
    ``sample.img``, as ``Dataset.flatten`` names them) of a dataset's features: images not one a row's cell."""
    lists, fields = [], []
    for name, feat in features.items():
        inner = getattr(feat, "feature", None)  # Sequence / List
        if inner is not None and _holds_image(inner):  # of images, or of structs or lists holding one
            lists.append(name)
        elif isinstance(feat, dict) and not _is_image(feat):
            sub_lists, sub_fields = _nested_images(feat)
            fields += [f"{name}.{sub}" for sub, f in feat.items() if _is_image(f)] + [f"{name}.{f}" for f in sub_fields]
            lists += [f"{name}.{sub}" for sub in sub_lists]
    return lists, list(dict.fromkeys(fields))


def _holds_image(feat) -> bool:
    """Whether a feature is an image or a struct or list holding one, however deep."""
    if _is_image(feat):
        return True
    if isinstance(feat, dict):
        return any(map(_holds_image, feat.values()))
    inner = getattr(feat, "feature", None)
    return inner is not None and _holds_image(inner)


def _lists_of_images(spec: DataSpec, lists: list[str]) -> UserError:
    return UserError(f"dataset {spec.source!r}: {', '.join(map(repr, lists))} holds lists of images (several a row); "
                     "one image a row is read: make a dataset of one image a row (or save the images to a folder)")


def _image_column(ds, spec: DataSpec) -> str:
    import datasets

    if spec.image_column:
        col = spec.image_column
        lists, fields = _nested_images(ds.features)
        if col in lists:
            raise _lists_of_images(spec, [col])
        if inside := [f for f in fields if f.startswith(col + ".")]:  # the struct itself named: its image's field
            raise UserError(f"dataset {spec.source!r}: column {col!r} is a struct; name its image field with "
                            f"{' or '.join(repr('#' + f) for f in inside[:3])}")
        if col not in ds.column_names:
            raise UserError(f"dataset {spec.source!r} has no column {col!r}{did_you_mean(col, ds.column_names)} "
                            f"(columns: {', '.join(ds.column_names)})")
        feat = ds.features[col]
        if not _is_image(feat) and not _is_pixel_array(feat) and getattr(feat, "dtype", None) not in _PATH_OR_BYTES:
            kind = (f"arrays ({type(feat).__name__})" if not isinstance(feat, datasets.Value)
                    else f"{feat.dtype} values")
            if _array_dtype(feat):
                kind = f"arrays of {_array_dtype(feat)}"
            raise UserError(f"column {col!r} of {spec.source} holds {kind}, not images, encoded image bytes, "
                            f"file paths or pixel arrays ({_PIXEL_ARRAYS})")
        return col
    preferred = _IMAGE_COLUMN_NAMES[:3]  # image columns by name; path/file name columns of paths
    images = [name for name, feat in ds.features.items() if _is_image(feat)]
    if len(images) > 1:  # e.g. lr and hr: the clean one is not necessarily the first
        pick = next((n for n in preferred if n in images), None)
        # image beside gt (a paired set's input and its ground truth): the names say the other one is clean
        clean = [n for n in images if n != pick and _names_clean(n)]  # gt, gt_img, hr_image, …
        if pick is None or clean:
            named = f", and {clean[0]!r} is named as the clean one" if clean else ""
            raise UserError(f"dataset {spec.source!r} has several image columns ({', '.join(images)}){named}: "
                            "name the one holding the clean images with '#COLUMN'")
        log.info("%s: using image column %r of %s (name another with '#COLUMN')", spec, pick, ", ".join(images))
        return pick
    if images:
        return images[0]
    for name in _IMAGE_COLUMN_NAMES:  # columns holding file paths or encoded image bytes
        if name in ds.column_names and getattr(ds.features[name], "dtype", None) in _PATH_OR_BYTES:
            # image paths beside gt paths (a paired set): the names say the other column holds the clean images
            clean = [n for n in ds.column_names if n != name and _names_clean(n)
                     and getattr(ds.features[n], "dtype", None) in _PATH_OR_BYTES and _first_is_image(ds, n)]
            if clean:
                raise UserError(f"dataset {spec.source!r} has several columns that may hold its images ({name!r}, "
                                f"{', '.join(map(repr, clean))}), and {clean[0]!r} is named as the clean one: name the "
                                "one holding the clean images with '#COLUMN'")
            return name
    arrays = [name for name, feat in ds.features.items() if _is_pixel_array(feat)]  # Dataset.from_dict of numpy
    pick = next((n for n in preferred if n in arrays), arrays[0] if len(arrays) == 1 else None)
    if pick is not None:
        return pick
    # under another name (image_bytes, filepath, jpg, …): the one column whose first value is an encoded image
    # (bytes with an image format's signature) or a path with an image suffix; said, with how to name another.
    # Two such columns (photos' paths beside their masks' PNG bytes) are not guessed between
    # Only those columns are read: another column (a depth map or an embedding as nested lists, a video's bytes) can
    # be megabytes that datasets turns into Python objects for nothing. Of each, the first value that is there in
    # the first rows (a scraped set's first image may be a null cell: its download failed)
    candidates = [n for n, f in ds.features.items() if getattr(f, "dtype", None) in _PATH_OR_BYTES]
    first, missing = {}, list(candidates)
    for i in range(min(len(ds), GUESS_ROWS)):  # row by row, each only of the columns still without a value
        if not missing:
            break
        row = ds.select_columns(missing)[i]
        first.update({n: v for n, v in row.items() if v is not None})
        missing = [n for n in missing if n not in first]
    exts = image_extensions()
    binary = [n for n in candidates if ds.features[n].dtype in ("binary", "large_binary")
              and _is_encoded_image(first.get(n))]
    paths = [n for n in candidates if ds.features[n].dtype in ("string", "large_string")
             and isinstance(v := first.get(n), str) and Path(v.strip()).suffix.lower() in exts]
    if len(binary) + len(paths) > 1:  # lq_path beside gt_path: asked for, the one named as the clean one said
        both = ", ".join(repr(n) for n in ds.column_names if n in binary + paths)
        clean = [n for n in ds.column_names if n in binary + paths and _names_clean(n)]
        named = f", and {clean[0]!r} is named as the clean one" if len(clean) == 1 else ""
        raise UserError(f"dataset {spec.source!r} has several columns that may hold its images ({both}){named}: name "
                        "the one holding the clean images with '#COLUMN'")
    if binary or paths:
        pick = (binary + paths)[0]
        log.info("%s: reading images from column %r (%s; name another with '#COLUMN')", spec, pick,
                 "encoded image bytes" if binary else "file paths")
        return pick
    other = [f"{n!r} holds arrays of {_array_dtype(f)}" for n, f in ds.features.items() if _array_dtype(f)]
    if other:  # numpy images of a type that is not read (int64, int32, …): the column is there, its type is not
        raise UserError(f"dataset {spec.source!r} has no image column read here: {', '.join(other[:3])}; pixel "
                        f"arrays are read as {_PIXEL_ARRAYS}: cast the column (Dataset.cast_column) or save the "
                        "images as files")
    lists, fields = _nested_images(ds.features)
    if fields:  # an image inside a struct column: read by its dotted name (the flattened column)
        raise UserError(f"dataset {spec.source!r} has no image column, but a struct column holds one: name it with "
                        f"{' or '.join(repr('#' + f) for f in fields[:3])}")
    if lists:
        raise _lists_of_images(spec, lists)
    raise UserError(f"dataset {spec.source!r} has no image column; name one with '#COLUMN' "
                    f"(columns: {', '.join(ds.column_names)})")


# Planning compares images on one torch intra-op thread (@torch_threads(1), the previous count given back after):
# thumbnails, casts and means of one image at a time are small operations that two threads slow down where other jobs
# use the cores, spinning at each one's end (the standard profile's overlap check: 27 s on two threads of a busy 2-core
# machine, 3.3 s on one, a third of the CPU time); one thread's float reductions also no longer depend on the thread
# count, though still on the CPU's vector kernels (AVX2, AVX-512, NEON sum in other orders), which is why workers take
# the driver's hold-outs (DataCache.holdouts) rather than compare again.


def load_images(spec: DataSpec) -> list[ImageRecord]:
    """Decode every image of a source. Corrupt files are logged by name and skipped; a source
    that yields no image at all is a :class:`UserError`. A part of a hold-out is :func:`holdout_part` of its whole
    source's images."""
    if spec.holdout:
        return holdout_part(spec, load_images(dataclasses.replace(spec, holdout=None, max_images=None)))
    with _quiet_datasets():
        return _load_images(spec)


def near_copy_pairs(train: list[ImageRecord], test: list[ImageRecord], memo: dict | None = None
                    ) -> list[tuple[ImageRecord, ImageRecord]]:
    """(test image, training image) for each image of ``test`` that :meth:`DataCache.overlap` names a near copy of one
    of ``train`` (saved again, resized or cut from it; an identical or turned copy shares its :func:`upright_hash`),
    and for each training image cut from a test image (a crop trained on is the test photo's pixels too), either cut
    and saved again (:func:`_reencoded_both_ways`). ``memo``: a
    dict kept across calls on the same records (:func:`holdout_split`'s rounds): each image's sketches, thumbnails
    and crop-index keys, and each pair's whole comparison, are made once (:func:`_kept`), not once a call."""
    pairs: list[tuple[ImageRecord, ImageRecord]] = []
    names, found = {None: ""}, set()
    for find in (DataCache._near_copies, DataCache._scaled_copies, _cropped_copies):
        found |= set(find(train, {None: test}, names, found, pairs, memo=memo))
    _cut_from_test(train, {None: test}, names, set(), pairs, memo=memo)
    _reencoded_both_ways(train, {None: test}, names, found, pairs, memo=memo)
    return pairs


@torch_threads(1)
def holdout_split(whole: list[ImageRecord], share: float, key_of=None, spec: DataSpec | None = None,
                  groups: dict[str, str] | None = None, settled: bool = False, small: int = 0) -> list[bool]:
    """Whether each image of ``whole`` is in the held-out ``share`` % of its source (:func:`held_out`, of its images'
    :func:`upright_hash`, ``key_of`` a record's: a cache's, so each image is hashed once). Near copies (saved again,
    resized or cut from one: :func:`near_copy_pairs`) are one image, as copies are: the split is drawn, the near copies
    it leaves across are joined to their image's group (keyed by the group's least hash), and it is drawn again, until
    none is left across; the images are compared in their keys' order, so neither file order nor names count. A source
    of fewer than two distinct images cannot be split: a :class:`UserError` (``spec`` names it). ``groups``: a dict
    that holds, and is given, the joins (a key → an earlier key of its near copies' group; keys not joined are not in
    it); ``settled``: those joins are a driver's final ones (:meth:`DataCache.holdouts`), the split is drawn from them
    once and no image is compared: a worker's detectors, rounding otherwise on another machine, cannot draw another.
    An image under :data:`MIN_IMAGE_SIDE` px on a side (never trained on; a ``modcrop=true`` task tests on it) is held
    out and neither counted nor ranked: the others split as they did before such images were loaded (``small``: how many
    there were, for the refusal of too few others to name them)."""
    tiny = [min(r.size) < MIN_IMAGE_SIDE for r in whole]
    if any(tiny):
        rest = iter(holdout_split([r for r, t in zip(whole, tiny) if not t], share, key_of, spec, groups, settled,
                                  small=sum(tiny)))
        return [t or next(rest) for t in tiny]
    key_of = key_of or (lambda r: upright_hash(r.pixels))
    keys = [key_of(r) for r in whole]
    group = {} if groups is None else groups  # a key → an earlier key of its near copies' group (the least: its root)

    def root(k):
        while k in group:
            k = group[k]
        return k

    order = sorted(range(len(whole)), key=keys.__getitem__)
    where = {id(r): i for i, r in enumerate(whole)}
    memo: dict = {}  # the images' sketches and pairs compared, for every round (a chain of near copies: many rounds)
    while True:
        roots = [root(k) for k in keys]
        distinct = len(set(roots))
        if distinct < 2 and len(set(keys)) > 1:  # distinct images, joined by near copies into one group
            raise UserError(f"{spec}: a hold-out needs at least 2 distinct images, and the {len(whole)} images read "
                            f"are {len(set(keys))} distinct images chained into one group of near copies, each within "
                            f"{NEAR_COPY_PSNR:.0f} dB of another, saved again, resized or cut from it (a burst, video "
                            "frames): none can be held out without a near copy of it trained on; split the folder "
                            "yourself (frames by time, say) into two given as --train-data and --test-data, or test "
                            "on another source")
        if distinct < 2:
            under = (f", not counting {plural(small, 'image')} under {MIN_IMAGE_SIDE} px on a side, never trained on"
                     if small else "")
            raise UserError(f"{spec}: a hold-out needs at least 2 distinct images, and its source has {distinct} "
                            f"({plural(len(whole), 'image')} read{under}; copies, turned, mirrored or near copies too, "
                            "are one): "
                            "test on another source")
        test = held_out(roots, share)
        held = [h in test for h in roots]
        if settled:
            return held
        pairs = near_copy_pairs([whole[i] for i in order if not held[i]], [whole[i] for i in order if held[i]], memo)
        if not pairs:
            _say_uneven_share(held, share, distinct, spec)
            return held
        for t, r in pairs:
            a, b = root(keys[where[id(t)]]), root(keys[where[id(r)]])
            if a != b:
                group[max(a, b)] = min(a, b)


def _say_uneven_share(held: list[bool], share: float, distinct: int, spec: DataSpec | None) -> None:
    """A WARNING where :func:`holdout_split`'s answer ``held`` holds out far from ``share`` % of the images (off by over
    half the share, and over 2 images): a large group of copies or near copies (a burst, video frames, one photo's
    many edits, its near copies chained one to the next) falls on one side whole, so the share is of ``distinct``
    groups, not of the images, and the user should know before testing on it."""
    n, k = len(held), sum(held)
    want = min(n - 1, max(1, (round(share * 100) * n + 5_000) // 10_000))  # as held_out, were every image distinct
    if abs(k - want) > max(2, want / 2):
        log.warning("%s: %d of %s held out (%.0f%%), not about %d: copies and near copies of one another fall "
                    "on one side together, and they make %d groups of these %d images (a burst, video frames, one "
                    "photo's edits); to choose the test images, split the folder yourself", spec or "a hold-out", k,
                    plural(n, "image"), 100 * k / n, want, distinct, n)


def holdout_part(spec: DataSpec, whole: list[ImageRecord], key_of=None, held: list[bool] | None = None
                 ) -> list[ImageRecord]:
    """The images of ``whole`` (its source's, decoded once for both parts: :class:`DataCache`) in ``spec``'s part of
    its hold-out (:func:`holdout_split`, or ``held``, its answer for ``whole``), in order, under the ids the whole
    source gives them, at most ``spec.max_images`` (:func:`capped`). ``key_of``: :func:`upright_hash` of a record."""
    share, part = spec.holdout
    held = held if held is not None else holdout_split(whole, share, key_of, spec)
    keep = [r for r, h in zip(whole, held) if h == (part == "test")]
    log.info("%s: %s read, the %s part of its %g%% hold-out (%d of %s held out, ranked by their "
             "pixels' hash; copies, turned, mirrored or near copies too, on one side); %d of the other part passed "
             "over", spec, plural(len(keep), "image"), part, share, sum(held), plural(len(whole), "image"),
             len(whole) - len(keep))
    return capped(keep, spec.max_images)


def capped(records: list[ImageRecord], max_images: int | None) -> list[ImageRecord]:
    """The first ``max_images`` of ``records`` of :data:`MIN_IMAGE_SIDE` px or more a side, with the smaller ones among
    them (never trained on, so not counted: a cap gives the images it gave before those were loaded); all of them where
    ``max_images`` is None."""
    if max_images is None:
        return records
    big = 0
    for i, r in enumerate(records):
        if big == max_images:
            return records[:i]
        big += min(r.size) >= MIN_IMAGE_SIDE
    return records


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
    ds = load_raw(spec, rows=spec.max_images)
    more = None
    if spec.max_images is not None and spec.kind in ("files", "hub") and len(ds) == spec.max_images:
        def more(rows: int):  # the first rows were streamed: where some are no image, the rows after them are read too
            log.info("%s: fewer than %d of its first rows read as images: reading its first %d", spec, spec.max_images,
                     rows)
            return load_raw(spec, rows=rows)
    return _decoded(spec, ds, more)


def _prepared(spec: DataSpec, ds, col: str | None = None):
    """(ds, col, mode, arrays, id_col, name_col): ``ds`` (:func:`load_raw`'s) as :func:`_decoded` reads it — only its
    image column ``col`` (:func:`_image_column` where None), images undecoded, pixel arrays as numpy, its id column
    and the column its rows are named by in messages (the id column, else a file name's: :data:`_NAME_COLUMNS`) —
    with the mode its image feature declares and the dtype of its pixel arrays (or None)."""
    import datasets

    if spec.image_column and spec.image_column not in ds.column_names and "." in spec.image_column:
        ds = ds.flatten()  # a struct's field: #sample.img (datasets' flattened name)
    col = col or _image_column(ds, spec)
    mode = None
    if isinstance(ds.features[col], datasets.Image):
        mode = ds.features[col].mode  # Image(mode='L'): what datasets converts each image to (read off before cast)
        ds = ds.cast_column(col, datasets.Image(decode=False))
    # an id column holds one value a row (text, a number, a class label): one of records or lists (a name per language)
    # is none; and the image column is its own only where it holds text (a saved Dataset of `file_name` paths): one of
    # images (a `file_name` column cast to Image: bytes and a stored name) gives its ids as a column named `image` does
    id_col = next((c for c in ("image_id", "file_name", "name", "id") if c in ds.column_names
                   and (_is_text(ds.features[c]) if c == col else _is_one_value(ds.features[c]))), None)
    name_col = id_col or next((c for c in _NAME_COLUMNS if c in ds.column_names and c != col), None)
    # only the columns used: another image column (a mask, an lr beside hr) is neither decoded for nothing
    # nor, where one of its pictures is damaged, a crash out of this loop
    ds = ds.select_columns(list(dict.fromkeys(c for c in (col, id_col, name_col) if c)))
    arrays = _array_dtype(ds.features[col]) if _is_pixel_array(ds.features[col]) else None
    if arrays:  # pixels as nested lists: read them as numpy arrays (of their column's type, which numpy may widen)
        ds = ds.with_format("numpy", columns=[col], output_all_columns=True)
    return ds, col, mode, arrays, id_col, name_col


def _is_text(feat) -> bool:
    """Whether a column's feature is text (``datasets.Value('string')``, ``large_string``)."""
    import datasets

    return isinstance(feat, datasets.Value) and feat.dtype in ("string", "large_string")


def _is_one_value(feat) -> bool:
    """Whether a column's feature holds one value a row: text, a number or a class label (not a record, a list, an
    image or bytes: a UUID stored as 16 bytes would be "b'\\x12…'" in every id)."""
    import datasets

    if isinstance(feat, datasets.Value):
        return feat.dtype not in ("binary", "large_binary")
    return isinstance(feat, datasets.ClassLabel)


#: columns that name a dataset's rows in messages, where no id column (``image_id``, ``file_name``, …) does: a skipped
#: row is '``dog.png`` (row 1)', not 'row 1'; they do not make its image ids
_NAME_COLUMNS = ("filename", "file", "image_name", "img_name", "fname", "key", "__key__", "uid", "image_key")


def _decoded(spec: DataSpec, ds, more=None) -> list[ImageRecord]:
    """The images of ``ds`` (:func:`load_raw`'s), decoded, at most ``spec.max_images``. ``more``: where ``ds`` is the
    first rows of a longer split, a callable that returns the whole split, called only where those rows hold too
    few images; its rows after them are read on."""
    ds, col, mode, arrays, id_col, name_col = _prepared(spec, ds)
    # relative paths: from the saved dataset's folder (a table's) first
    base = {"saved": Path(spec.source).expanduser(), "table": Path(spec.source).expanduser().parent}.get(spec.kind)
    rows = enumerate(ds)
    if more is not None:
        def rest(start: int):  # lazily: only where the first rows ran out before the cap was reached (asked
            # for the row after them whatever they held: checked here, not streamed again for nothing)
            # the first 2n + 16 rows (a hub id offline: all), new ones read on
            while len(records) - len(small) < spec.max_images:
                longer = _prepared(spec, more(2 * start + 16), col)[0]
                if len(longer) <= start:  # a split of just the rows read
                    return
                yield from zip(itertools.count(start), longer.select(range(start, len(longer))))
                if len(longer) < 2 * start + 16:
                    return
                start = len(longer)

        rows = itertools.chain(rows, rest(len(ds)))
    records, keys, bad, small, notes, whys, paths = [], [], [], [], {}, {}, set()
    in_ram, spill = 0, _Spill(spec)
    total = len(ds) if spec.max_images is None else min(len(ds), spec.max_images)
    started = said = time.monotonic()
    for i, row in rows:
        # the cap counts images of MIN_IMAGE_SIDE px or more (those under it, kept among them, are never trained on):
        # a capped source holds the images it held before small ones were loaded
        if spec.max_images is not None and len(records) - len(small) >= spec.max_images:
            break
        if i and (now := time.monotonic()) - said >= DECODE_REPORT_S:  # minutes of a big source: not silent
            # of max_images, the images kept count (rows skipped, a non-image file among them, do not bring it closer)
            log.info("%s: %d of %s read (%.0f s)", spec, i if spec.max_images is None else len(records),
                     plural(total, "image"), now - started)
            said = now
        value = row[col]
        if isinstance(value, str):  # a file URL (file:///a/my%20photos/b.png), a table written on Windows: photos\a.png
            value = _windows_relative(file_url_path(value) or value, base)
        if arrays and value is not None:
            value = np.asarray(value).astype(arrays)
        path = value.get("path") if isinstance(value, dict) else (value if isinstance(value, str) else None)
        # a row of bytes or pixels named by its dataset's name for it where there is one: 'dog.png (row 1)'
        where = path or (f"{row[name_col]} (row {i})" if name_col and row[name_col] not in (None, "") else f"row {i}")
        try:
            pixels = decode_image(value, where, base, notes)
        except Exception as exc:  # noqa: BLE001 - PIL raises many types for bad files
            bad.append(where)
            if path:
                paths.add(where)
            whys.setdefault(" ".join(str(exc).split()) or type(exc).__name__, where)
            if len(bad) <= MAX_NAMED_UNREADABLE:
                log.warning("skipping %s: %s", f"unreadable image {path}" if path else where, exc)
            continue
        if mode:
            pixels = declared_mode(pixels, mode, where, notes)
        if min(pixels.shape[-2:]) < MIN_IMAGE_SIDE:  # kept: a task with modcrop=true may test on it
            small.append(f"{Path(path).name if path else where} ({pixels.shape[-1]}×{pixels.shape[-2]})")  # W×H
        # an id column that is the image column's absolute paths (a saved Dataset of `file_name`s written on this
        # machine), or that repeats them beside it (`image` cast from those paths, `file_name` the same paths), gives no
        # id: its path does, as a folder's would, not the machine's folders (in the fingerprint)
        given = _given_id(row[id_col]) if id_col else None
        given = (isinstance(given, str) and windows_relative(given, base)) or given  # photos\a.png: photos/a.png
        own = _own_path(given, path, id_col == col)
        if given is not None and own is None:
            keys.append((i, str(given), None, None))
        elif own or path:
            # a path stored on Windows with the image's bytes (C:\Users\me\a.png) read as one: its name, not a
            # file name holding that machine's folders
            path = path and (windows_absolute(path) or windows_relative(path, base) or path)
            named = Path(archive_member_name(own or path))  # a file in an archive: its own name, not the archive's
            # the name with its suffix tells same stems apart; in a table of paths, its folders same names (a
            # dataset's stored names keep the ids they had: tests/test_review_inputs4.py)
            keys.append((i, named.stem, named.name,
                         _table_place(own or path, base) if spec.kind == "table" or own else None))
        else:
            keys.append((i, f"{i:05d}", None, None))
        size = pixels.element_size() * pixels.numel()
        if in_ram + size > decoded_in_ram_bytes():
            pixels = spill(pixels)
        else:
            in_ram += size
        records.append(pixels)
    records = spill.finish(records)
    if notes.get("transparent"):
        seen = notes["transparent"]
        log.warning("%s: %s transparent pixels: alpha is dropped and the colours stored under it are "
                    "used (not what a viewer shows over a background): %s", spec,
                    plural(len(seen), "image") + (agree(len(seen), " has", " have")),
                    ", ".join(Path(str(n)).name for n in seen[:5]) + (", …" if len(seen) > 5 else ""))
    if icc := notes.get("icc"):
        log.warning("%s: %s a colour profile other than sRGB (%s): converted to sRGB, as a "
                    "colour-managed viewer shows them (colours outside sRGB are clipped): %s", spec,
                    plural(len(icc), "image") + (agree(len(icc), " carries", " carry")),
                    ", ".join(dict.fromkeys(d for _, d in icc)), _few(icc))
    if kept := notes.get("icc-kept"):
        log.warning("%s: %s a colour profile that is not applied: their pixels are read as stored, as "
                    "if sRGB (%s): %s", spec, plural(len(kept), "image") + (agree(len(kept), " carries", " carry")),
                    kept[0][1], _few(kept))
    if greyed := notes.get("mode-grey"):
        log.warning("%s: its image column declares mode %r (datasets.Image(mode=%r)): %s read as "
                    "greyscale (luma, as datasets converts them), replicated to RGB: %s", spec, mode, mode,
                    plural(len(greyed), "colour image"),
                    ", ".join(Path(str(n)).name for n in greyed[:5]) + (", …" if len(greyed) > 5 else ""))
    if notes.get("mode-kept"):
        log.warning("%s: its image column declares mode %r (datasets.Image(mode=%r)), not applied: a palette, bilevel "
                    "or other colour space would quantise or dither the photos; their files' own colours are read, "
                    "as RGB", spec, mode, mode)
    if flat := notes.get("8-bit"):
        log.warning("%s: %s read at 8 bits (Pillow's high byte), as no decoder here reads them "
                    "at 16 (%s): %s", spec, plural(len(flat), "16-bit colour file"), flat[0][1],
                    ", ".join(Path(str(n)).name for n, _ in flat[:5]) + (", …" if len(flat) > 5 else ""))
    if damaged := notes.get("jpeg-damaged"):
        log.warning("%s: %s read with libjpeg's warning of corrupt data (part of an image may be "
                    "garbled; some cameras' harmless padding says the same: look at them): %s", spec,
                    plural(len(damaged), "JPEG file"),
                    ", ".join(f"{Path(str(n)).name} ({w})" for n, w in damaged[:5])
                    + (", …" if len(damaged) > 5 else ""))
    if frames := notes.get("frames"):
        log.warning("%s: %s several frames (animation, pages): the first frame of each is used: %s",
                    spec, plural(len(frames), "file") + (agree(len(frames), " holds", " hold")),
                    ", ".join(f"{Path(str(n)).name} ({k} frames)" for n, k in frames[:5])
                    + (", …" if len(frames) > 5 else ""))
    if small:  # a source of such images alone is loaded too (a modcrop=true test set of icons): training on it is
        # refused by usable_for_crop, testing where the task cuts none (held_out_items, config.check_test_sides)
        log.warning("%s: %s smaller than %d px on a side, never trained on (a training crop is ≥ %d px) and tested "
                    "on only by a task with modcrop=true that can cut it (denoise, jpeg whole; sr4 to its scale; "
                    "demosaic to even sides; deblur only one wider than its kernel's reach, none at kernel_size 15 or "
                    "more), and scored by psnr alone: %s", spec,
                    plural(len(small), "image"), MIN_IMAGE_SIDE, MIN_IMAGE_SIDE,
                    ", ".join(small[:10]) + (", …" if len(small) > 10 else ""))
    # what the skipped are: files (a path), rows of pixels (an array column) or of image bytes
    kind = "image files" if all(b in paths for b in bad) else "pixel-array rows" if arrays else "rows"
    if not records:
        why = next(iter(whys), "")
        # one reason, a row's figures (its min and max) aside — a file's reason may name the file: as it is — said once
        alike = len({w if kind == "image files" else re.sub(r"\d[\d.e+-]*", "#", w) for w in whys}) == 1
        shared = "every one" if alike and len(bad) > 1 else Path(str(whys.get(why, ""))).name
        noun = plural(len(bad), "unreadable file") if kind == "image files" else \
            f"{plural(len(bad), kind[:-1], kind)} refused"
        what = f" ({noun}{_logged(bad)}; {shared}: {why})" if bad else ""
        raise UserError(f"dataset {spec} contains no readable image{what}")
    if bad:
        log.warning("%s: loaded %d of %d %s; %d unreadable%s: %s", spec, len(records),
                    len(records) + len(bad), kind, len(bad), _logged(bad),
                    ", ".join(map(str, bad[:5])) + (", …" if len(bad) > 5 else ""))
    return [ImageRecord(image_id, px) for image_id, px in zip(_distinct_ids(keys), records)]


#: while a source is decoded, a line says how far it has come every this many seconds (a big source takes minutes);
#: and while its images are compared (a hold-out, the overlap check: :func:`_still_comparing`)
DECODE_REPORT_S = 15.0


@contextlib.contextmanager
def _still_comparing(what: str):
    """Say every :data:`DECODE_REPORT_S` seconds, while the block runs, that ``what`` (``"{source}: its hold-out: 10000
    images"``) is still being compared and for how long: a big source's comparisons take minutes after its decoding
    lines, which planning spent silent, as if it hung. A quick block says nothing. The lines come from a thread of
    their own (the comparisons run in numpy and torch, without a point to report from). Afterwards the buffers they
    freed are handed back (:func:`_release_freed_memory`): glibc's heap kept them, 320 MB of 3000 patches' hold-out,
    for the whole grid the driver then runs."""
    import threading

    done, started = threading.Event(), time.monotonic()

    def say():
        while not done.wait(DECODE_REPORT_S):
            log.info("%s: still comparing images for copies and near copies (%.0f s)", what,
                     time.monotonic() - started)

    thread = threading.Thread(target=say, name="plbench-comparing", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        _release_freed_memory()


def decoded_in_ram_bytes() -> int:
    """How many bytes of one source's decoded pixels are kept in memory (``PLBENCH_DECODED_RAM_MB``, default
    :data:`DECODED_RAM_MB`); the images after them are memory-mapped from a file (:class:`_Spill`). ``0`` spills
    every image, ``inf`` none (no bound: 2**62 bytes); a value that is no number ≥ 0 (``nan``, ``-5``) is a
    :class:`UserError`."""
    text = os.environ.get("PLBENCH_DECODED_RAM_MB", "").strip()
    try:
        mb = float(text) if text else DECODED_RAM_MB
    except ValueError:
        mb = math.nan
    if not mb >= 0:  # nan, a negative number, a word
        raise UserError(f"PLBENCH_DECODED_RAM_MB={text!r} is not a number of megabytes ≥ 0 (default "
                        f"{DECODED_RAM_MB}; 0 keeps no decoded image in memory, inf keeps them all)")
    return min(int(min(mb, 2**42) * 2**20), 2**62)


def spill_folder(check: bool = True) -> str | None:
    """``PLBENCH_SPILL_DIR``, the folder :class:`_Spill` writes decoded images to (and the workers' shared file),
    checked: None where it is unset or empty (the system's temporary folder); a folder that is not there, a file, or
    one this process cannot write in is a :class:`UserError` — said before any work starts (it only warned, once a
    source passed ``PLBENCH_DECODED_RAM_MB`` hours into reading it, and kept those images in the memory the setting
    was there to spare). Not made: a misspelt path would put gigabytes where no one looks. ``check=False``: the
    setting as it is, for the writers themselves (checked where the command started; a folder gone since is their
    OSError, said as a warning, the images kept in memory)."""
    text = os.environ.get("PLBENCH_SPILL_DIR", "")
    if not text or not check:
        return text or None
    why = ("is a file, not a folder" if os.path.isfile(text) else "names no folder" if not os.path.isdir(text)
           else "is a folder this process cannot write in" if not os.access(text, os.W_OK | os.X_OK) else "")
    if why:
        raise UserError(f"PLBENCH_SPILL_DIR={text!r} {why} (it takes the decoded images beyond "
                        "PLBENCH_DECODED_RAM_MB): make it, name another on a disk, or unset it for the system's "
                        "temporary folder")
    return text


#: decoded megabytes of one source held in memory: BSD200 + T91 (≈ 150 MB as uint8) stay there whole; a folder of
#: 200 photos of 6 MP (3.6 GB) or a hub set of 100 000 would not fit a laptop's or a worker's memory
DECODED_RAM_MB = 1024


def _release_freed_memory() -> None:
    """Hand freed heap memory back to the system (glibc's malloc_trim; elsewhere nothing). A decoded photo's buffers
    (tens of MB) are freed into glibc's heap, whose mmap threshold has risen to their size, and the heap keeps
    them: 60 photos of 6 MP each memory-mapped still left 1 GB of freed decoding buffers in the process."""
    if trim := _malloc_trim():
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None (another C library, another system)."""
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


class _Spill:
    """Decoded images written, as they are, to one unlinked file per source (its name removed as it is made, so
    that a process killed while decoding — the OOM killer, a job's time limit — leaves no file behind; Linux maps it
    back through ``/proc/self/fd``, elsewhere its name is kept until :meth:`finish`) and memory-mapped back once (copy
    on write): the same (3, H, W) tensors of the same dtype and values, so fingerprints, run ids and every crop a seed
    draws are unchanged, but their pages are the file's, which the kernel reads in as crops touch them and drops
    under pressure, not process memory. The folder is ``PLBENCH_SPILL_DIR`` or the system's temporary folder (a
    tmpfs /tmp holds it in memory: name a disk). Where the file cannot be written the image stays in memory.

    ``spill(pixels)`` appends an image and returns a placeholder; :meth:`finish` maps the file and puts each
    image's view in its place. One mapping per source, not one per image: the kernel allows a process about 65 000
    (``vm.max_map_count``), which a hub set of 100 000 photos passed."""

    #: byte alignment of each image in the file (a float32 view needs its offset a multiple of 4)
    ALIGN = 64

    #: an image in the file: its byte offset, torch dtype and shape
    _Pending = collections.namedtuple("_Pending", "offset dtype shape")

    def __init__(self, spec):
        self.spec, self.count, self.bytes, self.failed, self.file, self.path = spec, 0, 0, None, None, None
        self._drop = None  # the named file's removal where its name is kept: at finish, or as this is dropped

    def _folder(self) -> str:
        import tempfile

        return spill_folder(check=False) or tempfile.gettempdir()

    def _fail(self, exc: BaseException) -> None:
        self.failed = exc
        log.warning("%s: could not write or map decoded images in %s (%s): the rest stay in memory", self.spec,
                    self._folder(), first_line(exc))

    def __call__(self, pixels: torch.Tensor):
        import tempfile

        if self.failed:
            return pixels
        _release_freed_memory()  # the previous image's decoding buffers
        arr = pixels.contiguous().numpy()
        try:
            if self.file is None:
                self.file = tempfile.NamedTemporaryFile(prefix="plbench-pixels-", suffix=".raw", delete=False,
                                                        dir=spill_folder(check=False))
                self.path = self.file.name
                # a name kept (no /proc, its removal refused) is removed however decoding ends: at finish(), or as
                # this spill is dropped, or at exit (Ctrl-C, an error raised while rows are read on)
                self._drop = weakref.finalize(self, _drop_spill_file, self.file, self.file.name)
                if os.path.isdir("/proc/self/fd"):  # Linux: no name left to a kill (the OOM killer) before finish()
                    os.unlink(self.file.name)
                    self._drop.detach()
                    self.path = f"/proc/self/fd/{self.file.fileno()}"
            offset = -(-self.file.tell() // self.ALIGN) * self.ALIGN
            self.file.seek(offset)
            arr.tofile(self.file)
        except OSError as exc:  # disk full, a folder not writable: keep it in memory, and say so once
            self._fail(exc)
            return pixels
        self.count, self.bytes = self.count + 1, self.bytes + arr.nbytes
        return self._Pending(offset, pixels.dtype, tuple(pixels.shape))

    def finish(self, records: list) -> list:
        """``records`` with each placeholder replaced by its image: a view of the file's one mapping (its
        descriptor closed, its name removed), or, where the file cannot be mapped (torch raises RuntimeError),
        the image read back into memory."""
        if self.file is None:
            return records
        f, self.file = self.file, None
        try:
            f.flush()
            size = os.fstat(f.fileno()).st_size
            try:
                flat = torch.from_file(self.path, shared=False, size=size, dtype=torch.uint8)
            except (OSError, RuntimeError) as exc:  # no mapping left, a file system that maps nothing
                self._fail(exc)
                f.seek(0)
                flat = torch.from_numpy(np.fromfile(f, dtype=np.uint8))
            out = []
            for rec in records:
                if isinstance(rec, self._Pending):
                    nbytes = math.prod(rec.shape) * torch.empty((), dtype=rec.dtype).element_size()
                    rec = flat[rec.offset:rec.offset + nbytes].view(rec.dtype).view(rec.shape)
                out.append(rec)
        finally:
            f.close()  # the mapping outlives the file and its name
            if self._drop is not None:  # a name kept till now (no /proc): removed
                self._drop()
        if self.count and not self.failed:
            _release_freed_memory()
            log.info("%s: %s beyond %s of decoded pixels (%.0f MB) memory-mapped from a temporary file "
                     "(PLBENCH_DECODED_RAM_MB, PLBENCH_SPILL_DIR)", self.spec, plural(self.count, "image"),
                     f"{decoded_in_ram_bytes() / 2**20:.0f} MB", self.bytes / 2**20)
        return out


def _drop_spill_file(file, name: str) -> None:
    """A spill file whose name was kept (:class:`_Spill`) closed and its name removed, quietly."""
    with contextlib.suppress(OSError):
        file.close()
    with contextlib.suppress(OSError):
        os.unlink(name)


#: unreadable files (or cells) of one source logged one by one with their reason; the rest are counted only (a
#: dataset of 100 000 image URLs, a folder of damaged files: one line each flooded the log)
MAX_NAMED_UNREADABLE = 20


def _logged(bad: list) -> str:
    """What the per-file lines said of ``bad``: all, or the first :data:`MAX_NAMED_UNREADABLE`."""
    if len(bad) <= MAX_NAMED_UNREADABLE:
        return ""
    return f" (the first {MAX_NAMED_UNREADABLE} logged above with their reason)"


def _few(named: list[tuple], n: int = 5) -> str:
    """The file names of the first ``n`` of ``[(path or name, …), …]``, "…" after them if there are more."""
    return ", ".join(Path(str(k[0])).name for k in named[:n]) + (", …" if len(named) > n else "")


def _own_path(id_value, path: str | None, same_column: bool) -> str | None:
    """The absolute path an image's id column gives in place of an id (:func:`_decoded`), else None: the image
    column's own ``path`` where the id column is that column (a saved Dataset of ``file_name`` paths), or the id
    column's value where it is an absolute path to a file (``image`` cast from absolute paths beside ``file_name``
    those paths: tests/test_review_data24.py; an image of bytes alone, or stored under another name, beside such a
    ``file_name``: tests/test_probe_data25.py), a Windows one in ``/`` form: an id never names a machine's folders."""
    if same_column:
        return path if path is not None and Path(str(path)).expanduser().is_absolute() else None
    if not isinstance(id_value, str):
        return None
    # a file URL (file:///home/me/a.png, a labelling tool's export) names its path, as in the image column
    text = os.path.expanduser(file_url_path(id_value) or id_value)
    windows = (posix := windows_absolute(text)) is not None
    text = posix or text
    return text if (windows or Path(text).is_absolute()) and Path(text).suffix else None


def windows_absolute(path: str) -> str | None:
    """A Windows drive or share path (``C:\\Users\\a.png``, ``\\\\srv\\share\\a.png``) in ``/`` form
    (``C:/Users/a.png``, ``//srv/share/a.png``), whose name and folders :class:`pathlib.Path` then reads on any machine;
    None for any other path (on POSIX a backslash may be part of a file's name)."""
    win = PureWindowsPath(path)
    return win.as_posix() if win.drive != "" and win.is_absolute() else None


def _given_id(value):
    """An id column's cell as an id, or None where it gives none: empty (None, a blank or whitespace-only text, a
    number column's missing NaN), so the image takes the id it has without the column (its file's name, else its row
    number), not '' (an unnamed row in every result table). Text without the spaces and newlines around it
    (`` a/b `` is ``a/b``), as a CSV table's cells are read, whatever the source (a saved or hub Dataset, a JSON
    Lines or parquet table)."""
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        return None
    return None if isinstance(value, float) and math.isnan(value) else value


def _table_place(path: str, base: Path | None) -> Path:
    """Where a table's ``path`` lies, for :func:`_distinct_ids` to name same-named files by their folders: from the
    table's folder ``base`` where it is in it (``trip/x.png``), else its whole path (``../x.png``: the folder it is in,
    not '..': tests/test_review_data20.py); a file in an archive, its own path in it."""
    named = Path(archive_member_name(path))
    if base is None or named != Path(path):
        return named
    full = Path(os.path.normpath(base / os.path.expandvars(os.path.expanduser(path))))
    root = Path(os.path.normpath(base))
    return full.relative_to(root) if full.is_relative_to(root) else full


def _distinct_ids(keys: list[tuple[int, str, str | None, Path | None]]) -> list[str]:
    """(row, id, alternative id, path) → distinct ids, in Unicode's composed form (NFC: a name macOS wrote
    decomposed, e + U+0301, is the id the same name typed on Linux has, so a folder's fingerprint is one on both): ids
    given more than once take their alternative (a file's name with its suffix: ``photo.bmp``, ``photo.webp``) where
    there is one; files of one name in other folders (a list's ``trip/x.png`` and ``home/x.png``) take their path
    without its suffix from as many of its folders as tell them apart (``trip/x``, ``home/x``: as a folder source
    names them); an id still seen before (one file listed twice) gets ``_<row>``."""
    import unicodedata

    def nfc(text):
        return text and unicodedata.normalize("NFC", text)

    keys = [(i, nfc(key), nfc(alt), path) for i, key, alt, path in keys]
    n = Counter(key for _, key, _, _ in keys)
    ids = [alt if n[key] > 1 and alt else key for _, key, alt, _ in keys]
    groups: dict[str, list[int]] = {}
    for k, image_id in enumerate(ids):
        groups.setdefault(image_id, []).append(k)
    for same in groups.values():
        paths = [keys[k][3] for k in same]
        if len(same) < 2 or None in paths:
            continue
        parts = [nfc(os.path.normpath(p.with_suffix("").as_posix())).split("/") for p in paths]
        if tails := _tails_apart(parts, len({tuple(p) for p in parts})):
            for k, tail in zip(same, tails):
                ids[k] = tail
    out, seen = [], set()
    for (i, *_), image_id in zip(keys, ids):
        if image_id in seen:
            image_id = f"{image_id}_{i}"
        seen.add(image_id)
        out.append(image_id)
    return out


def _tails_apart(parts: list[list[str]], need: int, taken=frozenset()) -> list[str] | None:
    """The shortest tails (the last ``depth`` ≥ 2 of each path's ``parts``, joined by ``/``) of which there are
    ``need`` > 1 distinct ones, none of them ``taken``: how same-named files (:func:`_distinct_ids`) and sources
    (:func:`dataset_names`) are told apart; None where no depth does."""
    for depth in range(2, max(map(len, parts), default=1) + 1):
        tails = ["/".join(p[-depth:]) for p in parts]
        if len(set(tails)) == need > 1 and not set(tails) & taken:
            return tails
    return None


def sample_batch(images: list[ImageRecord], batch: int, crop: int, multiple: int,
                 generator: torch.Generator, picked: list | None = None) -> torch.Tensor:
    """Random crops (with random flips and 90° rotations) → (B, 3, crop, crop) float in [0, 1]. Each crop is
    scaled by its own image's dtype (a set may mix 8-bit images with 16-bit or float ones). ``picked``: a list the
    index in ``images`` of each crop's image is appended to (the same draws)."""
    crop -= crop % multiple
    out = []
    idx = torch.randint(len(images), (batch,), generator=generator).tolist()
    if picked is not None:
        picked.extend(idx)
    for i in idx:
        px = images[i].pixels
        h, w = px.shape[-2:]
        top = int(torch.randint(h - crop + 1, (1,), generator=generator))
        left = int(torch.randint(w - crop + 1, (1,), generator=generator))
        patch = px[:, top:top + crop, left:left + crop]
        k, flip = torch.randint(4, (1,), generator=generator).item(), torch.rand(1, generator=generator).item() < 0.5
        patch = torch.rot90(patch, k, dims=(1, 2))
        out.append(patch.flip(-1) if flip else patch)
    # per crop: stacking uint8 with float32 crops promotes the uint8 ones to float 0..255, which to_float then
    # took for [0, 1] values (the same arithmetic as on the stack, so an 8-bit set's batches are unchanged)
    return torch.stack([to_float(p) for p in out])


class SourcePrecision:
    """Which of a run's training ``images`` are 8-bit sources (:func:`on_8bit_source`, of the whole image), each read
    once, when first cropped, for a task that degrades them otherwise
    (:attr:`benchmark.task.Task.reads_source_precision`): a crop of a 16-bit photo that happens to lie on 8-bit levels
    is still a 16-bit source's."""

    def __init__(self, images: list[ImageRecord]):
        self.images, self.known = images, {}

    def of(self, picked: list[int]) -> torch.Tensor:
        """(len(picked),) bool: each picked image an 8-bit source or not (``picked``: :func:`sample_batch`'s)."""
        for i in picked:
            if i not in self.known:
                self.known[i] = on_8bit_source(self.images[i].pixels)
        return torch.tensor([self.known[i] for i in picked], dtype=torch.bool)


def trains_on_uint8(task, device_type: str) -> bool:
    """Whether runs of ``task`` on ``device_type`` train on 8-bit crops whatever the images' dtype: the GPU step's
    :class:`benchmark.sampler.DeviceSampler` (uint8 resident; a task that degrades on the host, ``host_only``, crops on
    the CPU by :func:`sample_batch`, at the images' precision, as the CPU does). Their training data is tagged by the
    task as 8-bit data is (:meth:`DataCache.fingerprint`): a 16-bit pool's run ids on a GPU are not moved by a change
    only float crops see."""
    return device_type == "cuda" and not task.host_only


def usable_for_crop(records: list[ImageRecord], crop: int, spec: DataSpec, quiet: bool = False) -> list[ImageRecord]:
    """Images with both sides ≥ crop; smaller ones are logged (unless ``quiet``: a grid names them once,
    when it starts, not again for every run) and skipped, none left is an error."""
    keep = [r for r in records if min(r.size) >= crop]
    small = [r.image_id for r in records if min(r.size) < crop]
    if small and not quiet:
        log.warning("skipping %s of %s smaller than the %d px crop: %s",
                    plural(len(small), "image"), spec, crop, ", ".join(small[:10]))
    if not records:  # a source that read none (its loader refuses an empty folder; a caller's list may be empty)
        raise UserError(f"no images in {spec} to cut {crop} px crops from")
    if not keep:
        largest = max(min(r.size) for r in records)
        if largest < MIN_IMAGE_SIDE:  # no --crop can take them (a crop is ≥ MIN_IMAGE_SIDE px): not 'lower --crop'
            named = ", ".join(f"{r.image_id} ({r.size[1]}×{r.size[0]})" for r in records[:5])  # W×H, as loading says
            raise UserError(f"every image in {spec} is smaller than {MIN_IMAGE_SIDE} px on a side (largest short side "
                            f"{largest} px: {named}{', …' if len(records) > 5 else ''}), the least training crop: "
                            "train on larger images (they can be test images of a task with modcrop=true)")
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


def image_hash(pixels: torch.Tensor) -> str:
    """16-hex content hash of one decoded image (shape, dtype, every pixel; not its id)."""
    px = pixels.contiguous()
    h = hashlib.sha256(f"{tuple(px.shape)}|{px.dtype}|".encode())
    h.update(px.numpy().tobytes())
    return h.hexdigest()[:16]


def overlap_lines(metas: list[dict]) -> list[str]:
    """One note per (training data, test data) pair of these runs' meta.json records (``test_overlap``, written
    from :meth:`DataCache.known_overlap` when the grid was planned) whose test images are also training images:
    their scores are not held-out scores. The leaderboard's note, as lasting as the runs it is about."""
    groups: dict[tuple[str, str], tuple[list[str], int, set]] = {}
    for m in metas:
        found, cfg = m.get("test_overlap"), m.get("config") or {}
        if not isinstance(found, dict) or not found.get("images"):
            continue
        key = (" + ".join(map(str, cfg.get("train_data") or ())), " + ".join(map(str, cfg.get("test_data") or ())))
        images, n, runs = groups.get(key, (list(found["images"]), int(found.get("test_images") or 0), set()))
        # a run and its budget check at half the iterations: one (task, loss, seed)
        groups[key] = images, n, runs | {(str(cfg.get("task")), str(cfg.get("loss")), str(cfg.get("seed")))}
    out = []
    for (train, test), (images, n, runs) in groups.items():
        k = len(images)
        out.append(f"Test images trained on: {k} of {plural(max(n, k), 'test image')} "
                   f"{agree(k, 'is also a training image', 'are also training images')} (train: {train}; "
                   f"test: {test}), in {plural(len(runs), 'run')} ({', '.join(sorted({r[0] for r in runs}))}): "
                   f"{agree(k, 'its scores are', 'their scores are')} not held-out scores and flatter those runs — "
                   + ", ".join(images[:5]) + (", …" if k > 5 else "") + ".")
    return out


def dataset_names(specs) -> dict[DataSpec, str]:
    """A distinct short name per source, for result rows: :attr:`DataSpec.name`, except where two
    sources share one (``a/Set5`` and ``b/Set5``): those take as many parent folders as tell them
    apart (``a/Set5``, ``b/Set5``), or their full token where nothing does."""
    import unicodedata

    specs = list(dict.fromkeys(specs))
    names = {s: s.name for s in specs}
    for name, count in Counter(names.values()).items():
        if count < 2:
            continue
        group = [s for s in specs if names[s] == name]
        parts = []  # its folders (below the root's "/"), the last one with its split and part: ``a/Set5:test``
        for s in group:
            *up, last = Path(s.source).parts[1 if Path(s.source).parts[:1] == ("/",) else 0:] or ("/",)
            parts.append([unicodedata.normalize("NFC", p) for p in (*up, last + (f":{s.split}" if s.split else "")
                                                                     + s.part)])
        tails = _tails_apart(parts, len(group), set(names.values()) - {name})
        names.update(zip(group, tails) if tails else {s: s.token() for s in group}.items())
    return names


def mod_crop(pixels: torch.Tensor, multiple: int) -> torch.Tensor:
    """Crop the bottom/right so H and W are multiples of ``multiple``."""
    h, w = pixels.shape[-2:]
    return pixels[..., : h - h % multiple, : w - w % multiple]


#: a test image within this PSNR (dB, on [0, 1]) of a training image of its size is that image saved again: Kodak24's
#: photos re-encoded as JPEG are ≥ 38.9 dB from their originals at quality 95, ≥ 31.9 at 75, ≥ 27.2 at 30, while its 276
#: pairs of distinct photos (one size) are ≤ 14.0 dB apart. :meth:`DataCache.overlap` names such a test image. A frame
#: that moved by a pixel or two (a hand-held burst, a video) is not one: Kodak24's photos shifted 1 px diagonally
#: are 15.9-28.8 dB from themselves, 2 px 13.5-25.5 dB (the README says to hold such a set out by sequences)
NEAR_COPY_PSNR = 25.0

#: ... and its squared error at most this share of the smaller of the two images' contrast (mean per-channel variance):
#: two dark photos (a low-light set's, levels 0-20) or flat frames are within 25 dB of each other as any two images with
#: little signal are. Distinct photos of one size are ≥ 1.37× apart (Kodak24's, at their levels and at 1/6-1/25 of
#: them), a JPEG copy (quality 30-95) ≤ 0.07× (≤ 0.53× at 1/12 of the levels); a flat frame is no photo's copy
NEAR_COPY_CONTRAST = 0.75


#: :func:`_cropped_copies`: pixels (of the first channel) in a key, and the most keys its index of training images holds
_CROP_KEY, _CROP_KEYS = 8, 4_000_000
#: about how many windows one look-up (:func:`_cut_from`) searches: 16 blocks of 8 × 8 positions
_LOOKUP_WINDOWS = 16 * 64


def _kept(memo: dict | None, key: tuple, make):
    """``make()``, once per ``key`` where a ``memo`` dict is given (:func:`near_copy_pairs`' across rounds; keys hold
    records' ``id``: they live as long as the memo's caller holds them)."""
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    return memo[key]


def _window_keys(plane: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys, distinct) of the :data:`_CROP_KEY`-px row windows of ``plane`` (H, W; any dtype) starting at (row,
    col) for ``rows`` × ``cols``: a uint64 per window, its bytes folded (exact for 8-bit pixels), and whether it holds
    ≥ 4 distinct values (a flat run of pixels is in any flat image)."""
    win = np.ascontiguousarray(plane[rows][:, cols[:, None] + np.arange(_CROP_KEY)])  # (R, C, k)
    raw = win.view(np.uint8).reshape(*win.shape[:2], -1)
    raw = np.concatenate([raw, np.zeros((*raw.shape[:2], -raw.shape[-1] % 8), np.uint8)], -1)
    words = np.ascontiguousarray(raw).view(np.uint64)
    mult = np.array([1, 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9] * 8, np.uint64)[:words.shape[-1]]
    with np.errstate(over="ignore"):
        keys = (words * mult).sum(-1, dtype=np.uint64)
    ordered = np.sort(win.reshape(*win.shape[:2], -1), -1)
    distinct = 1 + (ordered[..., 1:] != ordered[..., :-1]).sum(-1)
    return keys, distinct >= 4


def _cropped_copies(train_recs: list[ImageRecord], test_recs: dict, names: dict, found: set[str],
                    pairs: list | None = None, memo: dict | None = None) -> list[str]:
    """The test images not in ``found`` that are, pixel for pixel, a window of a larger training image, as they are
    or turned by k·90° or mirrored (patches cut out of the training photos for a test set; training crops are such
    windows, turned): ``dataset/image (cut from a training image)`` or ``(…, turned or mirrored)``. Training images'
    first channels are indexed by :data:`_CROP_KEY`-px row windows every ``s``-th row and column (``s`` = 8, more for
    a set of over :data:`_CROP_KEYS` such windows); each test image, turned the eight ways, looks up its windows at the
    first ``s`` rows and columns (a window of a training image holds one indexed position there when it is ≥ ``s``
    px high and ``s`` + 7 wide), and the positions they point to most are compared (:func:`_cut_from`). Re-encoded
    crops are not looked for. ``pairs``: where given, each (test image, training image it was cut from) is appended;
    ``memo``: each training image's indexed windows kept (:func:`_kept`)."""
    done = set(found) | {f.rsplit(" (", 1)[0] for f in found}  # named already, as it is or with its marker
    left = [(spec, r) for spec, rs in test_recs.items() for r in rs
            if f"{names[spec]}/{r.image_id}" not in done and r.pixels.shape[0] == 3]
    pool = [r for r in train_recs if r.pixels.shape[0] == 3 and min(r.size) >= 8 and r.size[1] >= _CROP_KEY]
    shapes = {tuple(sorted(r.size)) for r in pool}  # a window fits, turned or not, in an image of other sides
    left = [(spec, r) for spec, r in left if _fits_in(r.size, shapes)]
    if not left or not pool:
        return []
    s, keys, where, sides = _window_index([r.pixels.numpy() for r in pool], [("windows", id(r), 0) for r in pool],
                                          memo)
    out = []
    for spec, t in left:
        full = t.pixels.numpy()
        for turn, u in enumerate(_turned_views(full)):
            if (j := _cut_from(u, pool, keys, where, s, sides, memo, (id(t), turn))) is not None:
                if pairs is not None:
                    pairs.append((t, pool[j]))
                out.append(f"{names[spec]}/{t.image_id} (cut from a training image"
                           f"{', turned or mirrored' if turn else ''})")
                break
    return out


def _cut_from_test(train_recs: list[ImageRecord], test_recs: dict, names: dict, found: set[str],
                   pairs: list | None = None, memo: dict | None = None) -> list[str]:
    """The test images not in ``found`` that training images were cut from, pixel for pixel (patches cut out of a set of
    photos for training, one of them a test photo, under another name in another source; each patch as it is or
    turned by k·90° or mirrored): ``dataset/image (N training image(s) cut from it)``. The other way round from
    :func:`_cropped_copies`, and as cheap for thousands of patches: the test images (few), turned the eight ways, are
    indexed, and each training image smaller than one of them is looked up once (:func:`_cut_from`), not eight times.
    Re-encoded patches are not looked for. ``pairs``: where given, each (test image, training image cut from it) is
    appended; ``memo``: each test image's indexed windows kept (:func:`_kept`)."""
    done = set(found) | {f.rsplit(" (", 1)[0] for f in found}  # named already, as it is or with its marker
    big = [(spec, r) for spec, rs in test_recs.items() for r in rs
           if f"{names[spec]}/{r.image_id}" not in done and r.pixels.shape[0] == 3 and min(r.size) >= _CROP_KEY]
    shapes = {tuple(sorted(r.size)) for _, r in big}
    small = [r for r in train_recs if r.pixels.shape[0] == 3 and min(r.size) >= 8 and _fits_in(r.size, shapes)]
    if not big or not small:
        return []
    full = [r.pixels.numpy() for _, r in big]
    # the test images indexed turned the eight ways where they hold fewer windows than the patches' look-ups would
    # (a few photos, thousands of patches: each patch looked up once), else as they are, each patch looked up turned
    # (DIV2K's 100 validation photos against a few training images of about their size)
    turn_index = sum(v.shape[-2] * v.shape[-1] for v in full) / _CROP_KEY**2 < len(small) * _LOOKUP_WINDOWS
    turned = [(i, t, u) for i, v in enumerate(full) for t, u in enumerate(_turned_views(v))] if turn_index \
        else [(i, 0, v) for i, v in enumerate(full)]
    views = [v for _, _, v in turned]
    s, keys, where, sides = _window_index(views, [("windows", id(big[i][1]), t) for i, t, _ in turned], memo)
    cut: dict[int, int] = {}
    for r in small:
        px = r.pixels.numpy()
        looks = ((0, px),) if turn_index else enumerate(_turned_views(px))
        if (j := next((j for turn, u in looks if (j := _cut_from(u, views, keys, where, s, sides, memo,
                                                                 (id(r), turn))) is not None), None)) is not None:
            i = turned[j][0]
            cut[i] = cut.get(i, 0) + 1
            if pairs is not None:
                pairs.append((big[i][1], r))
    return [f"{names[big[i][0]]}/{big[i][1].image_id} ({n} training image{'s' * (n > 1)} cut from it)"
            for i, n in sorted(cut.items())]


#: :func:`_reencoded_crops`' keys: a 16-px window's 4 × 4 grid of 4 × 4-px block means (of the three channels' mean),
#: each quantised to 32 levels: a JPEG saved again (quality ≥ 75) moves a block mean by about a level of 255, so a third
#: to two thirds of a crop's keys are the original's, where an exact window's pixels (:func:`_cropped_copies`) are none;
#: of random crops of Kodak24 saved as JPEG at quality 75 and 90, 44 of 48 are found, the 4 left smooth (sky, skin)
_BLOCK, _LEVELS = 4, 32
_GRID_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93] * 4, np.uint64)
#: the s × s blocks of positions a smaller image looks up, per side (each holds one position of the index's grid)
_REENCODED_BLOCKS = 6
#: the most places of the index one key may point to (:func:`_reencoded_crops`): a photo's textured keys are rarer
_REENCODED_COMMON = 64


def _block_means(px: torch.Tensor) -> np.ndarray:
    """(H - 3, W - 3) float32: the mean of each 4 × 4-px block of ``px`` (3, H, W; any dtype), its channels averaged,
    on 0-255, at every position (:func:`_reencoded_crops`)."""
    a = px.numpy()  # in numpy: torch's per-image kernels cost more than the sums in threads a busy machine shares
    exact = a.dtype == np.uint8  # integer sums: exact, and faster than float ones
    x = np.zeros((a.shape[1] + 1, a.shape[2] + 1), np.int64 if exact else np.float64)
    x[1:, 1:] = a.sum(0, dtype=x.dtype).cumsum(0).cumsum(1)
    b = _BLOCK
    sums = x[b:, b:] - x[:-b, b:] - x[b:, :-b] + x[:-b, :-b]
    return (sums * ((1 if exact else 255) / (b * b * a.shape[0]))).astype(np.float32)


def _grid_means(px: torch.Tensor | np.ndarray) -> np.ndarray:
    """:func:`_block_means` at the rows and columns that are multiples of 4 only (H // 4, W // 4): a reshape's sums
    (of a tensor, or an array: a view too)."""
    a = px if isinstance(px, np.ndarray) else px.numpy()
    h, w = a.shape[1] // _BLOCK * _BLOCK, a.shape[2] // _BLOCK * _BLOCK
    sums = a[0, :h, :w].astype(np.uint16 if a.dtype == np.uint8 else np.float32)  # 48 × 255 fits in 16 bits
    for plane in a[1:]:  # by plain adds of slices: numpy's sum over strided axes costs 30 times as much
        sums += plane[:h, :w]
    sums = sums.reshape(h, w // _BLOCK, _BLOCK)
    sums = functools.reduce(np.add, (sums[..., k] for k in range(_BLOCK)))
    sums = sums.reshape(h // _BLOCK, _BLOCK, w // _BLOCK)
    sums = functools.reduce(np.add, (sums[:, k] for k in range(_BLOCK)))
    return sums.astype(np.float32) * np.float32((1 if a.dtype == np.uint8 else 255) / (_BLOCK * _BLOCK * a.shape[0]))


def _grid_keys(means: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys, textured) of the 16-px windows whose 4 × 4 blocks' means are ``means[rows[r, i], cols[c, j]]`` (``rows``
    (R, 4), ``cols`` (C, 4): indices into ``means``, of :func:`_block_means` or :func:`_grid_means`): a uint64 of their
    16 block means quantised to :data:`_LEVELS` levels, and whether ≥ 4 levels differ (a flat window, sky, is in any
    photo)."""
    g = means[rows[:, None, :, None], cols[None, :, None, :]]
    q = np.clip(g * (_LEVELS / 256), 0, _LEVELS - 1).astype(np.uint64).reshape(len(rows), len(cols), 16)
    with np.errstate(over="ignore"):  # a hash of the 16 levels (80 bits): odd multipliers, wrapping
        keys = (q * _GRID_MULT).sum(-1, dtype=np.uint64)
    levels = np.bitwise_or.reduce(np.left_shift(np.uint32(1), q.astype(np.uint32)), axis=-1)  # a bit per level used
    return keys, np.bitwise_count(levels) >= 4


def _on_255(a: np.ndarray) -> np.ndarray:
    """Pixels (uint8, or float in [0, 1]) as float32 on 0-255."""
    return a.astype(np.float32) if a.dtype == np.uint8 else a.astype(np.float32) * np.float32(255)


def _fits(small_hw: np.ndarray, big_hw: np.ndarray) -> np.ndarray:
    """(n, m) bool: whether an image of size ``small_hw[i]`` ((n, 2) (h, w)) can be a window of one of ``big_hw[j]``
    ((m, 2)): no larger on either side, and not the same size (not turned: pass turned sizes for those)."""
    small_hw, big_hw = (np.asarray(hw, dtype=np.int64).reshape(-1, 2) for hw in (small_hw, big_hw))
    return (small_hw[:, None] <= big_hw[None]).all(-1) & (small_hw[:, None] != big_hw[None]).any(-1)


def _reencoded_crops(smalls: list[ImageRecord], bigs: list[ImageRecord], memo: dict | None = None,
                     small_keys: list | None = None, big_keys: list | None = None) -> list[tuple[int, int]]:
    """(i, j) for each image ``smalls[i]`` that is a window of ``bigs[j]`` (smaller, not turned) saved again (a JPEG
    re-encoded, a PNG of a JPEG's crop): within :data:`NEAR_COPY_PSNR` dB of that window, as :func:`_near_copy`
    compares. ``bigs`` are indexed by :func:`_grid_keys` every ``s``-th row and column (``s`` as
    :func:`_window_index`'s); each small image looks up its keys at every position of :data:`_REENCODED_BLOCKS`² blocks
    of ``s`` × ``s`` (one position of each on the grid), and the positions its hits point to most are compared.
    ``memo``: each image's index keys, and look-up keys, kept (:func:`_kept`) under its ``big_keys`` / ``small_keys``
    entry (the rounds of a hold-out: the same images, split otherwise)."""
    inside = _fits([r.size for r in smalls], [r.size for r in bigs])
    if not inside.any():  # no image of one side fits in one of the other: no fits listed
        return []
    fit = [np.flatnonzero(row).tolist() for row in inside]
    used = sorted({j for js in fit for j in js})
    s = max(8, math.ceil(math.sqrt(sum(bigs[j].size[0] * bigs[j].size[1] for j in used) / _CROP_KEYS)))
    s += -s % _BLOCK  # a multiple of the block: the index's keys are read off the 4-px grid's block means
    keys, where = [], []
    for j in used:
        k, y, x = _kept(memo, ("grid keys", big_keys[j] if big_keys else id(bigs[j]), s),
                        lambda j=j: _indexed_grid_keys(np.ascontiguousarray(_array(bigs[j])), s))  # one at a time
        keys.append(k)
        where.append(np.stack([np.full(len(k), j), y, x], 1))
    keys, where = np.concatenate(keys), np.concatenate(where)
    order = np.argsort(keys, kind="stable")
    keys, where = keys[order], where[order]
    # a key the index holds more than _REENCODED_COMMON times (a repeated pattern's: a test chart, a render, a
    # texture tiled) points everywhere: left out, or each look-up's hits grow with the training set, not the image
    count = np.unique(keys, return_counts=True)[1]  # keys sorted: counts in their order
    rare = np.repeat(count <= _REENCODED_COMMON, count)
    keys, where = keys[rare], where[rare]
    out = []
    for i, (a, js) in enumerate(zip(smalls, fit)):
        h, w = a.size
        if not js or min(h, w) < 4 * _BLOCK:
            continue
        q, r_at, c_at = _kept(memo, ("look-up keys", small_keys[i] if small_keys else id(a), s),
                              lambda a=a: _look_up_keys(_array(a), s))
        lo, hi = np.searchsorted(keys, q, "left"), np.searchsorted(keys, q, "right")
        n = hi - lo
        if not n.any():
            continue
        query = np.repeat(np.arange(len(n)), n)
        hits = where[np.repeat(lo - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))]
        cand = np.stack([hits[:, 0], hits[:, 1] - r_at[query], hits[:, 2] - c_at[query]], 1)
        cand = cand[np.isin(cand[:, 0], js) & (cand[:, 1] >= 0) & (cand[:, 2] >= 0)]
        if not len(cand):
            continue
        at, votes = np.unique(cand, axis=0, return_counts=True)
        # two keys at least (a crop's every fifth or so is): one alone is a chance match, a gradient's or a texture's
        small = _on_255(_array(a)[:, ::8, ::8])  # both on 0-255: a 16-bit photo (float) and an 8-bit JPEG of it
        best = np.argsort(-votes, kind="stable")[:8]
        for j, y0, x0 in at[best[votes[best] >= 2]].tolist():
            if y0 + h > bigs[j].size[0] or x0 + w > bigs[j].size[1]:
                continue
            # every 8th pixel first: most chance matches fail there at once, in numpy
            near = _on_255(_array(bigs[j])[:, y0:y0 + h:8, x0:x0 + w:8])
            if float(((near - small) ** 2).mean()) <= 2 * 255.0**2 * 10 ** (-NEAR_COPY_PSNR / 10) and _near_copy(
                    torch.from_numpy(np.ascontiguousarray(_array(bigs[j])[:, y0:y0 + h, x0:x0 + w])), a.pixels):
                out.append((i, j))
                break
    return out


def _indexed_grid_keys(px: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keys, rows, cols) of the textured 16-px windows of ``px`` (3, H, W; a view too) every ``s``-th row and
    column (``s`` a multiple of :data:`_BLOCK`): :func:`_reencoded_crops`' index entries of one larger image."""
    m = _grid_means(px)  # m[r, c] = _block_means(...)[4 r, 4 c]
    rows, cols = (np.arange(0, n - 3, s // _BLOCK) for n in m.shape)
    k, ok = _grid_keys(m, rows[:, None] + np.arange(4), cols[:, None] + np.arange(4))
    y, x = np.meshgrid(rows * _BLOCK, cols * _BLOCK, indexing="ij")
    return k[ok], y[ok], x[ok]


def _block_starts(n: int, s: int, blocks: int) -> np.ndarray:
    """The sorted positions, of ``n`` along a side, of ``blocks`` runs of ``s`` (fewer where ``n`` < ``s``) spread
    evenly from the first to the last: where a smaller image's windows are looked up (:func:`_look_up_keys`,
    :func:`_looked_up_windows`), each run holding one of every residue mod ``s``."""
    starts = np.linspace(0, max(n - s, 0), blocks).astype(int)
    return np.unique(np.concatenate([np.arange(min(s, n)) + o for o in starts]))


def _look_up_keys(px: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keys, rows, cols), sorted by key, of the textured 16-px windows of ``px`` (3, h, w; a view too) at every
    position of :data:`_REENCODED_BLOCKS`² blocks of ``s`` × ``s``: what :func:`_reencoded_crops` looks up for one
    smaller image."""
    h, w = px.shape[-2:]
    rows, cols = (_block_starts(n, s, _REENCODED_BLOCKS) for n in (h - 4 * _BLOCK + 1, w - 4 * _BLOCK + 1))
    # the block means of the pixels those windows cover only (a fifth of a photo's): in a compacted image of those
    # rows and columns, where each window's blocks are still 4 consecutive rows and columns
    take_r, take_c = (np.unique((v[:, None] + np.arange(4 * _BLOCK)).ravel()) for v in (rows, cols))
    m = _block_means(torch.from_numpy(px[:, take_r][:, :, take_c]))
    at_r, at_c = (np.searchsorted(t, v[:, None] + np.arange(4) * _BLOCK) for t, v in ((take_r, rows), (take_c, cols)))
    q, ok = _grid_keys(m, at_r, at_c)
    r_at, c_at = np.nonzero(ok)
    q, r_at, c_at = q[r_at, c_at], rows[r_at], cols[c_at]
    by = np.argsort(q)  # sorted needles: each search starts at the last
    return q[by], r_at[by], c_at[by]


def _reencoded_both_ways(train_recs: list[ImageRecord], test_recs: dict, names: dict, found: set[str],
                         pairs: list | None = None, memo: dict | None = None) -> list[str]:
    """The test images not in ``found`` that are a crop of a training image saved again, ``dataset/image (cut from a
    training image, saved again)``, or that training images are crops of, saved again, ``dataset/image (N training
    image(s) cut from it, saved again)`` (:func:`_reencoded_crops`: a scraped copy's patches, a JPEG of a detail);
    either as it is or turned by k·90° or mirrored (a training set saved with its augmentations), marked ``, turned or
    mirrored``. Only the test side is turned, the eight ways (a test set's few images): each looked up turned, and
    indexed turned for the training images' look-ups. ``pairs``: (test image, training image) appended; ``memo``:
    each image's turnings and keys kept (:func:`_kept`: a hold-out's rounds)."""
    done = set(found) | {f.rsplit(" (", 1)[0] for f in found}  # named already, as it is or with its marker
    left = [(spec, r) for spec, rs in test_recs.items() for r in rs
            if f"{names[spec]}/{r.image_id}" not in done and r.pixels.shape[0] == 3]
    pool = [r for r in train_recs if r.pixels.shape[0] == 3]
    if not left or not pool or not _crop_sizes_fit({s for _, r in left for s in (r.size, r.size[::-1])},
                                                   {r.size for r in pool}):
        return []  # no image is smaller than one of the other side's (a set of patches of one size): none cut from one
    # each test image's eight turnings (_turned_views), as it is first: turnings[8 i + t] is left[i] turned the t-th way
    turnings = [_TurnedView(r, t) for _, r in left for t in range(8)]
    turned_keys = [(id(r), t) for _, r in left for t in range(8)]
    pool_keys = [(id(r), 0) for r in pool]
    out, named = [], set()
    for at, j in _reencoded_crops(turnings, pool, memo, turned_keys, pool_keys):
        i, turned = divmod(at, 8)
        if i in named:
            continue
        spec, t = left[i]
        out.append(f"{names[spec]}/{t.image_id} (cut from a training image, saved again{_TURNED * bool(turned)})")
        named.add(i)
        if pairs is not None:
            pairs.append((t, pool[j]))
    cut: dict[int, list[int]] = {}  # a test image → its count of training crops, and how many were turned
    for k, at in _reencoded_crops(pool, turnings, memo, pool_keys, turned_keys):
        i, turned = divmod(at, 8)
        if i not in named:
            n = cut.setdefault(i, [0, 0])
            n[0], n[1] = n[0] + 1, n[1] + bool(turned)
            if pairs is not None:
                pairs.append((left[i][1], pool[k]))
    return out + [f"{names[left[i][0]]}/{left[i][1].image_id} ({n} training image{'s' * (n > 1)} cut from it, saved "
                  f"again{_TURNED * bool(turned)})" for i, (n, turned) in sorted(cut.items())]


def _crop_sizes_fit(sides: set[tuple[int, int]], others: set[tuple[int, int]]) -> bool:
    """Whether an image of one of the sizes ``sides`` (h, w) can be a window of one of ``others``, or the other way: no
    larger on either side, and not the same size (:func:`_fits`, as :func:`_reencoded_crops` pairs them)."""
    return bool(_fits(list(sides), list(others)).any() or _fits(list(others), list(sides)).any())


#: the marker of a crop saved again found turned by k·90° or mirrored (:func:`_reencoded_both_ways`)
_TURNED = ", turned or mirrored"


class _TurnedView:
    """An image's turning ``t`` (:func:`_turned_view`: mirrored left-right when t ≥ 4, then turned by (t mod 4)·90°, as
    :func:`_turn` makes it), but a numpy view of its pixels (``array``), no copy: a test set's eight turnings held at
    once (a 2K photo set's: gigabytes as copies). ``pixels``: a contiguous tensor of it, made on each call (a
    candidate's whole comparison)."""

    __slots__ = ("image_id", "array")

    def __init__(self, r: ImageRecord, t: int):
        self.image_id, self.array = r.image_id, _turned_view(r.pixels.numpy(), t)  # not all eight made to keep one

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.array.shape[-2:])

    @property
    def pixels(self) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(self.array))


def _array(r) -> np.ndarray:
    """The pixels of an :class:`ImageRecord` or a :class:`_TurnedView` as a numpy array (a view)."""
    return r.array if isinstance(r, _TurnedView) else r.pixels.numpy()


def _window_index(planes: list[np.ndarray], memo_keys: list[tuple], memo: dict | None = None
                  ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """(s, keys, where, sides): :func:`_cut_from`'s index of the images ``planes`` ((3, H, W) arrays, views too): the
    :data:`_CROP_KEY`-px row windows of each first channel every ``s``-th row and column (``s`` = 8, more for a set of
    over :data:`_CROP_KEYS` such windows), sorted ``keys``, each ``where`` = (image index, row, col); ``sides`` the
    images' (H, W). Each image's windows are kept in ``memo`` under its ``memo_keys`` entry and ``s``."""
    s = max(8, math.ceil(math.sqrt(sum(p.shape[-2] * p.shape[-1] for p in planes) / _CROP_KEYS)))
    keys, where = [], []
    for j, (p, key) in enumerate(zip(planes, memo_keys)):
        k, y, x = _kept(memo, (*key, s), lambda p=p: _indexed_windows(p[0], s))
        keys.append(k)
        where.append(np.stack([np.full(len(k), j), y, x], 1).astype(np.int32))
    keys, where = np.concatenate(keys), np.concatenate(where)
    order = np.argsort(keys, kind="stable")
    return s, keys[order], where[order], np.array([p.shape[-2:] for p in planes], dtype=np.int64)


def _indexed_windows(plane: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keys, rows, cols) of the windows of an image's first channel ``plane`` (H, W) that :func:`_window_index`
    indexes, every ``s``-th row and column (those of ≥ 4 distinct values)."""
    rows, cols = np.arange(0, plane.shape[0], s), np.arange(0, plane.shape[1] - _CROP_KEY + 1, s)
    k, distinct = _window_keys(plane, rows, cols)
    y, x = np.meshgrid(rows, cols, indexing="ij")
    return k[distinct], y[distinct], x[distinct]


def _fits_in(size: tuple[int, int], sides: set[tuple[int, int]]) -> bool:
    """Whether an image of ``size`` (H, W) is, as it is or turned, smaller than one of ``sides`` (sorted (H, W) pairs)
    and not the same size: could be a window of it."""
    a, b = sorted(size)
    return any(a <= h and b <= w and (a, b) != (h, w) for h, w in sides)


def _cut_from(u: np.ndarray, pool: list, keys: np.ndarray, where: np.ndarray, s: int,
              sides: np.ndarray, memo: dict | None = None, memo_key: tuple | None = None) -> int | None:
    """The index of the image of ``pool`` (records, or (3, H, W) arrays) that ``u`` (3, h, w) is a window of, or None
    (:func:`_window_index`: sorted ``keys``, each ``where`` = (pool index, row, col), every ``s``-th row and column;
    ``sides``: the pool's (H, W)). Its windows are looked up in ``s`` × ``s`` blocks at four heights and four widths,
    each block holding one of every (row, col) residue mod ``s``, so a flat band (sky) at its top-left does not hide
    it. Each hit
    points to a position of ``u`` in a training image; the positions most pointed to are tried first (the true one:
    every window of ``u`` on the index's grid; one a window shares by chance, as a dark, grainy set's many do: one or
    two), 64 at most, each compared at a sparse grid of its pixels before it is compared whole. ``memo``: ``u``'s
    look-up keys kept under ``memo_key`` (:func:`_kept`: a hold-out's rounds look the same images up again)."""
    h, w = u.shape[-2:]
    if w < _CROP_KEY:
        return None
    q, r_at, c_at = _kept(memo if memo_key else None, ("window look-ups", memo_key, s),
                          lambda: _looked_up_windows(u, s))
    by_key = np.argsort(q, kind="stable")  # sorted needles: numpy's binary searches start where the last one ended
    lo, hi = np.empty_like(by_key), np.empty_like(by_key)
    lo[by_key], hi[by_key] = np.searchsorted(keys, q[by_key], "left"), np.searchsorted(keys, q[by_key], "right")
    n = hi - lo
    keep = np.argsort(n, kind="stable")  # the rarest windows first, up to _CROP_KEYS hits in all
    keep = keep[(np.cumsum(n[keep]) <= _CROP_KEYS) & (n[keep] > 0)]
    if not len(keep):
        return None
    lo, n, r_at, c_at = lo[keep], n[keep], r_at[keep], c_at[keep]
    query = np.repeat(np.arange(len(n)), n)
    hits = where[np.repeat(lo - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))]
    j, y0, x0 = hits[:, 0], hits[:, 1] - r_at[query], hits[:, 2] - c_at[query]
    big_h, big_w = sides[j, 0], sides[j, 1]
    inside = (y0 >= 0) & (x0 >= 0) & (y0 + h <= big_h) & (x0 + w <= big_w) & ((big_h != h) | (big_w != w))
    if not inside.any():
        return None
    at, votes = np.unique(np.stack([j, y0, x0], 1)[inside], axis=0, return_counts=True)
    sy, sx = max(1, h // 16), max(1, w // 16)
    for j, y0, x0 in at[np.argsort(-votes, kind="stable")[:64]].tolist():
        big = pool[j] if isinstance(pool[j], np.ndarray) else pool[j].pixels.numpy()
        # at a sparse grid first (≤ 16 × 16 pixels): a chance match fails there at once
        if big.dtype == u.dtype and np.array_equal(big[:, y0:y0 + h:sy, x0:x0 + w:sx], u[:, ::sy, ::sx]) \
                and np.array_equal(big[:, y0:y0 + h, x0:x0 + w], u):
            return j
    return None


def _looked_up_windows(u: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keys, rows, cols) of the windows of ``u`` (3, h, w) that :func:`_cut_from` looks up (those of ≥ 4 distinct
    values): ``s`` × ``s`` blocks at four heights and four widths."""
    rows, cols = _block_starts(u.shape[-2], s, 4), _block_starts(u.shape[-1] - _CROP_KEY + 1, s, 4)
    q, distinct = _window_keys(u[0], rows, cols)
    r_at, c_at = np.nonzero(distinct)
    return q[r_at, c_at], rows[r_at], cols[c_at]


def _thumbnail(px: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """(3, H, W) image → its 8×8 thumbnail, (192,) float in [0, 1]: area means (of every ``min(H, W) // 64``-th pixel:
    a 100 MP photo is not turned into floats whole). ``out``: a contiguous (192,) float32 tensor (a row of a batch's,
    :func:`_parts_of_many`) written and returned instead of a new one, the same values."""
    step = max(1, min(px.shape[-2:]) // 64)
    x = to_float(px[:, ::step, ::step])
    h, w = x.shape[-2] // 8, x.shape[-1] // 8  # 0 under MIN_IMAGE_SIDE (a modcrop test image): NaN, no near copy
    x = x[:, : 8 * h, : 8 * w].reshape(x.shape[0], 8, h, 8, w)
    if out is None:
        return x.mean((2, 4)).flatten()
    torch.mean(x, (2, 4), out=out.view(x.shape[0], 8, 8))
    return out


def _sampled(px: torch.Tensor) -> torch.Tensor:
    """The pixels of a (3, H, W) image :func:`_sample` takes, as they are (a strided view, not floats)."""
    step = max(1, min(px.shape[-2:]) // 32) | 1
    return px[:, ::step, ::step]


def _sample(px: torch.Tensor) -> torch.Tensor:
    """(3, H, W) image → every ``s``-th pixel of every ``s``-th row, ``s`` odd (so JPEG's 8-pixel blocks are sampled at
    every phase) and about ``min(H, W) / 32``: (3, n) float in [0, 1], the same n for images of one size."""
    return to_float(_sampled(px)).flatten(1)


def _sketches(images: list[torch.Tensor], parts: list[tuple[torch.Tensor, torch.Tensor]] | None = None
              ) -> tuple[torch.Tensor, ...]:
    """Images of one size → their thumbnails (n, 192: :func:`_thumbnail`), samples (n, 3, m: :func:`_sample`), 64 of
    those a channel (n, 3, ≤ 128) and contrasts (n,: the samples' mean per-channel variance): what
    :func:`_likely_copies` compares. ``parts``: each image's (thumbnail, sample), made already (:func:`_parts`)."""
    parts = parts if parts is not None else _parts_of_many(images)
    samples = torch.stack([p[1] for p in parts])
    coarse = samples[..., :: max(1, samples.shape[-1] // 64)].contiguous()
    return torch.stack([p[0] for p in parts]), samples, coarse, samples.var(-1).mean(-1)


def _parts(px: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(:func:`_thumbnail`, :func:`_sample`) of one (3, H, W) image: its rows of :func:`_sketches`."""
    return _thumbnail(px), _sample(px)


#: :func:`_parts_of_many` makes the parts of up to this many images of one size and type at once, holding at most
#: :data:`_PARTS_BYTES` of their pixels (turned copies) meanwhile
_PARTS_BATCH, _PARTS_BYTES = 256, 64 * 2**20


def _parts_of_many(images: list[torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``[_parts(px) for px in images]``, the same values, made :data:`_PARTS_BATCH` images of one size and type at a
    time: each image's parts are rows of its batch's (thumbnails, samples), not two small tensors of its own made
    beside a freed float copy of the image, which glibc's heap kept in holes (3000 patches of 64 px: 140 MB)."""
    out: list = [None] * len(images)
    groups: dict[tuple, list[int]] = {}
    for i, px in enumerate(images):
        groups.setdefault((tuple(px.shape), px.dtype), []).append(i)
    for (shape, _), idx in groups.items():
        for at in range(0, len(idx), _PARTS_BATCH):
            chunk = idx[at:at + _PARTS_BATCH]
            thumbs = torch.empty(len(chunk), shape[0] * 64)
            for k, i in enumerate(chunk):  # one image at a time, as it is laid out (a turned view's strides, a
                _thumbnail(images[i], out=thumbs[k])  # batch's: other sums, not the same bits), into its batch's row
            samples = to_float(torch.stack([_sampled(images[i]) for i in chunk])).flatten(2)
            for k, i in enumerate(chunk):
                out[i] = thumbs[k], samples[k]
    return out


def _likely_copies(sketches: tuple[torch.Tensor, ...], one: tuple[torch.Tensor, ...]) -> list[int]:
    """The rows of ``sketches`` (:func:`_sketches`) whose image may be a near copy (:func:`_near_copy`) of the one
    sketched by ``one`` (a row of such): thumbnails within 3 levels (mean absolute difference), then 64 of the sampled
    pixels a channel, then all of them, within 4× and 2× the bounds the whole images must meet. Low-contrast textures
    (sand, fabric) and dark frames share a thumbnail; their samples tell them apart without comparing them whole."""
    thumbs, samples, coarse, contrasts = sketches
    thumb, sample, few, contrast = one
    near = ((thumbs - thumb).abs().mean(1) < 3 / 255).nonzero().flatten()
    for many, this, margin in ((coarse, few, 4), (samples, sample, 2)):
        if not len(near):
            return []
        mse = ((many[near] - this) ** 2).mean((1, 2))
        bound = torch.clamp(NEAR_COPY_CONTRAST * torch.minimum(contrasts[near], contrast),
                            max=10 ** (-NEAR_COPY_PSNR / 10))
        near = near[mse <= margin * bound]
    return near.tolist()


def _thumbnail_candidates(left: list, pools: dict, sketches: dict, memo: dict | None = None,
                          everyone=None) -> set[int]:
    """The indices of ``left`` ((spec, record) pairs) of which a turning (:func:`_turnings`) has a thumbnail within
    :func:`_likely_copies`' first bound of a thumbnail of ``sketches`` (of ``pools``' images, by size): all compared at
    once, a matrix a size (one image at a time, a 5000-image folder's hold-out compared thumbnails for minutes).
    ``memo`` and ``everyone`` (size → (the records of that size on either side, their :func:`_sketches`, the pool
    index of each now: -1 where not in ``pools``)): each turning is compared with every image of its size once, those
    close kept (:func:`_kept`: their indices there), and a later call, the images split otherwise, looks up which of
    them are in ``pools`` now."""
    thumbs: dict[tuple, list[torch.Tensor]] = {}
    who: dict[tuple, list[tuple]] = {}
    kept = memo is not None and everyone is not None
    out = set()
    todo: list[tuple] = []  # (size, its row in thumbs, key, turned pixels) whose parts are not made yet
    held = 0  # the bytes of their pixels

    def make():  # their parts, made together (_parts_of_many)
        for (size, row, key, _), parts in zip(todo, _parts_of_many([t[3] for t in todo])):
            thumbs[size][row] = parts[0]
            if memo is not None:
                memo[key] = parts
        todo.clear()

    for i, (_, r) in enumerate(left):
        for which, _, px in _turnings(r.pixels, pools):
            size = tuple(px.shape[-2:])
            if kept and (close := memo.get(("thumbnails", id(r), which))) is not None:
                if (everyone(size)[2][close] >= 0).any():
                    out.add(i)
                continue
            key, rows = ("parts", id(r), which), thumbs.setdefault(size, [])
            rows.append(memo[key][0] if memo is not None and key in memo else None)
            who.setdefault(size, []).append((i, r, which))
            if rows[-1] is None:
                todo.append((size, len(rows) - 1, key, px))
                held += px.untyped_storage().nbytes()
                if len(todo) >= _PARTS_BATCH or held >= _PARTS_BYTES:
                    make()
                    held = 0
    make()
    for size, rows in thumbs.items():
        pool = everyone(size)[1][0] if kept else sketches[size][0]
        for at in range(0, len(rows), 1024):  # (1024, len(pool)) distances at a time
            mean_abs = torch.cdist(torch.stack(rows[at:at + 1024]).double(), pool.double(), p=1) / pool.shape[1]
            close = mean_abs < 3 / 255 + 1e-6
            if not kept:
                out.update(who[size][at + j][0] for j in close.any(1).nonzero().flatten().tolist())
                continue
            for j, row in enumerate(close):
                i, r, which = who[size][at + j]
                memo["thumbnails", id(r), which] = near = row.nonzero().flatten().numpy().astype(np.int32)
                if (everyone(size)[2][near] >= 0).any():
                    out.add(i)
    return out


def _near_copy(a: torch.Tensor, b: torch.Tensor, contrasts: tuple | None = None) -> bool:
    """Whether two images of one size are one photo saved twice: within :data:`NEAR_COPY_PSNR` dB of each other, and
    their difference small beside their content (:data:`NEAR_COPY_CONTRAST`: dark or flat images are not copies).
    ``contrasts``: two functions that give :func:`_contrast` of ``a`` and of ``b`` (kept from an earlier pair)."""
    if a.shape != b.shape:
        return False
    x, y = to_float(a), to_float(b)
    mse = float(((x - y) ** 2).mean())
    if mse > 10 ** (-NEAR_COPY_PSNR / 10):
        return False
    of_a, of_b = contrasts or (lambda: _contrast(x), lambda: _contrast(y))
    return mse <= NEAR_COPY_CONTRAST * min(of_a(), of_b())


def _contrast(x: torch.Tensor) -> float:
    """The mean per-channel variance of a (3, H, W) float image (:func:`_near_copy`'s measure of its content)."""
    return float(x.var(dim=(-2, -1)).mean())


def _area_thumbnail(px: torch.Tensor) -> torch.Tensor:
    """(3, H, W) image → its 8×8 thumbnail of area means, (192,) float in [0, 1], of a sample ≥ 256 px a side (every
    ``min(H, W) // 256``-th pixel): a resized copy's is the original's (unlike :func:`_thumbnail`'s coarser sample,
    whose aliasing differs between the two by 7 levels on a detailed photo)."""
    import torch.nn.functional as F

    step = max(1, min(px.shape[-2:]) // 256)
    return F.adaptive_avg_pool2d(to_float(px[:, ::step, ::step].contiguous())[None], 8)[0].flatten()


def _to_smaller(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Two (3, H, W) images → both at the smaller one's size, float in [0, 1] (the larger resized by area means)."""
    import torch.nn.functional as F

    x, y = to_float(a), to_float(b)
    if x.shape[-2] * x.shape[-1] < y.shape[-2] * y.shape[-1]:
        x, y = y, x
    return F.interpolate(x[None], size=tuple(y.shape[-2:]), mode="area")[0], y


def _turn(px: torch.Tensor, k: int, mirrored: bool) -> torch.Tensor:
    """(…, H, W) ``px`` mirrored (left-right) if ``mirrored``, then turned by ``k``·90° (torch.rot90 over H, W)."""
    return torch.rot90(px.flip(-1) if mirrored else px, k, dims=(-2, -1))


def _turnings(px: torch.Tensor, sizes) -> object:
    """``((0, False), False, px)``, then ``((k, mirrored), True, v)`` for the seven images ``px`` turned by 90°, 180° or
    270° or mirrored and turned make, those of a size in ``sizes`` only (lazily: a test image is turned only while no
    copy is found, and only to a size some training image has)."""
    h, w = px.shape[-2:]
    for mirrored in (False, True):
        for k in range(4):
            if (h, w)[k % 2:] + (h, w)[:k % 2] in sizes:
                v = px.flip(-1) if mirrored else px
                yield (k, mirrored), (k, mirrored) != (0, False), torch.rot90(v, k, dims=(-2, -1)) if k else v


class DataCache:
    """Decoded images per source, and their content fingerprints, shared by every run of a grid."""

    def __init__(self):
        self._images: dict[DataSpec, list[ImageRecord]] = {}
        self._fingerprints: dict[tuple[tuple[DataSpec, ...], bool], str] = {}
        #: {fingerprint key: (the dtypes of the images it hashes, those images)}: Task.data_tag's
        self._pool_dtypes: dict[tuple[tuple[DataSpec, ...], bool], tuple[frozenset, list[ImageRecord]]] = {}
        #: {fingerprint key: its dtypes as a task degrades them, uint8 for an image on 8-bit levels}: read on demand
        self._degraded_dtypes: dict[tuple[tuple[DataSpec, ...], bool], frozenset] = {}
        self._hashes: dict[int, str] = {}  # id(ImageRecord) → image_hash; the records live as long as the cache
        self._upright: dict[int, str] = {}  # id(ImageRecord) → upright_hash (a hold-out's keys)
        self._held: dict[tuple[DataSpec, float], list[bool]] = {}  # (whole source, share) → holdout_split's answer
        #: (whole source, share) → the near copies holdout_split joined (its ``groups``): drawn here, or the driver's
        self._joined: dict[tuple[DataSpec, float], dict[str, str]] = {}
        self._settled: set[tuple[DataSpec, float]] = set()  # of those, the driver's (:meth:`take_holdouts`)
        self._overlaps: dict[tuple[tuple[DataSpec, ...], tuple[DataSpec, ...]], list[str]] = {}
        self._repeats: dict[DataSpec, list[str]] = {}
        self._grey: dict[DataSpec, list[str]] = {}

    def __contains__(self, spec: DataSpec) -> bool:
        """Whether ``spec``'s images are held (decoded, or adopted from another cache)."""
        return spec in self._images

    def images(self, spec: DataSpec) -> list[ImageRecord]:
        if spec not in self._images and spec.holdout:  # both parts from one decoding of their source
            source = dataclasses.replace(spec, holdout=None, max_images=None)
            whole = self.images(source)
            key = source, spec.holdout[0]
            if key not in self._held:  # drawn once for both parts (near copies compared, or the driver's joins)
                with _still_comparing(f"{source}: its {spec.holdout[0]:g}% hold-out: {plural(len(whole), 'image')}"):
                    self._held[key] = holdout_split(whole, spec.holdout[0], self._upright_hash, spec,
                                                    self._joined.setdefault(key, {}), settled=key in self._settled)
            self._images[spec] = holdout_part(spec, whole, held=self._held[key])
        if spec not in self._images:
            self._images[spec] = load_images(spec)
            log.info("loaded %s from %s", plural(len(self._images[spec]), "image"), spec)
        return self._images[spec]

    def holdouts(self, specs) -> tuple:
        """The hold-outs of ``specs`` (``SOURCE[holdout=P%]``) as drawn here: ``((source, share, joins), …)``, the
        near copies :func:`holdout_split` joined (sorted (key, key it is joined to) pairs; none: ``()``), for workers
        to draw the same split from (:meth:`take_holdouts`) — their near-copy detectors' floating-point thresholds,
        on another machine's maths libraries, could join a borderline pair otherwise, and train another split than
        the run ids were planned on. Small: the keys of near copies only."""
        out = {}
        for spec in dict.fromkeys(specs):
            if spec.holdout:
                self.images(spec)
                key = dataclasses.replace(spec, holdout=None, max_images=None), spec.holdout[0]
                out[key] = (*key, tuple(sorted(self._joined[key].items())))
        return tuple(out.values())

    def take_holdouts(self, given) -> None:
        """Draw the hold-outs ``given`` (:meth:`holdouts`, the driver's) from the driver's joins, comparing no images:
        the split the grid was planned on (a source changed since is still told by the runs' fingerprints)."""
        for source, share, joins in given:
            if (source, share) not in self._held:
                self._joined[source, share] = dict(joins)
                self._settled.add((source, share))

    def share(self, specs) -> tuple | None:
        """Write the decoded images of ``specs`` once to an unlinked file this process keeps open, for local workers
        on this machine to map (:meth:`adopt`) instead of each decoding its own copy — N × the decoding, N × the
        memory (or N spill files, :class:`_Spill`). ``(file, (path, index))``: close the file once the workers are
        done (the kernel frees it then, or when this process dies); ``path`` opens it from another process
        (``/proc/<pid>/fd/<n>``). None where it cannot be written (a full disk: each worker decodes, as before)."""
        import tempfile

        specs = list(dict.fromkeys(specs))
        if not specs or not Path(f"/proc/{os.getpid()}/fd").is_dir():  # not Linux: no path to an unlinked file
            return None
        f = None
        try:
            f = tempfile.TemporaryFile(prefix="plbench-shared-", dir=spill_folder(check=False))
            index = []
            for spec in specs:
                entries = []
                for r in self.images(spec):
                    offset = -(-f.tell() // _Spill.ALIGN) * _Spill.ALIGN
                    f.seek(offset)
                    r.pixels.contiguous().numpy().tofile(f)
                    entries.append((r.image_id, offset, str(r.pixels.dtype).removeprefix("torch."),
                                    tuple(r.pixels.shape)))
                index.append((spec, tuple(entries)))
            f.flush()
        except OSError as exc:
            if f is not None:
                f.close()
            log.warning("could not write the decoded images for the workers to share (%s): each decodes its own",
                        first_line(exc))
            return None
        return f, (f"/proc/{os.getpid()}/fd/{f.fileno()}", tuple(index))

    def adopt(self, shared: tuple) -> None:
        """Take the images another process decoded (:meth:`share`'s ``(path, index)``) as this cache's, mapped from its
        file (copy on write; the same pixels, so the same fingerprints and crops); nothing where the file cannot be
        opened (its process gone): they are decoded here as before."""
        path, index = shared
        try:
            size = os.stat(path).st_size
            flat = torch.from_file(path, shared=False, size=size, dtype=torch.uint8) if size else None
        except (OSError, RuntimeError) as exc:
            log.info("the driver's decoded images cannot be mapped (%s): decoding them here", first_line(exc))
            return
        for spec, entries in index:
            records = []
            for image_id, offset, dtype, shape in entries:
                dt = getattr(torch, dtype)
                nbytes = math.prod(shape) * torch.empty((), dtype=dt).element_size()
                records.append(ImageRecord(image_id, flat[offset:offset + nbytes].view(dt).view(shape)))
            self._images.setdefault(spec, records)

    def pooled(self, specs: tuple[DataSpec, ...]) -> list[ImageRecord]:
        """The images of several sources, in order (a training set such as BSD200 + T91)."""
        return [r for s in specs for r in self.images(s)]

    def fingerprint(self, specs: tuple[DataSpec, ...], role: str = "test", task=None, device_type: str = "cpu") -> str:
        """Content hash of the sources' decoded images (:func:`benchmark.data.fingerprint`). A
        training pool (``role="train"``) that mixes 8-bit with 16-bit or float images gets another
        one: before plbench scaled each crop by its own type, such batches were stacked as 0..255
        floats, so runs trained on them then must not be resumed as done now (every other pool,
        and every test set, keeps its fingerprint and its run ids). So does a pool whose images' dtypes ``task`` (a
        :class:`benchmark.task.Task`) now degrades otherwise (:meth:`~benchmark.task.Task.data_tag`: ``sr4
        resize=matlab`` on 16-bit or float images, once rounded to 8-bit levels; one of 8-bit levels alone, a v·257
        file, counts as 8-bit: :func:`on_8bit_levels`, as the task reads it), on ``device_type`` (a training pool
        the GPU step quantises to 8 bit, :func:`trains_on_uint8`, is degraded as it always was there:
        no tag)."""
        key = (specs, role == "train")
        if key not in self._fingerprints:
            pool = self.pooled(specs)
            if role == "train":  # an image under 8 px is never trained on (a crop is ≥ 8 px): kept out, so a training
                pool = [r for r in pool if min(r.size) >= MIN_IMAGE_SIDE]  # pool's id is what it was before they
                # were loaded (test sets hold them: a task with modcrop=true scores them, so their ids change)
            # the dtypes of the images the pool's runs use, read once with its hash (resolve asks per run config)
            self._pool_dtypes[key] = (dtypes := frozenset(r.pixels.dtype for r in pool)), pool
            mixed = role == "train" and len(dtypes) > 1
            self._fingerprints[key] = fingerprint(pool) if not mixed else \
                hashlib.sha256(f"mixed dtypes, each crop scaled|{fingerprint(pool)}".encode()).hexdigest()[:12]
        tag = ""
        if task is not None:
            dtypes = {torch.uint8} if role == "train" and trains_on_uint8(task, device_type) else \
                self._pool_dtypes[key][0]
            # a 16-bit or float image on 8-bit levels only (a v·257 file) counts as 8-bit, as the task degrades it:
            # read only where the pool's dtypes raise a tag (uint8 never does), a pass over each such image that no
            # other task needs
            if (tag := task.data_tag(dtypes)) and dtypes != {torch.uint8}:
                tag = task.data_tag(self._as_degraded(key))
        if tag:
            return hashlib.sha256(f"{tag}|{self._fingerprints[key]}".encode()).hexdigest()[:12]
        return self._fingerprints[key]

    def _as_degraded(self, key) -> frozenset:
        """The dtypes of fingerprint ``key``'s pool as a task degrades its images: ``torch.uint8`` also for a 16-bit or
        float image on 8-bit levels only (:func:`on_8bit_levels`, float64 copies of the whole image: read once a
        pool, where a task's tag asks)."""
        if key not in self._degraded_dtypes:
            self._degraded_dtypes[key] = frozenset(
                torch.uint8 if on_8bit_source(r.pixels) else r.pixels.dtype for r in self._pool_dtypes[key][1])
        return self._degraded_dtypes[key]

    def _hash(self, r: ImageRecord) -> str:
        """:func:`image_hash` of one image, once per image (by identity) for this cache's life."""
        if id(r) not in self._hashes:
            self._hashes[id(r)] = image_hash(r.pixels)
        return self._hashes[id(r)]

    def _upright_hash(self, r: ImageRecord) -> str:
        """:func:`upright_hash` of one image (its :meth:`_hash` reused), once per image for this cache's life."""
        if id(r) not in self._upright:
            self._upright[id(r)] = upright_hash(r.pixels, self._hash(r))
        return self._upright[id(r)]

    def _turned_copies(self, train_recs: list[ImageRecord], test_recs: dict[DataSpec, list[ImageRecord]],
                       names: dict[DataSpec, str], found: set[str]) -> list[str]:
        """The test images not in ``found`` that are a training image turned by 90°, 180° or 270° or mirrored
        (``dataset/image (turned or mirrored)``). A candidate pair shares its sides (either way round), dtype and the
        four corner pixels (which turning and mirroring only reorder). Turning and mirroring are undone by one of the
        seven, so each test candidate (a test set's few) is turned the seven ways and hashed, and each candidate
        training image hashed once (as the identical-pixels check hashes it): a set whose corners all agree (white
        or black borders) is not turned image by image."""
        def corners(r):
            px = r.pixels
            return (tuple(sorted(px.shape[-2:])), px.dtype,
                    tuple(sorted(map(tuple, px[:, [0, 0, -1, -1], [0, -1, 0, -1]].T.tolist()))))

        left = [(s, r) for s, rs in test_recs.items() for r in rs if f"{names[s]}/{r.image_id}" not in found]
        if not left:
            return []
        keys = {id(r): corners(r) for _, r in left}
        wanted, matched, trained = set(keys.values()), set(), set()
        for r in train_recs:
            if (k := corners(r)) in wanted:
                matched.add(k)
                trained.add(self._hash(r))
        return [f"{names[s]}/{r.image_id} (turned or mirrored)" for s, r in left
                if keys[id(r)] in matched and self._turned_hashes(r) & trained]

    @staticmethod
    def _near_copies(train_recs: list[ImageRecord], test_recs: dict[DataSpec, list[ImageRecord]],
                     names: dict[DataSpec, str], found: set[str], pairs: list | None = None,
                     memo: dict | None = None) -> list[str]:
        """The test images not in ``found`` that are a training image saved again (a JPEG re-encoded, a PNG exported
        as JPEG: other pixels, the same photo), as it is or turned by k·90° or mirrored (a phone photo whose copy lost
        its EXIF orientation, or was turned when exported): ``dataset/image (near-identical: re-encoded)``, or
        ``(near-identical: re-encoded, turned or mirrored)``, where the two are :func:`_near_copy`. Candidates are
        paired by their thumbnails and samples (:func:`_likely_copies`), then compared whole. ``pairs``: where given,
        each (test image, training image it copies) is appended; ``memo``: sketches and comparisons kept
        (:func:`_kept`)."""
        found = {f.removesuffix(" (turned or mirrored)") for f in found}  # named as exact turned copies already
        left = [(s, r) for s, rs in test_recs.items() for r in rs if f"{names[s]}/{r.image_id}" not in found]
        sizes = {size for _, r in left for size in (r.size, r.size[::-1])}
        pools: dict[tuple, list[ImageRecord]] = {}
        for r in train_recs:
            if r.size in sizes and r.pixels.shape[0] == 3:
                pools.setdefault(r.size, []).append(r)
        def sketched(pool):
            if memo is None:
                return _sketches([r.pixels for r in pool])
            missing = [r for r in pool if ("parts", id(r), (0, False)) not in memo]  # made together
            memo.update({("parts", id(r), (0, False)): p for r, p in zip(missing, _parts_of_many(
                [r.pixels for r in missing]))})
            return _sketches([r.pixels for r in pool], [memo["parts", id(r), (0, False)] for r in pool])

        at_now: dict[tuple, np.ndarray] = {}  # a size → each of everyone's images' index in its pool now (or -1)

        def everyone(size):  # with a memo: the images of a size on either side (the same in every call), their
            rs, sketches, index = _kept(memo, ("everyone", size), lambda: (  # sketches, and their pool index now
                lambda rs: (rs, sketched(rs), {id(r): k for k, r in enumerate(rs)}))(
                [r for r in (*train_recs, *(r for rs in test_recs.values() for r in rs))
                 if r.size == size and r.pixels.shape[0] == 3]))
            if size not in at_now:
                at_now[size] = np.full(len(rs), -1, np.int64)
                for k, b in enumerate(pools.get(size, ())):
                    at_now[size][index[id(b)]] = k
            return rs, sketches, at_now[size]

        def contrast(r, which, px):
            return lambda: _kept(memo, ("contrast", id(r), which), lambda: _contrast(to_float(px)))

        def likely_ones(r, which, px):  # the indices in everyone(size) of the images _likely_copies keeps
            one = tuple(t[0] for t in _sketches([px], [_kept(memo, ("parts", id(r), which), lambda: _parts(px))]))
            return np.array(_likely_copies(everyone(tuple(px.shape[-2:]))[1], one), np.int32)

        def same(b, r, which, px):  # b (a training image) and r turned (which: px) one photo saved twice?
            if memo is None:
                return _near_copy(b.pixels, px)
            return _kept(memo, ("near", id(b), id(r), which), lambda: _near_copy(
                b.pixels, px, (contrast(b, (0, False), b.pixels), contrast(r, which, px))))

        sketches = {size: sketched(pool) for size, pool in pools.items()}
        likely = _thumbnail_candidates(left, pools, sketches, memo, everyone)
        out = []
        for i, (s, r) in enumerate(left):
            if i not in likely:  # no training image's thumbnail is near any of its turnings'
                continue
            for which, turned, px in _turnings(r.pixels, pools):
                size = tuple(px.shape[-2:])
                if memo is None:
                    one = tuple(t[0] for t in _sketches([px]))
                    near = [pools[size][k] for k in _likely_copies(sketches[size], one)]
                else:  # each image's likely copies among every image of its size, once: those on the other side now
                    ones = _kept(memo, ("likely", id(r), which), lambda r=r, w=which, px=px: likely_ones(r, w, px))
                    at = everyone(size)[2][ones]
                    near = [pools[size][k] for k in np.sort(at[at >= 0]).tolist()]
                twin = next((b for b in near if same(b, r, which, px)), None)
                if twin is not None:
                    if pairs is not None:
                        pairs.append((r, twin))
                    out.append(f"{names[s]}/{r.image_id} (near-identical: re-encoded{', turned or mirrored' * turned})")
                    break
        return out

    @staticmethod
    def _scaled_copies(train_recs: list[ImageRecord], test_recs: dict[DataSpec, list[ImageRecord]],
                       names: dict[DataSpec, str], found: set[str], pairs: list | None = None,
                       memo: dict | None = None) -> list[str]:
        """The test images not in ``found`` that are a training image of another size, resized (a web-size export of a
        photo trained on at full size, or the other way), as it is or turned by k·90° or mirrored (a phone photo whose
        export lost its EXIF orientation): ``dataset/image (near-identical: resized)``, or ``(near-identical: resized,
        turned or mirrored)``. Candidates
        share the aspect ratio (to a pixel) and the 8×8 thumbnail (:func:`_area_thumbnail`: Kodak24's photos resized
        to 1/2-1/4 by PIL's bicubic are within 1.4 levels of their own, distinct photos ≥ 22 apart) within 3 levels;
        the larger is then resized to the smaller's size (area means) and the two
        must be :func:`_near_copy`. ``pairs``: where given, each (test image, training image it copies) is appended;
        ``memo``: thumbnails and comparisons kept (:func:`_kept`)."""
        found = {f.split(" (near-identical")[0].removesuffix(" (turned or mirrored)") for f in found}
        left = [(s, r) for s, rs in test_recs.items() for r in rs
                if f"{names[s]}/{r.image_id}" not in found and r.pixels.shape[0] == 3]
        pool = [r for r in train_recs if r.pixels.shape[0] == 3]
        if not left or not pool:
            return []
        sizes = torch.tensor([r.size for r in pool], dtype=torch.float64)
        longest, thumbs = sizes.max(1).values, None  # the thumbnails once a test image has a candidate
        shaped: dict[tuple[int, int], torch.Tensor | None] = {}  # (h, w) → the pool's images of its shape, other size

        def other_sizes(h, w):
            if (h, w) not in shaped:
                same_shape = (sizes[:, 0] * w - sizes[:, 1] * h).abs() <= longest  # within a pixel
                other = same_shape & ((sizes[:, 0] != h) | (sizes[:, 1] != w))
                shaped[h, w] = other if other.any() else None
            return shaped[h, w]

        out = []
        for s, r in left:
            thumb = None
            for mirrored, k in itertools.product((False, True), range(4)):  # as it is, or turned (EXIF lost)
                h, w = r.size[::-1] if k % 2 else r.size
                if (other_size := other_sizes(h, w)) is None:
                    continue
                thumbs = torch.stack([_kept(memo, ("area", id(p)), lambda p=p: _area_thumbnail(p.pixels))
                                      for p in pool]) if thumbs is None else thumbs
                thumb = _kept(memo, ("area", id(r)), lambda r=r: _area_thumbnail(r.pixels)).view(3, 8, 8) \
                    if thumb is None else thumb
                close = (thumbs - _turn(thumb, k, mirrored).flatten()).abs().mean(1) < 3 / 255
                near = other_size & close
                twin = next((pool[j] for j in near.nonzero().flatten().tolist() if _kept(
                    memo, ("resized", id(pool[j]), id(r), k, mirrored),
                    lambda b=pool[j], r=r, k=k, mirrored=mirrored: _near_copy(*_to_smaller(
                        b.pixels, _turn(r.pixels, k, mirrored))))), None)
                if twin is not None:
                    if pairs is not None:
                        pairs.append((r, twin))
                    turned = ", turned or mirrored" * (mirrored or k > 0)
                    out.append(f"{names[s]}/{r.image_id} (near-identical: resized{turned})")
                    break
        return out

    @staticmethod
    def _turned_hashes(r: ImageRecord) -> set[str]:
        """:func:`image_hash` of ``r`` turned by 90°, 180° and 270°, and of its mirror image turned by 0° to 270°: the
        seven other images a training crop's turn and flip make of it (and the seven that undo those)."""
        px = r.pixels
        return {image_hash(torch.rot90(v, k, dims=(-2, -1))) for v in (px, px.flip(-1))
                for k in range(4) if (k, v is px) != (0, True)}

    def greyscale(self, spec: DataSpec) -> list[str]:
        """The ids of ``spec``'s greyscale images (three equal channels: a grey file replicated, or an RGB one of grey
        pixels). Every task degrades the channels apart (denoise draws its noise per channel: three noisy looks at
        each grey pixel, an easier problem than grey denoising at that sigma; demosaic samples one channel a pixel),
        so a grey set's scores are neither grey restoration's (Set12, BSD68) nor colour's: logged once per source, a
        WARNING where every image is grey, INFO naming them where some are."""
        if spec not in self._grey:
            records = self.images(spec)
            grey = [r.image_id for r in records if r.pixels.shape[0] == 3
                    and torch.equal(r.pixels[0], r.pixels[1]) and torch.equal(r.pixels[1], r.pixels[2])]
            self._grey[spec] = grey
            if grey and len(grey) == len(records):
                log.warning("%s: every one of its %d images is greyscale, read as three equal channels: each task "
                            "degrades the channels apart (denoise's noise is drawn per channel: three noisy looks at "
                            "each pixel), so its scores are not those of greyscale restoration (Set12's, BSD68's at "
                            "that sigma) nor of colour photos'", spec, len(grey))
            elif grey:
                log.info("%s: %d of %s %s greyscale (three equal channels), the rest colour: %s", spec,
                         len(grey), plural(len(records), "image"), agree(len(grey), "is", "are"),
                         ", ".join(grey[:5]) + (", …" if len(grey) > 5 else ""))
        return self._grey[spec]

    @torch_threads(1)
    def repeats(self, spec: DataSpec, name: str | None = None, records: list[ImageRecord] | None = None) -> list[str]:
        """The images of ``spec`` identical, pixel for pixel, to an earlier image of it (``copy (= first)``), or of
        its size and within :data:`NEAR_COPY_PSNR` dB of one (``copy (≈ first, saved again)``: a PNG and its JPEG
        export): each copy would be scored, weighing twice in every mean of a test set. Logged as a WARNING once per
        source; :meth:`overlap` asks it of every test source."""
        if spec not in self._repeats:
            records = self.images(spec) if records is None else records
            shapes = Counter((tuple(r.pixels.shape), r.pixels.dtype) for r in records)
            first: dict[str, str] = {}
            out = []
            for r in records:
                if shapes[(tuple(r.pixels.shape), r.pixels.dtype)] < 2:
                    continue
                h = self._hash(r)
                if h in first:
                    out.append(f"{r.image_id} (= {first[h]})")
                else:
                    first[h] = r.image_id
            # one photo saved twice (holiday.png and its holiday.jpg export): other pixels, within NEAR_COPY_PSNR dB
            copied = {o.split(" (= ")[0] for o in out}
            groups: dict[tuple, list[ImageRecord]] = {}
            for r in records:
                if r.image_id not in copied:
                    groups.setdefault(r.size, []).append(r)
            for group in (g for g in groups.values() if len(g) > 1):
                sketches = _sketches([r.pixels for r in group])
                kept = torch.ones(len(group), dtype=torch.bool)
                for i, r in enumerate(group):  # against the earlier ones kept: their thumbnails and samples first
                    near = [j for j in _likely_copies(tuple(t[:i] for t in sketches), tuple(t[i] for t in sketches))
                            if kept[j]]
                    twin = next((group[j] for j in near if _near_copy(group[j].pixels, r.pixels)), None)
                    if twin is not None:
                        out.append(f"{r.image_id} (≈ {twin.image_id}, saved again)")
                        kept[i] = False
            self._repeats[spec] = out
            if out:
                log.warning("%s: %d of %d test images repeat an earlier one (identical pixels, or ≈ one saved again): "
                            "each copy is scored and weighs in every mean: %s", name or spec, len(out), len(records),
                            ", ".join(out[:5]) + (", …" if len(out) > 5 else ""))
        return self._repeats[spec]

    @torch_threads(1)
    def overlap(self, train: tuple[DataSpec, ...], test: tuple[DataSpec, ...]) -> list[str]:
        """The test images (``dataset/image``, names by :func:`dataset_names`) identical, pixel for pixel,
        to a training image: ``--test-data X`` with ``--train-data X``, a folder and its ``:train``
        sub-folder, ``skimage`` (all of it) against ``skimage:train``; or to a training image turned by k·90° or
        mirrored (``dataset/image (turned or mirrored)``), which training crops are (:func:`sample_batch`): a
        dataset saved with its augmentations, then split. The first time a pair is asked,
        a non-empty answer is logged as a WARNING with the count; so are images repeated within a test
        source (:meth:`repeats`)."""
        key = (tuple(train), tuple(test))
        if key not in self._overlaps:
            n_train = sum(len(self.images(s)) for s in dict.fromkeys(train))
            n_test = sum(len(self.images(s)) for s in dict.fromkeys(test))
            with _still_comparing(f"the overlap check of {plural(n_train, 'training image')} and "
                                  f"{plural(n_test, 'test image')}"):
                self._overlap(key, train, test)
        return self._overlaps[key]

    def known_overlap(self, train: tuple[DataSpec, ...], test: tuple[DataSpec, ...]) -> dict | None:
        """What :meth:`overlap` found for this pair where it was asked here or given by the driver
        (:meth:`take_overlaps`), comparing no images: ``{"images": [...], "test_images": n}`` for a run's meta.json
        (:func:`overlap_lines` reads it back for the leaderboard), ``{"images": []}`` where none overlaps (the test
        set not decoded to count it: no note says its size); None where it was not checked."""
        key = (tuple(train), tuple(test))
        if key not in self._overlaps:
            return None
        if not (both := list(self._overlaps[key])):
            return {"images": []}
        return {"images": both, "test_images": sum(len(self.images(s)) for s in dict.fromkeys(test))}

    def overlaps(self, configs) -> tuple:
        """The driver's :meth:`overlap` answers for ``configs``' (training, test) pairs, as it planned them, for
        workers to take (:meth:`take_overlaps`) and record in their runs' meta.json: they compare no images."""
        pairs = dict.fromkeys((tuple(c.train_data), tuple(c.test_data)) for c in configs)
        return tuple((k, tuple(self._overlaps[k])) for k in pairs if k in self._overlaps)

    def take_overlaps(self, given) -> None:
        """The driver's :meth:`overlaps`, known here as if checked here."""
        for key, both in given:
            self._overlaps.setdefault(tuple(key), list(both))

    def _overlap(self, key: tuple, train: tuple[DataSpec, ...], test: tuple[DataSpec, ...]) -> None:
        """:meth:`overlap`'s comparisons, its answer kept under ``key`` and logged."""
        def shape(r):
            return tuple(r.pixels.shape), r.pixels.dtype

        # identical images share a shape: only images whose shape the other side has are hashed; the training images
        # trained on (one under MIN_IMAGE_SIDE px never is: a test copy of it is not a test image trained on)
        train_recs = [r for s in dict.fromkeys(train) for r in self.images(s) if min(r.size) >= MIN_IMAGE_SIDE]
        test_recs = {s: self.images(s) for s in dict.fromkeys(test)}
        common = {shape(r) for r in train_recs} & {shape(r) for rs in test_recs.values() for r in rs}
        seen = {self._hash(r) for r in train_recs if shape(r) in common}
        names = dataset_names(test)
        both = [f"{names[s]}/{r.image_id}" for s, rs in test_recs.items()
                for r in rs if shape(r) in common and self._hash(r) in seen]
        both += self._turned_copies(train_recs, test_recs, names, set(both))
        both += self._near_copies(train_recs, test_recs, names, set(both))
        both += self._scaled_copies(train_recs, test_recs, names, set(both))
        both += _cropped_copies(train_recs, test_recs, names, set(both))
        both += _cut_from_test(train_recs, test_recs, names, set(both))
        both += _reencoded_both_ways(train_recs, test_recs, names, set(both))
        self._overlaps[key] = both
        for s, rs in test_recs.items():  # one image twice in a test set weighs twice in its every mean
            self.repeats(s, names[s], rs)
        if both:
            n = sum(len(self.images(s)) for s in dict.fromkeys(test))
            turned = " or a training image turned or mirrored, as training crops are, marked so" \
                if any(b.endswith("(turned or mirrored)") for b in both) else ""
            if any("(near-identical: re-encoded" in b for b in both):
                turned += f"; or within {NEAR_COPY_PSNR:.0f} dB of one, saved again, marked so"
            if any("(near-identical: resized" in b for b in both):
                turned += f"; or within {NEAR_COPY_PSNR:.0f} dB of one resized to its size, marked so"
            again = [b for b in both if b.endswith((", saved again)", f", saved again{_TURNED})"))]
            if any("(cut from a training image" in b and b not in again for b in both):
                turned += "; or cut from one, a window of its pixels, marked so"
            if any(" cut from it)" in b for b in both):
                turned += "; or training images cut from it, patches of its pixels, marked so"
            if again:
                turned += "; or cut from one or cut into training images and saved again (re-encoded" + (
                    ", as they are or turned or mirrored" if any(b.endswith(f"{_TURNED})") for b in again)
                    else "") + "), marked so"
            k = len(both)  # counts read in their number (docmarkup): "1 of 1 test image is …"
            log.warning("%d of %s %s (identical pixels%s; train: %s, test: %s): %s not held out: %s",
                        k, plural(n, "test image"),
                        agree(k, "is also a training image", "are also training images"), turned,
                        " + ".join(map(str, train)), " + ".join(map(str, test)),
                        agree(k, "its scores are", "their scores are"),
                        ", ".join(both[:5]) + (", …" if len(both) > 5 else ""))
