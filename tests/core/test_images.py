"""PNG encoding takes greyscale, RGB and RGBA images; the bytes depend on the pixels only."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from aigc.core.sdk import decode_png, encode_png, png_artifact


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("shape", "mode"), [((4, 3), "L"), ((4, 3, 3), "RGB"), ((4, 3, 4), "RGBA")], ids=["L", "RGB", "RGBA"]
)
def test_each_layout_encodes_to_its_png_mode_pixel_for_pixel(shape: tuple[int, ...], mode: str) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    image = opened(encode_png(pixels, scale=2))
    assert image.mode == mode and image.size == (6, 8)
    np.testing.assert_array_equal(np.asarray(image)[::2, ::2], pixels)
    assert encode_png(pixels, scale=2) == encode_png(pixels.copy(), scale=2)


def test_float_colour_in_unit_range_is_quantised() -> None:
    rgb = np.zeros((2, 2, 3), dtype=np.float32)
    rgb[..., 0] = 1.0
    assert np.asarray(opened(encode_png(rgb)))[0, 0].tolist() == [255, 0, 0]


def test_a_colour_artifact_records_its_enlarged_size() -> None:
    artifact = png_artifact(np.zeros((5, 7, 4), dtype=np.uint8), 3, {"label": 1})
    assert artifact.media_type == "image/png"
    assert artifact.metadata == {"label": 1, "width": 21, "height": 15}
    assert opened(artifact.payload).mode == "RGBA"


@pytest.mark.parametrize("shape", [(4,), (4, 3, 2), (4, 3, 5), (2, 4, 3, 3)])
def test_other_shapes_are_refused_naming_the_accepted_ones(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"RGB \(height, width, 3\).*got shape"):
        encode_png(np.zeros(shape, dtype=np.uint8))


def test_decode_png_in_colour_keeps_the_channels_and_box_reduces_them() -> None:
    image = np.zeros((4, 4, 3))
    image[:2, :2] = (1.0, 0.0, 0.0)  # a red quarter
    data = encode_png(image, scale=4)
    assert decode_png(data).shape == (16, 16)
    colour = decode_png(data, (2, 2), rgb=True)
    assert colour.shape == (2, 2, 3)
    np.testing.assert_allclose(colour[0, 0], (1.0, 0.0, 0.0))
    np.testing.assert_allclose(colour[1, 1], (0.0, 0.0, 0.0))
