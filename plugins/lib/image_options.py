"""Option types of the image plugins (pydantic only: Pillow is imported when an image is given)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def png_base64(image: str) -> str:
    """``image`` if it is a base64 PNG (a ``data:image/png;base64,`` URL is fine), else ``ValueError``
    saying what is wrong, so the validation error names the option."""
    from aigc.core.sdk import png_from_base64

    png_from_base64(image)
    return image


Base64Png = Annotated[str, AfterValidator(png_base64)]
"""An image given in options: a base64 PNG."""
