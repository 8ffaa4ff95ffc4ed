"""A small text-conditioned UNet for 32x32 RGB predicting the clean image (torch: training, export).

Inputs: the noisy image ``x [B, 3, 32, 32]`` (data range [-1, 1] plus noise), the integer
timestep ``t [B]`` and a sentence embedding ``text [B, 384]`` (all-MiniLM-L6-v2, unit length);
the all-zero vector is the *null* text used for classifier-free guidance. The timestep's
sinusoidal embedding and the projected text embedding are summed into one conditioning vector
that every residual block adds to its features (a single sentence vector gives cross-attention
one token to attend to, so it would add cost and nothing else).

Resolution path: 32x32 (16 channels) -> 16x16 (32) -> 8x8 (32, two blocks) -> 16x16 -> 32x32,
skip connections concatenated on the way up; GroupNorm and SiLU throughout. No batch-dependent
layers, so each sample's output depends on its own inputs only.

It predicts the clean image ``x0`` rather than the noise: with a training budget of minutes on a
CPU, the x0 objective learns the prompt's colours and layout (the conditional mean) long before
an epsilon-predicting network gets past noise. The sampler turns ``x0`` into the noise estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from aigc.plugins.lib.diffusion.blocks import ResidualBlock, timestep_embedding


@dataclass(frozen=True)
class TextUnetConfig:
    """Sizes shared by training and export (the checkpoint stores them too)."""

    text_dim: int = 384
    width: int = 16
    embed_dim: int = 128
    groups: int = 8


class TextConditionalUnet(nn.Module):
    """``(x [B, 3, 32, 32], t [B] int64, text [B, 384]) -> predicted clean image [B, 3, 32, 32]``."""

    def __init__(self, config: TextUnetConfig) -> None:
        super().__init__()
        self.config = config
        w, e, g = config.width, config.embed_dim, config.groups
        self.time_mlp = nn.Sequential(nn.Linear(e, e), nn.SiLU(), nn.Linear(e, e))
        self.text_mlp = nn.Sequential(nn.Linear(config.text_dim, e), nn.SiLU(), nn.Linear(e, e))
        self.act = nn.SiLU()
        self.stem = nn.Conv2d(3, w, kernel_size=3, padding=1)
        self.down1 = ResidualBlock(w, w, e, g)  # 32x32
        self.pool1 = nn.Conv2d(w, w, kernel_size=4, stride=2, padding=1)  # 16x16
        self.down2 = ResidualBlock(w, 2 * w, e, g)
        self.pool2 = nn.Conv2d(2 * w, 2 * w, kernel_size=4, stride=2, padding=1)  # 8x8
        self.middle1 = ResidualBlock(2 * w, 2 * w, e, g)
        self.middle2 = ResidualBlock(2 * w, 2 * w, e, g)
        self.unpool2 = nn.ConvTranspose2d(2 * w, 2 * w, kernel_size=4, stride=2, padding=1)  # 16x16
        self.up2 = ResidualBlock(4 * w, w, e, g)
        self.unpool1 = nn.ConvTranspose2d(w, w, kernel_size=4, stride=2, padding=1)  # 32x32
        self.up1 = ResidualBlock(2 * w, w, e, g)
        self.out_norm = nn.GroupNorm(g, w)
        self.out = nn.Conv2d(w, 3, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        condition = self.act(
            self.time_mlp(timestep_embedding(t, self.config.embed_dim)) + self.text_mlp(text)
        )
        h32 = self.down1(self.stem(x), condition)
        h16 = self.down2(self.pool1(h32), condition)
        h = self.middle2(self.middle1(self.pool2(h16), condition), condition)
        h = self.up2(torch.cat([self.unpool2(h), h16], dim=1), condition)
        h = self.up1(torch.cat([self.unpool1(h), h32], dim=1), condition)
        return self.out(self.act(self.out_norm(h)))
