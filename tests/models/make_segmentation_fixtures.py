#!/usr/bin/env python3
"""Makes the PyTorch oracle for U-Net's decoder block: tests/models/segmentation/unet_up_block.json.

nabla's UNetUpBlock (src/models/segmentation.cpp) upsamples x [N, 2c, h, w] to [N, c, 2h, 2w] (a 3x3
transposed convolution, stride 2, padding 1, output_padding 1; or bilinear x2 then a 1x1 convolution),
concatenates the skip [N, c, 2h, 2w] along channels and applies conv3x3-BN-ReLU twice. This script builds
the same block in PyTorch with the same state-dict names, fills it with the deterministic weights of
tests/common/deterministic_weights.py, runs it in training mode (batch statistics) on deterministic x and
skip, back-propagates a deterministic output gradient and writes the output, the gradients of x, skip and
every parameter, and the batch norms' running statistics after the step. tests/models/test_segmentation_golden.cpp
must reproduce them.

Rerun only when the block changes (torch 2.x, CPU):

  /root/torchenv/bin/python tests/models/make_segmentation_fixtures.py
"""
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import deterministic_weights  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "segmentation")


def conv_bn_relu(in_channels, out_channels):
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
                         nn.ReLU())


class BilinearUp(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x):
        return self.conv(nn.functional.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False))


class UNetUpBlock(nn.Module):
    def __init__(self, in_channels, out_channels, upsampling):
        super().__init__()
        if upsampling == "transposed":
            self.up = nn.ConvTranspose2d(in_channels, out_channels, 3, stride=2, padding=1, output_padding=1)
        else:
            self.up = BilinearUp(in_channels, out_channels)
        self.conv = nn.Sequential(conv_bn_relu(2 * out_channels, out_channels), conv_bn_relu(out_channels, out_channels))

    def forward(self, x, skip):
        return self.conv(torch.cat([self.up(x), skip], 1))


def case(upsampling, in_channels=8, out_channels=4, batch=2, side=4):
    block = UNetUpBlock(in_channels, out_channels, upsampling)
    state = block.state_dict()
    block.load_state_dict({key: torch.from_numpy(deterministic_weights.tensor(key, value.shape))
                           for key, value in state.items()}, strict=True)
    block.train()
    x_shape, skip_shape = [batch, in_channels, side, side], [batch, out_channels, 2 * side, 2 * side]
    x = torch.from_numpy(deterministic_weights.tensor("input", x_shape)).requires_grad_(True)
    skip = torch.from_numpy(deterministic_weights.tensor("skip", skip_shape)).requires_grad_(True)
    output = block(x, skip)
    grad_output = torch.from_numpy(deterministic_weights.tensor("grad_output", list(output.shape)))
    output.backward(grad_output)
    flat = lambda t: t.detach().reshape(-1).tolist()  # noqa: E731
    return {
        "upsampling": upsampling,
        "in_channels": in_channels, "out_channels": out_channels,
        "x_shape": x_shape, "skip_shape": skip_shape, "output_shape": list(output.shape),
        "state": [[key, list(value.shape)] for key, value in state.items()],
        "output": flat(output),
        "grad_x": flat(x.grad), "grad_skip": flat(skip.grad),
        "grad_parameters": {name: flat(p.grad) for name, p in block.named_parameters()},
        "buffers_after": {name: flat(b) for name, b in block.named_buffers() if "running" in name},
    }


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    fixture = {"torch": torch.__version__, "cases": [case("transposed"), case("bilinear")]}
    path = os.path.join(OUT, "unet_up_block.json")
    with open(path + ".tmp", "w") as file:
        json.dump(fixture, file)
        file.write("\n")
    os.replace(path + ".tmp", path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
