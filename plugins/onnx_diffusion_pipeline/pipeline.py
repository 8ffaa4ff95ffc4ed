"""One registered Stable Diffusion folder in optimum's ONNX layout, run with numpy and ONNX Runtime.

Text-to-image: prompts (and negative prompts, with guidance) -> ``text_encoder`` -> the sampler's
loop around ``unet`` from seeded noise -> ``vae_decoder``. Image-to-image starts from the
``vae_encoder``'s latents (the mean of its latent distribution) noised to the level the strength
asks. Both halves of classifier-free guidance go through the UNet as one batch. Every ONNX
input is fed in the dtype its graph declares (float16 exports work as float32 ones do).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from aigc.core.sdk import (
    CUDA,
    ModelRuntime,
    ModelSession,
    PluginLoadError,
    RegisteredModel,
    invalid,
    png_from_base64,
    report_progress,
)
from aigc.plugins.onnx_diffusion_pipeline.options import PipelineOptions
from aigc.plugins.onnx_diffusion_pipeline.samplers import Sampler, SchedulerConfig, sampler, strength_start
from aigc.plugins.onnx_diffusion_pipeline.tokenizer import ClipTokenizer

PARTS = ("text_encoder", "unet", "vae_decoder")
ENCODER = "vae_encoder"
ONNX_FILE = "model.onnx"
DTYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


def _config(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    config: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    return config


class Part:
    """One ONNX graph of the pipeline, fed in the dtypes its inputs declare."""

    def __init__(self, session: ModelSession) -> None:
        self.session = session
        inputs = session.session.get_inputs()
        self.dtypes = {i.name: DTYPES.get(i.type, np.float32) for i in inputs}
        self.shapes = {i.name: i.shape for i in inputs}

    def feeds(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``arrays`` cast to the graph's input types."""
        return {name: np.ascontiguousarray(a, dtype=self.dtypes[name]) for name, a in arrays.items()}

    def run(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """The graph's first output, as float32."""
        first = self.session.output_names[0]
        return self.session.run(self.feeds(arrays), [first])[first].astype(np.float32)


class UNet(Part):
    """The denoising UNet; on CUDA the text embeddings stay on the device for the whole loop and the
    output is written to device memory (ONNX Runtime IO binding), so each step moves only latents."""

    def timestep(self, value: float, batch: int) -> np.ndarray:
        """``value`` in the shape the graph takes: one per row, one for all, or a scalar."""
        shape = self.shapes["timestep"]
        array = np.array(value) if not shape else np.full(1 if shape == [1] else batch, value)
        return array.round() if np.issubdtype(self.dtypes["timestep"], np.integer) else array

    def denoiser(self, hidden: np.ndarray) -> Any:
        """A function ``(latents, timestep) -> noise prediction`` for text embeddings ``hidden``."""
        if self.session.providers[0] == CUDA:
            return BoundDenoiser(self, hidden, "cuda")
        return lambda latents, t: self.run(
            {"sample": latents, "timestep": self.timestep(t, len(latents)), "encoder_hidden_states": hidden}
        )


class BoundDenoiser:
    """The UNet through ONNX Runtime IO binding: the text embeddings are copied to ``device`` once,
    and each step's output is written there, then copied back (the samplers are numpy)."""

    def __init__(self, unet: UNet, hidden: np.ndarray, device: str) -> None:
        import onnxruntime as ort

        self.unet, self.device = unet, device
        [hidden_feed] = unet.feeds({"encoder_hidden_states": hidden}).values()
        self.hidden = ort.OrtValue.ortvalue_from_numpy(hidden_feed, device, 0)  # held for the binding
        self.binding = unet.session.session.io_binding()
        self.binding.bind_ortvalue_input("encoder_hidden_states", self.hidden)

    def __call__(self, latents: np.ndarray, t: float) -> np.ndarray:
        """The UNet's output for ``latents`` at timestep ``t``."""
        feeds = self.unet.feeds({"sample": latents, "timestep": self.unet.timestep(t, len(latents))})
        for name, array in feeds.items():
            self.binding.bind_cpu_input(name, array)
        self.binding.bind_output(self.unet.session.output_names[0], self.device, 0)
        self.unet.session.session.run_with_iobinding(self.binding)
        result: np.ndarray = self.binding.copy_outputs_to_cpu()[0].astype(np.float32)
        return result


class DiffusionPipeline:
    """A loaded folder: its graphs, tokenizer, scheduler settings and sizes."""

    def __init__(self, runtime: ModelRuntime, model: RegisteredModel) -> None:
        folder, manifest = model.path, model.manifest
        missing = [f"{part}/{ONNX_FILE}" for part in PARTS if f"{part}/{ONNX_FILE}" not in manifest.files]
        if missing:
            raise PluginLoadError(f"model {model.name!r} lacks {', '.join(missing)}")
        self.model_sha256 = manifest.files_sha256()
        session = {  # each checks every file of the folder against its sha256 at registration
            part: runtime.session(folder, f"{part}/{ONNX_FILE}", manifest=manifest)
            for part in (*PARTS, ENCODER)
            if f"{part}/{ONNX_FILE}" in manifest.files
        }
        self.text_encoder, self.vae_decoder = Part(session["text_encoder"]), Part(session["vae_decoder"])
        self.unet = UNet(session["unet"])
        self.vae_encoder = Part(session[ENCODER]) if ENCODER in session else None
        self.tokenizer = ClipTokenizer(folder / "tokenizer")
        self.scheduler = SchedulerConfig.read(_config(folder, "scheduler/scheduler_config.json"))
        vae = _config(folder, "vae_decoder/config.json")
        unet = _config(folder, "unet/config.json")
        self.scaling_factor = float(vae.get("scaling_factor", 0.18215))
        self.vae_scale = 2 ** (len(vae.get("block_out_channels", (0,) * 4)) - 1)
        self.size_step = self.vae_scale * 2 ** (len(unet.get("block_out_channels", (0,) * 4)) - 1)
        self.latent_channels = int(unet.get("in_channels", 4))
        self.default_size = int(unet.get("sample_size", 64)) * self.vae_scale

    def size(self, options: PipelineOptions, image: tuple[int, int] | None) -> tuple[int, int]:
        """``(width, height)`` in pixels: the options', else the input image's (rounded down to the
        model's multiple), else the model's own; ``InvalidRequestError`` for a size the UNet cannot take."""
        sizes = []
        given_sizes: tuple[int | None, int | None] = image or (None, None)
        latent_dims = self.unet.shapes["sample"][2:][::-1]  # width, height: an int where the export fixed it
        for field, asked, given, fixed in zip(
            ("width", "height"), (options.width, options.height), given_sizes, latent_dims, strict=True
        ):
            size = asked or (given - given % self.size_step if given else self.default_size)
            if isinstance(fixed, int) and size != fixed * self.vae_scale:
                raise invalid(
                    f"options.{field}", size, f"must be {fixed * self.vae_scale}: the UNet was exported so"
                )
            if size < self.size_step or size % self.size_step:
                raise invalid(
                    f"options.{field}",
                    size,
                    f"must be a positive multiple of {self.size_step} for this model",
                )
            sizes.append(size)
        return sizes[0], sizes[1]

    def encode_prompts(self, prompts: list[str], negative: str, guided: bool) -> np.ndarray:
        """Text embeddings ``[B, tokens, width]``; with guidance, the negative prompt's ``B`` rows first."""
        texts = [negative] * len(prompts) + prompts if guided else prompts
        ids = self.tokenizer(texts)
        return self.text_encoder.run({self.text_encoder.session.input_names[0]: ids})

    def encode_image(self, png: bytes, width: int, height: int) -> np.ndarray:
        """The latents ``[1, C, h, w]`` of an image (resized to ``width`` x ``height``), already scaled."""
        from PIL import Image

        if self.vae_encoder is None:
            raise invalid(
                "options.image", "(image)", "this model has no vae_encoder/model.onnx: export it with one"
            )
        with Image.open(io.BytesIO(png)) as opened:
            rgb = opened.convert("RGB")
            if rgb.size != (width, height):
                rgb = rgb.resize((width, height), Image.Resampling.LANCZOS)
        pixels = np.asarray(rgb, dtype=np.float32) / 255.0 * 2.0 - 1.0
        moments = self.vae_encoder.run(
            {self.vae_encoder.session.input_names[0]: pixels.transpose(2, 0, 1)[None]}
        )
        return moments[:, : self.latent_channels] * np.float32(self.scaling_factor)

    def decode(self, latents: np.ndarray) -> np.ndarray:
        """Images ``[B, H, W, 3]`` float32 in [0, 1]."""
        images = self.vae_decoder.run(
            {self.vae_decoder.session.input_names[0]: latents / np.float32(self.scaling_factor)}
        )
        result: np.ndarray = np.clip(images / 2 + 0.5, 0.0, 1.0).transpose(0, 2, 3, 1)
        return result

    def denoise(
        self, latents: np.ndarray, hidden: np.ndarray, steps: Sampler, start: int, guidance: float
    ) -> np.ndarray:
        """Run ``steps`` from step ``start``; with guidance ``hidden`` holds the unconditional rows first."""
        predict = self.unet.denoiser(hidden)
        guided = len(hidden) == 2 * len(latents)
        count = len(steps.timesteps)
        for index in range(start, count):
            model_input = steps.scale_model_input(latents, index)
            if guided:
                model_input = np.concatenate([model_input, model_input])
            noise = predict(model_input, float(steps.timesteps[index]))
            if guided:
                unconditional, conditional = np.split(noise, 2)
                noise = unconditional + np.float32(guidance) * (conditional - unconditional)
            latents = steps.step(noise, index, latents).astype(np.float32)
            report_progress(index + 1 - start, count - start)
        return latents

    def generate(
        self, prompts: list[str], options: PipelineOptions, seeds: list[int], noise: np.ndarray | None = None
    ) -> np.ndarray:
        """Images ``[B, H, W, 3]`` float32 in [0, 1]. Row ``i``'s noise comes from ``seeds[i]`` only,
        unless ``noise`` (``[B, C, h, w]``) is given: the starting latents of text-to-image, the
        noise added to the image's latents in image-to-image."""
        png = png_from_base64(options.image) if options.image is not None else None
        width, height = self.size(options, _png_size(png) if png is not None else None)
        if noise is None:
            shape = (self.latent_channels, height // self.vae_scale, width // self.vae_scale)
            noise = np.stack(
                [np.random.default_rng(seed).standard_normal(shape, dtype=np.float32) for seed in seeds]
            )
        guided = options.guidance_scale > 1.0
        hidden = self.encode_prompts(prompts, options.negative_prompt, guided)
        steps = sampler(options.sampler or self.scheduler.default_sampler(), self.scheduler, options.steps)
        if png is None:
            latents, start = noise * np.float32(steps.init_noise_sigma), 0
        else:
            start = strength_start(options.steps, options.strength)
            if start >= options.steps:
                raise invalid(
                    "options.strength", options.strength, f"leaves none of the {options.steps} steps"
                )
            image = self.encode_image(png, width, height)
            latents = steps.add_noise(np.repeat(image, len(prompts), axis=0), noise, start).astype(np.float32)
        return self.decode(self.denoise(latents, hidden, steps, start, options.guidance_scale))


def _png_size(png: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as opened:
        return opened.size
