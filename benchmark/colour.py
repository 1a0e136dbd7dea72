"""Colour conversion to sRGB at full precision, for pixels littleCMS (through Pillow, 8-bit only) cannot take.

A 16-bit or float image tagged with a matrix/TRC ICC profile (Adobe RGB, Display P3, ProPhoto, a grey gamma:
the profiles cameras and editors embed), or a PNG described by its ``gAMA``/``cHRM`` chunks, is converted here:
each channel through its tone curve to linear light, by the profile's colorant matrix to the D50 connection
space, by sRGB's (D50-adapted) inverse matrix to linear sRGB, its black taken to sRGB's where it is not zero
(black-point compensation), clipped to [0, 1] and encoded with sRGB's curve. That is what littleCMS does for such
profiles under the perceptual intent, which the 8-bit files' conversion uses (with its v4 sRGB profile it compensates
the black point; relative colorimetric differs only where a profile's black is not zero), in float64 instead of
through 8-bit tables (which, with black-point compensation in the pipeline, are resampled and can be several levels
off). A LUT-based profile (``A2B0`` tags: printers', scanners') is not read here (:func:`icc_shaper` returns None).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: D50, the ICC connection space's white (X, Y, Z), and D65, sRGB's
D50 = np.array([0.9642, 1.0, 0.8249])
D65_XY = (0.3127, 0.3290)
SRGB_PRIMARIES_XY = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))

_BRADFORD = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])


def _xy_to_xyz(x: float, y: float) -> np.ndarray:
    return np.array([x / y, 1.0, (1 - x - y) / y])


def adapt_to_d50(white_xyz: np.ndarray) -> np.ndarray:
    """The 3×3 Bradford matrix taking XYZ under ``white_xyz`` (Y = 1) to XYZ under D50."""
    src, dst = _BRADFORD @ white_xyz, _BRADFORD @ D50
    return np.linalg.inv(_BRADFORD) @ np.diag(dst / src) @ _BRADFORD


def rgb_to_xyz_d50(primaries_xy, white_xy) -> np.ndarray:
    """3×3 matrix: linear RGB of the given primaries and white (chromaticities) → XYZ adapted to D50 (the
    colorant matrix an ICC profile of that space holds)."""
    prim = np.stack([_xy_to_xyz(*p) for p in primaries_xy], axis=1)
    white = _xy_to_xyz(*white_xy)
    return adapt_to_d50(white) @ (prim * np.linalg.solve(prim, white))


def chromaticities_valid(primaries_xy, white_xy) -> bool:
    """Whether primaries and white (chromaticities x, y) describe an RGB space: each inside the xy triangle
    (0 < x, 0 < y, x + y ≤ 1), the primaries a triangle (not on one line) that holds the white, each primary a
    positive share of it. What libpng asks of a PNG's cHRM chunk before it uses it (it ignores another as invalid)."""
    pts = [*primaries_xy, white_xy]
    if not all(x > 0 and y > 0 and x + y <= 1 for x, y in pts):
        return False
    prim = np.stack([_xy_to_xyz(*p) for p in primaries_xy], axis=1)
    if np.linalg.cond(prim) > 1e6:  # on one line (or nearly): no space of three primaries
        return False
    return bool((np.linalg.solve(prim, _xy_to_xyz(*white_xy)) > 0).all())


#: linear sRGB → XYZ (D50), as littleCMS's built-in sRGB profile holds it
SRGB_TO_XYZ_D50 = rgb_to_xyz_d50(SRGB_PRIMARIES_XY, D65_XY)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] → sRGB-encoded values in [0, 1] (IEC 61966-2-1)."""
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * np.power(linear, 1 / 2.4) - 0.055)


#: pixels converted at a time by :meth:`Shaper.to_srgb` (its float64 temporaries: a few MB each)
CHUNK_PIXELS = 1 << 16


@dataclass(frozen=True)
class Shaper:
    """A matrix/TRC colour space: one tone curve per channel (encoded value in [0, 1] → linear light) and the 3×3
    matrix from linear RGB to XYZ (D50); ``grey``: one curve, its linear value the luminance of a neutral."""

    curves: tuple[Callable[[np.ndarray], np.ndarray], ...]
    matrix: np.ndarray | None
    grey: bool = False

    def black(self) -> float:
        """The luminance (Y, white = 1) of this space's black, code 0, as littleCMS detects it for black-point
        compensation: made neutral, at most L* 50; 0 for the usual profiles (sRGB, Adobe RGB, P3, a gamma)."""
        zero = np.zeros(1)
        if self.grey:
            y = float(self.curves[0](zero)[0])
        else:
            y = float(self.matrix[1] @ np.array([curve(zero)[0] for curve in self.curves]))
        return min(max(y, 0.0), ((50 + 16) / 116) ** 3)

    def to_srgb(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) float in [0, 1] in this space → (H, W, 3) float64 sRGB in [0, 1] (out-of-gamut colours
        clipped). A grey space reads the first channel. A space whose black is not zero (:meth:`black`: a
        calibrated display's measured black) has it taken to sRGB's, as littleCMS's perceptual rendering does
        (black-point compensation, which it forces with its v4 sRGB profile): XYZ → (XYZ − black · D50) / (1 − black),
        so that 16-bit files render as littleCMS renders 8-bit ones. Converted :data:`CHUNK_PIXELS` at a time: the
        float64 temporaries of a 24 MP photo at once were ~3.5 GB."""
        rgb = np.asarray(rgb)
        flat = rgb.reshape(-1, rgb.shape[-1])
        out = np.empty((len(flat), 3))
        m = None if self.grey else np.linalg.solve(SRGB_TO_XYZ_D50, self.matrix)  # linear RGB → linear sRGB
        black = self.black()
        for at in range(0, len(flat), CHUNK_PIXELS):
            part = flat[at:at + CHUNK_PIXELS].astype(np.float64)
            if self.grey:
                linear = self.curves[0](part[:, 0])[:, None]
            else:
                linear = np.stack([curve(part[:, c]) for c, curve in enumerate(self.curves)], -1) @ m.T
            if black > 0:  # sRGB's matrix takes D50 to (1, 1, 1): in linear sRGB, (v − black) / (1 − black)
                linear = (linear - black) / (1 - black)
            out[at:at + CHUNK_PIXELS] = srgb_encode(linear)
        return out.reshape(*rgb.shape[:-1], 3)


def gamma_curve(gamma: float) -> Callable[[np.ndarray], np.ndarray]:
    """Encoded value → linear light: ``value ** gamma``."""
    return lambda v: np.power(np.clip(v, 0.0, 1.0), gamma)


def _s15(raw: bytes, at: int) -> float:
    return struct.unpack_from(">i", raw, at)[0] / 65536.0


def _curve(raw: bytes) -> Callable[[np.ndarray], np.ndarray]:
    """An ICC ``curv`` or ``para`` tag → its tone curve; a ``ValueError`` for any other type."""
    kind = raw[:4]
    if kind == b"curv":
        (n,) = struct.unpack_from(">I", raw, 8)
        if n == 0:
            return lambda v: np.clip(v, 0.0, 1.0)
        if n == 1:
            return gamma_curve(struct.unpack_from(">H", raw, 12)[0] / 256.0)
        table = np.frombuffer(raw, dtype=">u2", count=n, offset=12).astype(np.float64) / 65535.0
        xs = np.linspace(0.0, 1.0, n)
        return lambda v: np.interp(v, xs, table)
    if kind == b"para":
        (ftype,) = struct.unpack_from(">H", raw, 8)
        count = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}.get(ftype)
        if count is None:
            raise ValueError(f"a parametric curve of type {ftype}")
        g, a, b, c, d, e, f = ([_s15(raw, 12 + 4 * i) for i in range(count)] + [0.0] * 7)[:7]
        if ftype == 0:  # X^g
            a, b, c, d, e, f = 1.0, 0.0, 0.0, 0.0, 0.0, 0.0
        elif ftype in (1, 2):  # (aX + b)^g (+ c) from X = -b/a, 0 (c) below
            a, b, c, d, e, f = a, b, 0.0, -b / a, c, c
        elif ftype == 3:  # (aX + b)^g from X = d, cX below
            e = f = 0.0

        flat = e if ftype == 4 else 0.0  # above d where aX + b ≤ 0: littleCMS's value (type 2's c is not added)

        def para(v, g=g, a=a, b=b, c=c, d=d, e=e, f=f, flat=flat):
            v = np.clip(v, 0.0, 1.0)
            base = a * v + b
            upper = np.where(base > 0, np.power(np.maximum(base, 0.0), g) + e, flat)
            return np.clip(np.where(v >= d, upper, c * v + f), 0.0, 1.0)

        return para
    raise ValueError(f"a tone curve of type {kind!r}")


def icc_shaper(icc: bytes) -> Shaper | None:
    """The matrix/TRC model of an RGB or grey ICC profile (:class:`Shaper`), or None where it is not one (a LUT-based
    profile, with ``A2B0``/``A2B1``/``D2B0`` tags, which littleCMS prefers to any matrix; another colour space).
    A damaged profile is a ``ValueError``."""
    try:
        space = icc[16:20]
        (count,) = struct.unpack_from(">I", icc, 128)
        tags = {}
        for i in range(count):
            sig, off, size = struct.unpack_from(">4sII", icc, 132 + 12 * i)
            tags[sig] = icc[off:off + size]
        if any(t in tags for t in (b"A2B0", b"A2B1", b"D2B0", b"D2B1")):
            return None
        if space == b"GRAY" and b"kTRC" in tags:
            return Shaper((_curve(tags[b"kTRC"]),), None, grey=True)
        if space != b"RGB " or not all(t in tags for t in (b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC", b"bTRC")):
            return None
        matrix = np.array([[_s15(tags[t], 8 + 4 * k) for k in range(3)] for t in (b"rXYZ", b"gXYZ", b"bXYZ")]).T
        curves = tuple(_curve(tags[t]) for t in (b"rTRC", b"gTRC", b"bTRC"))
    except (struct.error, ZeroDivisionError) as exc:
        raise ValueError(f"a damaged profile ({exc})") from None
    return Shaper(curves, matrix)


#: Adobe RGB (1998), from Adobe Systems, "Adobe RGB (1998) Color Image Encoding", Version 2005-05: its primaries'
#: and white's (D65) chromaticities and its gamma, 563/256 = 2.19921875 (the value its own ICC profile stores; "2.2"
#: in rounded form), black at zero as in that profile
ADOBE_RGB_PRIMARIES_XY = ((0.64, 0.33), (0.21, 0.71), (0.15, 0.06))
ADOBE_RGB_GAMMA = 563 / 256


def adobe_rgb_shaper() -> Shaper:
    """Adobe RGB (1998) as a :class:`Shaper` (its colorants D50-adapted as its ICC profile holds them), for files
    that say they are Adobe RGB without a profile (a camera's EXIF, DCF "R03")."""
    return Shaper((gamma_curve(ADOBE_RGB_GAMMA),) * 3, rgb_to_xyz_d50(ADOBE_RGB_PRIMARIES_XY, D65_XY))


def png_shaper(gamma: float, chromaticity: tuple[float, ...] | None) -> Shaper:
    """A PNG's ``gAMA`` (``gamma``: the file's encoding exponent, linear = value ** (1 / gamma)) and ``cHRM``
    (white x, y then red, green, blue x, y; None: sRGB's primaries and white) as a :class:`Shaper`."""
    curve = gamma_curve(1.0 / gamma)
    if chromaticity is None:
        return Shaper((curve,) * 3, SRGB_TO_XYZ_D50)
    wx, wy, rx, ry, gx, gy, bx, by = chromaticity
    return Shaper((curve,) * 3, rgb_to_xyz_d50(((rx, ry), (gx, gy), (bx, by)), (wx, wy)))
