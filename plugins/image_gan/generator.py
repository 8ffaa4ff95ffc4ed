"""The ``image-gan`` generator at serving time: numpy latents in, PNG digits out (ONNX Runtime only).

Sample ``i`` takes everything random from ``numpy.random.default_rng(seeds[i])``: first one
label draw (used when no label is requested, drawn either way so that the latent does not
depend on the label option), then the latent, whose components beyond the truncation are
redrawn from the same stream. So a seed fixes a sample whatever else is in the batch, and the
same seed with another label or truncation keeps the latent components that were in range.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aigc.core.sdk import ArtifactData, GeneratorInput, ModelSession, check_seeds, png_artifact
from aigc.plugins.image_gan.options import NUM_LABELS, GanOptions


def truncated_normal(rng: np.random.Generator, size: int, truncation: float) -> np.ndarray:
    """Standard normal draws, each one beyond ``±truncation`` redrawn until it is inside."""
    z = rng.standard_normal(size)
    while (outside := np.abs(z) > truncation).any():
        z[outside] = rng.standard_normal(int(outside.sum()))
    return z


class ImageGanGenerator:
    """Conditional DCGAN digits from ``generator.onnx`` (inputs ``z``, ``label``; output ``image``)."""

    def __init__(self, session: ModelSession) -> None:
        self.session = session
        self.model_sha256: str | None = session.sha256
        self.z_dim = int(session.session.get_inputs()[0].shape[1])

    def latents(self, options: GanOptions, seeds: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Latents ``[B, z_dim]`` float32 and labels ``[B]`` int64, sample ``i`` from ``seeds[i]`` only."""
        z = np.empty((len(seeds), self.z_dim), dtype=np.float32)
        labels = np.empty(len(seeds), dtype=np.int64)
        for i, seed in enumerate(seeds):
            rng = np.random.default_rng(seed)
            drawn = int(rng.integers(NUM_LABELS))
            labels[i] = drawn if options.label is None else options.label
            z[i] = truncated_normal(rng, self.z_dim, options.truncation)
        return z, labels

    def render(self, z: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Images ``[B, 8, 8]`` float32 in [0, 1] for the given latents and labels."""
        image = self.session.run({"z": z, "label": labels})["image"]
        return np.clip((image[:, 0] + 1.0) / 2.0, 0.0, 1.0)

    def generate(
        self, inputs: Sequence[GeneratorInput], options: GanOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """One PNG per input; a seed gives the same bytes alone or in any batch."""
        check_seeds(inputs, seeds)
        if not inputs:
            return []
        z, labels = self.latents(options, seeds)
        images = self.render(z, labels)
        return [
            [png_artifact(image, options.scale, {"label": int(label)})]
            for image, label in zip(images, labels, strict=True)
        ]
