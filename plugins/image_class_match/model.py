"""A small CNN that classifies 8x8 digits (torch, training and export only).

Three 3x3 convolutions (8x8 -> 4x4 -> 2x2 with max pooling) feed a 128-unit feature layer and a
linear layer to 10 logits. ``forward`` returns both ``logits`` and ``features`` (the
penultimate layer, after its ReLU): feature-space metrics such as FID and KID use the latter.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ClassifierConfig:
    """Sizes shared by training and export (the checkpoint stores them too)."""

    num_classes: int = 10
    width: int = 32
    feature_dim: int = 128
    dropout: float = 0.3


class DigitClassifier(nn.Module):
    """``image [B, 1, 8, 8] in [0, 1] -> (logits [B, 10], features [B, feature_dim])``."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        w = config.width
        self.convolutions = nn.Sequential(
            nn.Conv2d(1, w, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(w, w * 2, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 4x4
            nn.Conv2d(w * 2, w * 4, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 2x2
            nn.Flatten(),
        )
        self.features = nn.Sequential(nn.Linear(w * 4 * 2 * 2, config.feature_dim), nn.ReLU())
        self.classify = nn.Sequential(
            nn.Dropout(config.dropout), nn.Linear(config.feature_dim, config.num_classes)
        )

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.features(self.convolutions(image))
        return self.classify(features), features
