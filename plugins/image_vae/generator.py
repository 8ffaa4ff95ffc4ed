"""The ``image-vae`` generator at serving time: numpy latents in, PNG digits out (ONNX Runtime only).

Sample ``i`` takes everything random from ``numpy.random.default_rng(seeds[i])``, always in
this order: one label draw (used when no label is requested, drawn either way so that the latent
does not depend on the label option), the latent ``z``, and in ``interpolate`` mode without
``seed_b`` the end latent. With ``seed_b`` the end latent is the latent that seed would give.
Latents are scaled by the temperature. In ``vary`` mode the encoder gives the posterior
``N(mu, sigma^2)`` of the input image and label, and sample ``i`` is
``mu + temperature * sigma * z_i`` with the same unit latent ``z_i``: temperature 0 decodes the
posterior mean, the VAE's reconstruction of the input. So a seed fixes a sample whatever else is in
the batch, and the same seed with another label or temperature keeps the latent's direction ("style").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aigc.core.sdk import (
    ArtifactData,
    GeneratorInput,
    ModelSession,
    check_seeds,
    decode_png,
    png_artifact,
    png_from_base64,
)
from aigc.plugins.image_vae.options import NUM_LABELS, VaeOptions

IMAGE_SIZE = 8


def slerp(a: np.ndarray, b: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Points ``[len(fractions), D]`` on the great circle from ``a`` to ``b`` (linear if parallel).

    Spherical rather than linear interpolation keeps the path's norm near that of Gaussian
    latents; a straight line passes close to the origin, where the decoder sees atypical latents.
    """
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    norms = np.linalg.norm(a64) * np.linalg.norm(b64)
    cos = float(np.clip(a64 @ b64 / norms, -1.0, 1.0)) if norms > 0 else 1.0
    omega = np.arccos(cos)
    t = fractions[:, None].astype(np.float64)
    if np.sin(omega) < 1e-6:
        return (1.0 - t) * a64 + t * b64
    return (np.sin((1.0 - t) * omega) * a64 + np.sin(t * omega) * b64) / np.sin(omega)


class ImageVaeGenerator:
    """Conditional VAE digits from ``decoder.onnx`` (inputs ``z``, ``label``; output ``image``), and
    variations of an input digit through ``encoder.onnx`` (inputs ``image``, ``label``; outputs ``mu``,
    ``logvar``)."""

    def __init__(self, session: ModelSession, encoder: ModelSession) -> None:
        self.session = session
        self.encoder = encoder
        self.model_sha256: str | None = session.sha256
        self.z_dim = int(session.session.get_inputs()[0].shape[1])

    def posterior(self, options: VaeOptions) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation ``[z_dim]`` of ``q(z | image, label)`` for the vary mode's input."""
        assert options.image is not None and options.label is not None  # the options validator checks
        image = decode_png(png_from_base64(options.image), shape=(IMAGE_SIZE, IMAGE_SIZE))
        outputs = self.encoder.run(
            {"image": image[None, None], "label": np.array([options.label], dtype=np.int64)}
        )
        return outputs["mu"][0].astype(np.float64), np.exp(0.5 * outputs["logvar"][0].astype(np.float64))

    def latent_for(self, seed: int) -> tuple[int, np.ndarray, np.random.Generator]:
        """The label draw and unit-temperature latent of ``seed``, and the stream they came from."""
        rng = np.random.default_rng(seed)
        drawn = int(rng.integers(NUM_LABELS))
        return drawn, rng.standard_normal(self.z_dim), rng

    def latents(self, options: VaeOptions, seeds: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Latents ``[B, P, z_dim]`` float32 (P path points; 1 in sample mode) and labels ``[B]`` int64."""
        points = options.steps if options.mode == "interpolate" else 1
        fractions = np.linspace(0.0, 1.0, points)
        z = np.empty((len(seeds), points, self.z_dim), dtype=np.float32)
        labels = np.empty(len(seeds), dtype=np.int64)
        end_b = self.latent_for(options.seed_b)[1] if options.seed_b is not None else None
        mu, sigma = self.posterior(options) if options.mode == "vary" else (None, None)
        for i, seed in enumerate(seeds):
            drawn, start, rng = self.latent_for(seed)
            labels[i] = drawn if options.label is None else options.label
            if mu is not None and sigma is not None:
                z[i, 0] = mu + options.temperature * sigma * start
            elif options.mode == "interpolate":
                end = end_b if end_b is not None else rng.standard_normal(self.z_dim)
                z[i] = options.temperature * slerp(start, end, fractions)
            else:
                z[i, 0] = options.temperature * start
        return z, labels

    def render(self, z: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Images ``[B, 8, 8]`` float32 in [0, 1] for latents ``[B, z_dim]`` and labels ``[B]``."""
        image = self.session.run({"z": np.ascontiguousarray(z, dtype=np.float32), "label": labels})["image"]
        return np.clip(image[:, 0], 0.0, 1.0)

    def generate(
        self, inputs: Sequence[GeneratorInput], options: VaeOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """One PNG per input (``steps`` in interpolate mode); a seed gives the same bytes in any batch."""
        check_seeds(inputs, seeds)
        if not inputs:
            return []
        z, labels = self.latents(options, seeds)
        batch, points = z.shape[:2]
        # Every path point of every sample in one session call.
        images = self.render(z.reshape(batch * points, -1), np.repeat(labels, points))
        images = images.reshape(batch, points, *images.shape[1:])
        results = []
        for sample_images, label in zip(images, labels, strict=True):
            artifacts = []
            for position, image in enumerate(sample_images):
                metadata: dict[str, object] = {"label": int(label)}
                if options.mode == "interpolate":
                    metadata.update(position=position, fraction=round(position / (points - 1), 6))
                artifacts.append(png_artifact(image, options.scale, metadata))
            results.append(artifacts)
        return results
