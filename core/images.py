"""Images (greyscale, RGB, RGBA) to PNG bytes and back to greyscale, deterministically (Pillow + numpy only).

Encoding quantises to 8 bits and enlarges by an integer factor with nearest-neighbour
repetition, so every source pixel becomes an exact ``scale`` x ``scale`` block. Decoding with a
BOX filter averages those blocks, so a nearest-upscaled image comes back exactly, up to the
8-bit quantisation. Provenance text chunks are not written here: the engine stamps them.
"""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np
from PIL import Image

from aigc.core.specs import ArtifactData

MAX_SCALE = 64
# zlib level 3: about 20% less time than the default 6 for about 9% more bytes on the digits
# (benchmarks/engine_overhead.py --png-only); level 9 costs 5x the time for 10% fewer bytes.
PNG_COMPRESS_LEVEL = 3
MAX_INPUT_PIXELS = 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"


CHANNELS = {1: "greyscale (height, width)", 3: "RGB (height, width, 3)", 4: "RGBA (height, width, 4)"}


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A greyscale (H, W), RGB (H, W, 3) or RGBA (H, W, 4) image as uint8: floats in [0, 1] are
    scaled, rounded and clipped; uint8 is kept."""
    array = np.asarray(image)
    channels = 1 if array.ndim == 2 else array.shape[-1] if array.ndim == 3 else 0
    if channels not in CHANNELS:
        raise ValueError(
            f"expected an image of shape {', '.join(CHANNELS.values())}; got shape {array.shape}"
        )
    if array.dtype == np.uint8:
        return array
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"expected float values in [0, 1] or uint8, got dtype {array.dtype}")
    if not np.all(np.isfinite(array)):
        raise ValueError("image contains NaN or infinite values")
    return np.clip(np.rint(array.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)


def encode_png(image: np.ndarray, scale: int = 1) -> bytes:
    """PNG bytes of a greyscale, RGB or RGBA image (see :func:`to_uint8`) with each pixel enlarged
    to ``scale`` x ``scale``.

    Deterministic: the same pixels and scale always give the same bytes.
    """
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be between 1 and {MAX_SCALE}, got {scale}")
    pixels = to_uint8(image)
    if scale > 1:
        pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
    buffer = io.BytesIO()
    # Fixed settings and no metadata: the bytes depend on the pixels only.
    Image.fromarray(np.ascontiguousarray(pixels)).save(
        buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL
    )
    return buffer.getvalue()


def png_artifact(image: np.ndarray, scale: int, metadata: dict[str, object]) -> ArtifactData:
    """An ``image/png`` artifact of a greyscale, RGB or RGBA image enlarged ``scale`` times (see
    :func:`encode_png`); its metadata is ``metadata`` plus the PNG's ``width`` and ``height``."""
    height, width = image.shape[0] * scale, image.shape[1] * scale
    return ArtifactData(
        "image/png",
        data=encode_png(image, scale=scale),
        metadata={**metadata, "width": width, "height": height},
    )


def decode_png(data: bytes, shape: tuple[int, int] | None = None, rgb: bool = False) -> np.ndarray:
    """A PNG (any colour mode) as grayscale float32 in [0, 1], of ``shape`` (height, width) if given;
    with ``rgb``, as ``(height, width, 3)`` colour (transparent pixels keep their colour values).

    Resizing uses a BOX filter on float values, i.e. the mean of each source block.
    """
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        if rgb:
            channels = np.asarray(opened.convert("RGB"), dtype=np.float32) / 255.0
            planes = [Image.fromarray(np.ascontiguousarray(channels[..., c])) for c in range(3)]
        elif opened.mode in ("I;16", "I;16B", "I;16L", "I"):
            planes = [Image.fromarray(np.asarray(opened, dtype=np.float32) / 65535.0)]
        else:
            planes = [Image.fromarray(np.asarray(opened.convert("L"), dtype=np.float32) / 255.0)]
    if shape is not None and (planes[0].height, planes[0].width) != tuple(shape):
        height, width = shape
        planes = [plane.resize((width, height), Image.Resampling.BOX) for plane in planes]
    image = np.stack([np.asarray(plane, dtype=np.float32) for plane in planes], axis=-1)
    return np.clip(image if rgb else image[..., 0], 0.0, 1.0)


def png_from_base64(text: str) -> bytes:
    """The PNG bytes of base64 text (a ``data:image/png;base64,`` URL prefix is allowed).

    For image inputs in options: raises ``ValueError`` saying what is wrong when the text is not
    base64, not a PNG, or larger than ``MAX_INPUT_PIXELS``, so validation errors can name the field.
    """
    payload = text.removeprefix(DATA_URL_PREFIX)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "must be base64-encoded PNG bytes (optionally a data:image/png;base64, URL)"
        ) from None
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("must be a PNG image (the decoded bytes do not start with the PNG signature)")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (OSError, Image.DecompressionBombError) as error:
        raise ValueError(f"is not a readable PNG ({error})") from None
    if width * height > MAX_INPUT_PIXELS:
        raise ValueError(f"is {width}x{height} pixels; at most {MAX_INPUT_PIXELS:,} pixels are accepted")
    return data
