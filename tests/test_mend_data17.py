"""Mends of the data17 review: duplicated helpers in benchmark/data.py and benchmark/pretrain.py made one."""
import numpy as np
import torch

from benchmark import data


def test_parts_of_many_makes_its_thumbnails_and_samples_with_the_one_image_helpers(monkeypatch):
    """``_parts_of_many`` rewrote ``_thumbnail``'s and ``_sample``'s step formulas and 8×8 means beside them, while
    ``_parts`` used the originals (both fill the same memo entries) → it calls ``_thumbnail(px, out=row)`` and
    ``_sampled`` once an image: bit-identical parts, contiguous or turned, uint8 or float."""
    rng = np.random.default_rng(5)
    pxs = [torch.from_numpy(rng.integers(0, 256, (3, *hw), dtype=np.uint8)) for hw in [(24, 20)] * 3 + [(130, 70)] * 2]
    pxs += [torch.rot90(pxs[0], 1, (1, 2)), pxs[3].flip(-1), data.to_float(pxs[4]),
            pxs[3].transpose(1, 2)]
    calls = {"_thumbnail": 0, "_sampled": 0}

    def counting(name):
        f = getattr(data, name)

        def counted(*a, **k):
            calls[name] += 1
            return f(*a, **k)
        return counted

    for name in calls:
        monkeypatch.setattr(data, name, counting(name))
    many = data._parts_of_many(pxs)
    assert calls == {"_thumbnail": len(pxs), "_sampled": len(pxs)}
    monkeypatch.undo()
    for (t, s), px in zip(many, pxs):
        one_t, one_s = data._parts(px)
        assert torch.equal(t, one_t) and torch.equal(s, one_s) and t.shape == (192,)


def test_one_turned_view_helper_gives_the_turning_order_everyone_reads():
    """``_TurnedView`` wrote the turning order (mirrored when t ≥ 4, then (t mod 4)·90°) a second time beside
    ``_turned_views`` → both use ``_turned_view(a, t)``: each of the eight is the list's, a view of the image, the
    order as it was (t = 4·mirrored + k), and ``_TurnedView`` holds the same one."""
    a = np.random.default_rng(7).integers(0, 256, (3, 5, 9), dtype=np.uint8)
    views = data._turned_views(a)
    assert len(views) == 8
    record = data.ImageRecord("x", torch.from_numpy(a))
    for t in range(8):
        one = data._turned_view(a, t)
        assert np.array_equal(one, views[t]) and np.shares_memory(one, a)
        assert np.array_equal(one, np.rot90(a[:, :, ::-1] if t >= 4 else a, t % 4, axes=(1, 2)))
        assert np.array_equal(data._TurnedView(record, t).array, one)
    assert len({v.tobytes() + bytes(v.shape) for v in views}) == 8


def test_one_size_fit_test_serves_the_crop_look_up_and_its_gate():
    """``_crop_sizes_fit`` redid as a Python double loop the size test ``_reencoded_crops`` did vectorised (and that
    one checked "none fits" twice) → both use ``_fits(small_hw, big_hw)``: the same answers as the loop, either way
    round, turned sizes counted as the caller passes them."""
    rng = np.random.default_rng(11)
    for _ in range(200):
        sides = {tuple(int(v) for v in rng.integers(1, 6, 2)) for _ in range(rng.integers(0, 4))}
        others = {tuple(int(v) for v in rng.integers(1, 6, 2)) for _ in range(rng.integers(0, 4))}
        loop = any(a != b and ((a[0] <= b[0] and a[1] <= b[1]) or (b[0] <= a[0] and b[1] <= a[1]))
                   for a in sides for b in others)
        assert data._crop_sizes_fit(sides, others) is loop
        small, big = sorted(sides), sorted(others)
        assert data._fits(small, big).shape == (len(small), len(big))
        assert [[bool(v) for v in row] for row in data._fits(small, big)] == [
            [a != b and a[0] <= b[0] and a[1] <= b[1] for b in big] for a in small]
    assert data._crop_sizes_fit({(4, 6), (6, 4)}, {(5, 7)}) and not data._crop_sizes_fit({(4, 6)}, {(7, 5)})
    same = [data.ImageRecord(f"p{i}", torch.zeros(3, 16, 16, dtype=torch.uint8)) for i in range(3)]
    assert data._reencoded_crops(same, same) == []


def test_an_ascii_table_is_known_utf8_without_decoding_it(tmp_path, monkeypatch):
    """``_text_encoding`` decoded a whole table to tell it was UTF-8, then threw the text away (a 504 MB JSONL: 0.47 s
    and +490 MB) → an ASCII table is UTF-8 without a decode; the others decoded, the same answers as before."""
    from pathlib import Path

    decoded = []

    class Counted(bytes):
        def decode(self, *a, **k):
            decoded.append(a[0] if a else k.get("encoding"))
            return bytes(self).decode(*a, **k)

    read = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: Counted(read(self)))
    for name, raw, encoding, decodes in [
            ("ascii.jsonl", b'{"image": "a.png"}\n' * 50, "utf-8-sig", []),
            ("utf8.csv", "\ufeffimage\ncafé.png\n".encode(), "utf-8-sig", ["utf-8-sig"]),
            ("cp1252.csv", "image\ncafé.png\n".encode("cp1252"), "cp1252", ["utf-8-sig", "cp1252"]),
            ("utf16.txt", "a.png\n".encode("utf-16"), "utf-16", [])]:
        (tmp_path / name).write_bytes(raw)
        decoded.clear()
        assert data._text_encoding(tmp_path / name) == encoding and decoded == decodes, name


def test_the_contrique_only_settings_take_their_defaults_from_the_dataclass():
    """``_CONTRIQUE_ONLY`` copied seven ``PretrainConfig`` defaults by hand: a default changed in the dataclass and not
    there would make every simclr config (csr's fallback encoder) fail in ``__post_init__`` → it names the fields and
    reads their defaults off the dataclass. ``_LATER`` stays a record of the values old encoders were trained with."""
    import dataclasses

    from benchmark import pretrain

    fields = {f.name: f.default for f in dataclasses.fields(pretrain.PretrainConfig)}
    assert len(pretrain._CONTRIQUE_ONLY) == 7
    assert all(k in fields and pretrain._CONTRIQUE_ONLY[k] == fields[k] for k in pretrain._CONTRIQUE_ONLY)
    assert set(pretrain._LATER) <= set(fields)
    assert pretrain.PretrainConfig(recipe="simclr").recipe == "simclr"  # every contrique setting at its default
