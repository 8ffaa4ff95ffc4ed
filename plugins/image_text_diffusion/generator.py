"""The ``image-text-diffusion`` generator at serving time: a DDIM loop in numpy around ``unet.onnx``.

Prompts (and the negative prompt) are embedded with the all-MiniLM-L6-v2 ONNX graph that
``text-relevance`` exports. Sample ``i`` draws its initial noise from
``numpy.random.default_rng(seeds[i])`` only and DDIM with eta = 0 adds none after that, so the
seed and the prompt fix the sample whatever else is in the batch. Each step is one ONNX Runtime
call: with guidance the conditional rows and the unconditional rows (the null text, or the
negative prompt) go through the UNet together, as ``2B`` rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aigc.core.sdk import ArtifactData, GeneratorInput, ModelSession, check_seeds, invalid, png_artifact
from aigc.plugins.image_text_diffusion.options import MAX_PROMPT_CHARS, TextDiffusionOptions
from aigc.plugins.lib.diffusion.schedule import cosine_alpha_bar, ddim_sample, guided_noise
from aigc.plugins.lib.sentence_embedding.encoder import DIMENSIONS, SentenceEncoder

IMAGE_SHAPE = (3, 32, 32)


class ImageTextDiffusionGenerator:
    """Images from a prompt with ``unet.onnx`` (inputs ``x``, ``t``, ``text``; output ``x0``)."""

    def __init__(self, session: ModelSession, encoder: SentenceEncoder) -> None:
        self.session, self.encoder = session, encoder
        self.model_sha256: str | None = session.sha256
        self.alpha_bar = cosine_alpha_bar()

    def condition(self, inputs: Sequence[GeneratorInput], options: TextDiffusionOptions) -> np.ndarray:
        """Text rows ``[B, 384]``, then with guidance the unconditional rows: ``[2B, 384]`` float32."""
        prompts = [_prompt(item) for item in inputs]
        texts = prompts + ([options.negative_prompt] if options.negative_prompt else [])
        vectors = self.encoder.encode(texts).astype(np.float32)
        conditional = vectors[: len(prompts)]
        if options.guidance_scale == 0.0:
            return conditional
        if options.negative_prompt:
            unconditional = np.repeat(vectors[-1:], len(prompts), axis=0)
        else:
            unconditional = np.zeros((len(prompts), DIMENSIONS), np.float32)  # the null text
        return np.concatenate([conditional, unconditional])

    def predict_noise(self, x: np.ndarray, t: int, text: np.ndarray, guidance: float) -> np.ndarray:
        """The (guided) noise estimate ``[B, 3, 32, 32]`` float64 at timestep ``t``."""
        feeds_x = x if guidance == 0.0 else np.concatenate([x, x])
        x0 = self.session.run(
            {"x": feeds_x.astype(np.float32), "t": np.full(len(feeds_x), t, dtype=np.int64), "text": text}
        )["x0"].astype(np.float64)
        # The UNet predicts the clean image; the noise it implies is affine in it (same x and t), so
        # guidance gives the same result on either.
        alpha_bar = self.alpha_bar[t]
        eps = (feeds_x - np.sqrt(alpha_bar) * x0) / np.sqrt(1.0 - alpha_bar)
        return guided_noise(eps, guidance)

    def sample(self, x: np.ndarray, text: np.ndarray, steps: int, guidance: float) -> np.ndarray:
        """Run the DDIM loop from noise ``x``; returns images ``[B, 32, 32, 3]`` float32 in [0, 1]."""
        x0 = ddim_sample(x, lambda x_t, t: self.predict_noise(x_t, t, text, guidance), steps, self.alpha_bar)
        return ((x0.transpose(0, 2, 3, 1) + 1.0) / 2.0).astype(np.float32)

    def generate(
        self, inputs: Sequence[GeneratorInput], options: TextDiffusionOptions, seeds: Sequence[int]
    ) -> list[list[ArtifactData]]:
        """One PNG per input; a seed and prompt give the same image alone or in any batch."""
        check_seeds(inputs, seeds)
        if not inputs:
            return []
        x = np.stack([np.random.default_rng(seed).standard_normal(IMAGE_SHAPE) for seed in seeds])
        images = self.sample(x, self.condition(inputs, options), options.steps, options.guidance_scale)
        return [[png_artifact(image, options.scale, {})] for image in images]


def _prompt(item: GeneratorInput) -> str:
    """The item's prompt, checked: present, not blank, at most ``MAX_PROMPT_CHARS`` characters."""
    prompt = item.prompt or ""
    if not prompt.strip():
        raise invalid("prompt", prompt, "describe the image to draw (e.g. 'a red apple')")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise invalid("prompt", f"{len(prompt)} characters", f"at most {MAX_PROMPT_CHARS} characters")
    return prompt
