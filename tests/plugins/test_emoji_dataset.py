"""The emoji caption set's preparation: captions, the seeded per-category split, compositing."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from aigc.plugins.lib.datasets.emoji import entries, held_out_emoji, to_rgb32, tone_caption

CATALOGUE = [
    {
        "name": "Waving Hand",
        "short_names": ["wave"],
        "category": "People & Body",
        "subcategory": "hand-fingers-open",
        "image": "1f44b.png",
        "has_img_google": True,
        "skin_variations": {
            "1F3FD": {"image": "1f44b-1f3fd.png", "has_img_google": True},
            "1F3FB-1F3FF": {"image": "1f44b-1f3fb-1f3ff.png", "has_img_google": True},
            "1F3FC": {"image": "1f44b-1f3fc.png", "has_img_google": False},
        },
    },
    {
        "name": None,
        "short_names": ["red_apple"],
        "category": "Food & Drink",
        "subcategory": "food-fruit",
        "image": "1f34e.png",
        "has_img_google": True,
    },
]


def test_captions_are_lower_case_names_with_skin_tones_and_only_google_images() -> None:
    rows = entries(CATALOGUE)
    assert [row[1] for row in rows] == [
        "waving hand",
        "waving hand, light skin tone and dark skin tone",
        "waving hand, medium skin tone",
        "red apple",
    ]
    assert [row[0] for row in rows] == [0, 0, 0, 1]  # variants keep their emoji's index
    assert rows[-1][2:] == ("Food & Drink", "food-fruit", "1f34e.png")
    assert tone_caption("ok hand", "1F3FF") == "ok hand, dark skin tone"


def test_the_held_out_emoji_are_a_seeded_share_of_every_category() -> None:
    categories = {i: ("a" if i < 50 else "b") for i in range(60)}
    chosen = held_out_emoji(categories, seed=3, fraction=0.1)
    assert sum(categories[i] == "a" for i in chosen) == 5 and sum(categories[i] == "b" for i in chosen) == 1
    assert chosen == held_out_emoji(categories, seed=3, fraction=0.1)
    assert chosen != held_out_emoji(categories, seed=4, fraction=0.1)


def test_transparent_pixels_become_white_and_the_image_is_halved() -> None:
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[:32, :32] = (255, 0, 0, 255)  # an opaque red quarter on a transparent (black) ground
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="PNG")
    rgb = to_rgb32(buffer.getvalue())
    assert rgb.shape == (32, 32, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[0, 0]) == (255, 0, 0) and tuple(rgb[-1, -1]) == (255, 255, 255)
