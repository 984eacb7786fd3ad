"""The PyTorch twins of nabla's zoo models that bench/run measures: the same layers, shapes and parameter
counts as nabla builds them (src/models/), with PyTorch's own initialisation."""
import torch
from torch import nn


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


class BasicBlock(nn.Module):
    """Two 3×3 convolutions with batch norm; the shortcut is option A of He et al. (2016): identity, or a
    stride-2 subsample with the new channels zero-padded, no parameters."""

    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.stride, self.extra_channels = stride, out_channels - in_channels

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x[:, :, ::self.stride, ::self.stride] if self.stride != 1 else x
        if self.extra_channels:
            shortcut = nn.functional.pad(shortcut, (0, 0, 0, 0, 0, self.extra_channels))
        return torch.relu(out + shortcut)


def cifar_resnet(depth, in_channels=1, classes=10):
    """ResNet-(6n+2) of He et al. §4.2 for 28×28 inputs: a 3×3 stem of 16 channels, three stages of n basic
    blocks (16, 32, 64 channels; the second and third halve the resolution), global average pooling, linear."""
    blocks = (depth - 2) // 6
    layers = [nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    channels = 16
    for stage, width in enumerate((16, 32, 64)):
        for block in range(blocks):
            layers.append(BasicBlock(channels, width, 2 if stage > 0 and block == 0 else 1))
            channels = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, classes)]
    return nn.Sequential(*layers)


def conv_norm_relu6(in_channels, out_channels, kernel_size, stride=1, groups=1):
    """torchvision's Conv2dNormActivation with ReLU6: a convolution without bias, batch norm, ReLU6."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, kernel_size, stride, (kernel_size - 1) // 2,
                                   groups=groups, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU6())


class InvertedResidual(nn.Module):
    """1×1 expansion by t (none when t = 1), 3×3 depthwise convolution, linear 1×1 projection; the input is
    added back when the block keeps the shape (stride 1, same channels)."""

    def __init__(self, in_channels, out_channels, stride, expand_ratio):
        super().__init__()
        hidden = in_channels * expand_ratio
        layers = [conv_norm_relu6(in_channels, hidden, 1)] if expand_ratio != 1 else []
        layers += [conv_norm_relu6(hidden, hidden, 3, stride, groups=hidden),
                   nn.Conv2d(hidden, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2Small(nn.Module):
    """nabla's mobilenetv2_small (src/models/mobilenet.cpp, mobilenet_v2_small_options, width 1): a stride-1
    3×3 stem of 32 channels, ten inverted residuals (t, c, n, s) = (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
    (6, 64, 2, 2), (6, 96, 2, 1), a 1×1 convolution to 640 features, global average pooling, dropout 0.2,
    linear."""

    def __init__(self, in_channels=1, classes=10):
        super().__init__()
        layers = [conv_norm_relu6(in_channels, 32, 3)]
        channels = 32
        for expand_ratio, width, repeats, stride in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 2, 2),
                                                     (6, 96, 2, 1)):
            for repeat in range(repeats):
                layers.append(InvertedResidual(channels, width, stride if repeat == 0 else 1, expand_ratio))
                channels = width
        layers.append(conv_norm_relu6(channels, 640, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(640, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1))


def vit_small_image(classes=10):
    """nabla's `vit`: torchvision's VisionTransformer for 1×28×28 (4×4 patches, 6 pre-LN blocks of width 64,
    4 heads, MLP 128), its patch embedding taking one channel."""
    import torchvision
    model = torchvision.models.VisionTransformer(image_size=28, patch_size=4, num_layers=6, num_heads=4, hidden_dim=64,
                                                 mlp_dim=128, num_classes=classes)
    model.conv_proj = nn.Conv2d(1, 64, kernel_size=4, stride=4)
    return model


MODELS = {"mlp": mlp, "lenet": lenet, "resnet20": lambda: cifar_resnet(20), "mobilenetv2_small": MobileNetV2Small,
          "vit": vit_small_image}


def make_model(name):
    return MODELS[name]()
