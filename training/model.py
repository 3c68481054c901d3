"""A compact CRNN for one row of plate glyphs: 1x32x128 grey in, 32 timesteps of 37 logits out."""

from __future__ import annotations

import torch
from torch import nn

from alpr.recognition.decoder import N_CLASSES

# Channels of the five convolution stages. (16, 32, 64, 96, 128) was the first model (195 k
# parameters); the wider default reads 0/O, 8/B and W/N better for about 1.6x the inference time.
WIDTHS = (24, 48, 96, 128, 192)


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class PlateCRNN(nn.Module):
    """Convolutions down to a 1-pixel-high feature row, then 1-D convolutions along it (no RNN:
    plates are short, and convolutions export to small, fast ONNX graphs)."""

    def __init__(self, widths: tuple[int, ...] = WIDTHS, temporal_layers: int = 2) -> None:
        super().__init__()
        c = widths
        self.features = nn.Sequential(
            *_block(1, c[0]),
            nn.MaxPool2d(2),  # 16 x 64
            *_block(c[0], c[1]),
            nn.MaxPool2d(2),  # 8 x 32
            *_block(c[1], c[2]),
            *_block(c[2], c[2]),
            nn.MaxPool2d((2, 1)),  # 4 x 32
            *_block(c[2], c[3]),
            nn.MaxPool2d((2, 1)),  # 2 x 32
            nn.Conv2d(c[3], c[4], (2, 1), bias=False),  # 1 x 32
            nn.BatchNorm2d(c[4]),
            nn.ReLU(inplace=True),
        )
        temporal: list[nn.Module] = [nn.Dropout(0.15)]
        for _ in range(temporal_layers):
            temporal += [nn.Conv1d(c[4], c[4], 3, padding=1), nn.ReLU(inplace=True)]
        self.head = nn.Sequential(*temporal, nn.Conv1d(c[4], N_CLASSES, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x).squeeze(2)  # (N, C, T)
        return self.head(f).permute(0, 2, 1)  # (N, T, classes) logits
