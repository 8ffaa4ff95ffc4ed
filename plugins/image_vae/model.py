"""A conditional VAE for 8x8 digits: encoder and decoder (torch, training and export only).

Encoder: strided convolutions (8 -> 4 -> 2 pixels) give a feature vector, which is concatenated
with a learned label embedding and mapped to the mean and log-variance of ``q(z | x, y)``.

Decoder: ``z`` and its own label embedding are concatenated, projected to a 2x2 map, then two
transposed convolutions double the size twice (2 -> 4 -> 8) down to one channel of logits; a
sigmoid gives the Bernoulli means, i.e. pixels in [0, 1]. There is no batch norm, so each sample
depends on its own inputs only, in training and at serving time alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class VaeConfig:
    """Sizes shared by training and export (the checkpoint stores them too)."""

    z_dim: int = 16
    num_classes: int = 10
    embed_dim: int = 16
    width: int = 128  # channels of the 2x2 map; halved at each upsampling
    hidden: int = 256


class Encoder(nn.Module):
    """``(image [B, 1, 8, 8] in [0, 1], label [B] int64) -> (mu [B, z_dim], logvar [B, z_dim])``."""

    def __init__(self, config: VaeConfig) -> None:
        super().__init__()
        w = config.width
        self.features = nn.Sequential(
            nn.Conv2d(1, w // 4, kernel_size=3, padding=1),  # 8x8
            nn.SiLU(),
            nn.Conv2d(w // 4, w // 2, kernel_size=4, stride=2, padding=1),  # 4x4
            nn.SiLU(),
            nn.Conv2d(w // 2, w, kernel_size=4, stride=2, padding=1),  # 2x2
            nn.SiLU(),
            nn.Flatten(),
        )
        self.embed = nn.Embedding(config.num_classes, config.embed_dim)
        self.hidden = nn.Sequential(nn.Linear(w * 2 * 2 + config.embed_dim, config.hidden), nn.SiLU())
        self.mu = nn.Linear(config.hidden, config.z_dim)
        self.logvar = nn.Linear(config.hidden, config.z_dim)

    def forward(self, image: torch.Tensor, label: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.hidden(torch.cat([self.features(image), self.embed(label)], dim=1))
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    """``(z [B, z_dim] float32, label [B] int64) -> image [B, 1, 8, 8]`` in [0, 1]."""

    def __init__(self, config: VaeConfig) -> None:
        super().__init__()
        self.config = config
        w = config.width
        self.embed = nn.Embedding(config.num_classes, config.embed_dim)
        self.project = nn.Sequential(
            nn.Linear(config.z_dim + config.embed_dim, config.hidden),
            nn.SiLU(),
            nn.Linear(config.hidden, w * 2 * 2),
            nn.SiLU(),
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(w, w // 2, kernel_size=4, stride=2, padding=1),  # 4x4
            nn.SiLU(),
            nn.ConvTranspose2d(w // 2, w // 4, kernel_size=4, stride=2, padding=1),  # 8x8
            nn.SiLU(),
            nn.Conv2d(w // 4, 1, kernel_size=3, padding=1),
        )

    def logits(self, z: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """Pixel logits ``[B, 1, 8, 8]`` (training uses them with a numerically stable BCE)."""
        h = self.project(torch.cat([z, self.embed(label)], dim=1))
        return self.upsample(h.view(-1, self.config.width, 2, 2))

    def forward(self, z: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(z, label))


class ConditionalVae(nn.Module):
    """Encoder and decoder trained together; only their halves are exported."""

    def __init__(self, config: VaeConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    def forward(
        self, image: torch.Tensor, label: torch.Tensor, noise: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(reconstruction logits, mu, logvar)`` with ``z = mu + exp(logvar / 2) * noise``."""
        mu, logvar = self.encoder(image, label)
        z = mu + torch.exp(0.5 * logvar) * noise
        return self.decoder.logits(z, label), mu, logvar
