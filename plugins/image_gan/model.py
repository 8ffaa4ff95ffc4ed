"""A conditional DCGAN for 8x8 digits: generator and projection discriminator (torch, training only).

Generator: latent ``z`` and a learned label embedding are concatenated, projected to a 2x2 map
with 128 channels, then two transposed convolutions double the size twice (2 -> 4 -> 8) down to
one channel; ``tanh`` gives pixels in [-1, 1]. Batch norm runs in eval mode after training, so
each sample depends on its own ``z`` and label only.

Discriminator: strided convolutions with spectral norm give a feature vector ``h``; the score
is ``linear(h) + <embed(label), h>`` (the projection discriminator of Miyato & Koyama, 2018).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


@dataclass(frozen=True)
class GanConfig:
    """Sizes shared by training and export (the checkpoint stores them too)."""

    z_dim: int = 48
    num_classes: int = 10
    embed_dim: int = 16
    width: int = 128  # channels of the 2x2 map; halved at each upsampling
    d_width: int = 32


class Generator(nn.Module):
    """``(z [B, z_dim] float32, label [B] int64) -> image [B, 1, 8, 8]`` in [-1, 1]."""

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        self.config = config
        w = config.width
        self.embed = nn.Embedding(config.num_classes, config.embed_dim)
        self.project = nn.Sequential(
            nn.Linear(config.z_dim + config.embed_dim, w * 2 * 2, bias=False),
            nn.BatchNorm1d(w * 2 * 2),
            nn.ReLU(),
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(w, w // 2, kernel_size=4, stride=2, padding=1, bias=False),  # 4x4
            nn.BatchNorm2d(w // 2),
            nn.ReLU(),
            nn.ConvTranspose2d(w // 2, w // 4, kernel_size=4, stride=2, padding=1, bias=False),  # 8x8
            nn.BatchNorm2d(w // 4),
            nn.ReLU(),
            nn.Conv2d(w // 4, 1, kernel_size=3, padding=1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        h = self.project(torch.cat([z, self.embed(label)], dim=1))
        return self.upsample(h.view(-1, self.config.width, 2, 2))


class Discriminator(nn.Module):
    """``(image [B, 1, 8, 8] in [-1, 1], label [B]) -> realness score [B]`` (higher means real)."""

    def __init__(self, config: GanConfig) -> None:
        super().__init__()
        w = config.d_width
        self.features = nn.Sequential(
            spectral_norm(nn.Conv2d(1, w, kernel_size=3, padding=1)),  # 8x8
            nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(w, w * 2, kernel_size=4, stride=2, padding=1)),  # 4x4
            nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(w * 2, w * 4, kernel_size=4, stride=2, padding=1)),  # 2x2
            nn.LeakyReLU(0.2),
        )
        self.score = spectral_norm(nn.Linear(w * 4, 1))
        self.embed = spectral_norm(nn.Embedding(config.num_classes, w * 4))

    def forward(self, image: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        h = self.features(image).sum(dim=(2, 3))
        return self.score(h).squeeze(1) + (self.embed(label) * h).sum(dim=1)
