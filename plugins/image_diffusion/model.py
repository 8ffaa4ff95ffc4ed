"""A small conditional UNet for 8x8 digits that predicts the noise (torch, training and export only).

Inputs: the noisy image ``x [B, 1, 8, 8]`` in the data range [-1, 1] plus noise, the integer
training timestep ``t [B]`` and the label ``[B]`` in 0..10, where 10 is the *null* label used for
classifier-free guidance. The timestep's sinusoidal embedding goes through an MLP and is added to
the label embedding; every residual block adds that vector (projected) to its feature map.

Resolution path: 8x8 (32 channels) -> 4x4 (64) -> 2x2 (64, middle) -> 4x4 -> 8x8, with skip
connections concatenated on the way up; GroupNorm and SiLU throughout. No batch-dependent layers,
so each sample's output depends on its own inputs only.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from aigc.plugins.lib.diffusion.blocks import ResidualBlock, timestep_embedding


@dataclass(frozen=True)
class UnetConfig:
    """Sizes shared by training and export (the checkpoint stores them too)."""

    num_classes: int = 10  # label ``num_classes`` is the null label
    width: int = 32
    embed_dim: int = 128
    groups: int = 8


class ConditionalUnet(nn.Module):
    """``(x [B, 1, 8, 8], t [B] int64, label [B] int64 in 0..10) -> predicted noise [B, 1, 8, 8]``."""

    def __init__(self, config: UnetConfig) -> None:
        super().__init__()
        self.config = config
        w, e = config.width, config.embed_dim
        self.time_mlp = nn.Sequential(nn.Linear(e, e), nn.SiLU(), nn.Linear(e, e))
        self.label_embed = nn.Embedding(config.num_classes + 1, e)
        self.act = nn.SiLU()
        self.stem = nn.Conv2d(1, w, kernel_size=3, padding=1)
        self.down1 = ResidualBlock(w, w, config.embed_dim, config.groups)  # 8x8
        self.pool1 = nn.Conv2d(w, w, kernel_size=4, stride=2, padding=1)  # 4x4
        self.down2 = ResidualBlock(w, 2 * w, config.embed_dim, config.groups)
        self.pool2 = nn.Conv2d(2 * w, 2 * w, kernel_size=4, stride=2, padding=1)  # 2x2
        self.middle = ResidualBlock(2 * w, 2 * w, config.embed_dim, config.groups)
        self.unpool2 = nn.ConvTranspose2d(2 * w, 2 * w, kernel_size=4, stride=2, padding=1)  # 4x4
        self.up2 = ResidualBlock(4 * w, w, config.embed_dim, config.groups)
        self.unpool1 = nn.ConvTranspose2d(w, w, kernel_size=4, stride=2, padding=1)  # 8x8
        self.up1 = ResidualBlock(2 * w, w, config.embed_dim, config.groups)
        self.out_norm = nn.GroupNorm(config.groups, w)
        self.out = nn.Conv2d(w, 1, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        condition = self.act(
            self.time_mlp(timestep_embedding(t, self.config.embed_dim)) + self.label_embed(label)
        )
        h8 = self.down1(self.stem(x), condition)
        h4 = self.down2(self.pool1(h8), condition)
        h = self.middle(self.pool2(h4), condition)
        h = self.up2(torch.cat([self.unpool2(h), h4], dim=1), condition)
        h = self.up1(torch.cat([self.unpool1(h), h8], dim=1), condition)
        return self.out(self.act(self.out_norm(h)))
