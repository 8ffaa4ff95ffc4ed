"""The ``image-diffusion`` generator at serving time: a DDIM loop in numpy around ``unet.onnx``.

Sample ``i`` takes everything random from ``numpy.random.default_rng(seeds[i])``: first one
label draw (used when no label is requested, drawn either way), then the initial noise. DDIM
with eta = 0 adds no noise after that, so the seed fixes the sample whatever else is in the
batch. Each step is one ONNX Runtime call: with guidance the conditional and the unconditional
(null-label) halves of the batch go through the UNet together, as ``2B`` rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aigc.core.sdk import ArtifactData, GeneratorInput, ModelSession, check_seeds, png_artifact
from aigc.plugins.image_diffusion.options import NUM_LABELS, DiffusionOptions
from aigc.plugins.lib.diffusion.schedule import cosine_alpha_bar, ddim_sample, guided_noise

NULL_LABEL = NUM_LABELS
IMAGE_SHAPE = (1, 8, 8)


class ImageDiffusionGenerator:
    """Conditional diffusion digits from ``unet.onnx`` (inputs ``x``, ``t``, ``label``; output ``eps``)."""

    def __init__(self, session: ModelSession) -> None:
        self.session = session
        self.model_sha256: str | None = session.sha256
        self.alpha_bar = cosine_alpha_bar()

    def initial_noise(self, options: DiffusionOptions, seeds: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Noise ``[B, 1, 8, 8]`` float64 and labels ``[B]`` int64, sample ``i`` from ``seeds[i]`` only."""
        x = np.empty((len(seeds), *IMAGE_SHAPE), dtype=np.float64)
        labels = np.empty(len(seeds), dtype=np.int64)
        for i, seed in enumerate(seeds):
            rng = np.random.default_rng(seed)
            drawn = int(rng.integers(NUM_LABELS))
            labels[i] = drawn if options.label is None else options.label
            x[i] = rng.standard_normal(IMAGE_SHAPE)
        return x, labels

    def predict_noise(self, x: np.ndarray, t: int, labels: np.ndarray, guidance: float) -> np.ndarray:
        """The (guided) noise estimate ``[B, 1, 8, 8]`` float64 at timestep ``t``."""
        batch = len(x)
        if guidance == 0.0:
            feeds_x, feeds_label = x, labels
        else:
            feeds_x = np.concatenate([x, x])
            feeds_label = np.concatenate([labels, np.full(batch, NULL_LABEL, dtype=np.int64)])
        eps = self.session.run(
            {
                "x": feeds_x.astype(np.float32),
                "t": np.full(len(feeds_x), t, dtype=np.int64),
                "label": feeds_label,
            }
        )["eps"].astype(np.float64)
        return guided_noise(eps, guidance)

    def sample(self, x: np.ndarray, labels: np.ndarray, steps: int, guidance: float) -> np.ndarray:
        """Run the DDIM loop from noise ``x``; returns images ``[B, 8, 8]`` float32 in [0, 1]."""
        x0 = ddim_sample(
            x, lambda x_t, t: self.predict_noise(x_t, t, labels, guidance), steps, self.alpha_bar
        )
        return ((x0[:, 0] + 1.0) / 2.0).astype(np.float32)

    def generate(
        self, inputs: Sequence[GeneratorInput], options: DiffusionOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """One PNG per input; a seed gives the same image alone or in any batch."""
        check_seeds(inputs, seeds)
        if not inputs:
            return []
        x, labels = self.initial_noise(options, seeds)
        images = self.sample(x, labels, options.steps, options.guidance_scale)
        return [
            [png_artifact(image, options.scale, {"label": int(label)})]
            for image, label in zip(images, labels, strict=True)
        ]
