#!/usr/bin/env python3
"""Makes the torchvision oracle's fixtures: tests/models/torchvision/<model>.json.

For each model of MODELS this script builds torchvision's model, fills its whole state dict with the
deterministic weights of tests/common/deterministic_weights.py (a function of each tensor's name and shape,
so no weights are committed), runs the deterministic input in eval mode and writes one JSON file: the
torchvision constructor and its arguments, torchvision's parameter count, the input shape, every state-dict
entry (name, shape, dtype) and the logits. tests/models/test_torchvision_models.cpp builds the same model
from nabla's registry, loads the same weights by torchvision's names through a .safetensors file and must
produce the same logits. It also writes generator_samples.json, values of the rule itself, so the C++ half
of the rule is checked on its own.

Building and testing nabla never needs Python; rerun this only when MODELS changes (torch 2.x, CPU):

  /root/torchenv/bin/python tests/models/make_torchvision_fixtures.py [model ...]

With model names, only those fixtures are rewritten.
"""
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import deterministic_weights  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "torchvision")

# nabla's registry name → torchvision's constructor, its keyword arguments, nabla's model options and the
# input. 64×64 inputs exercise every layer (all of these end in global average pooling) at a fraction of
# the 224×224 cost.
IMAGENET_INPUT = [2, 3, 64, 64]
MODELS = {
    "resnet18": ("resnet18", {}, {}, IMAGENET_INPUT),
    "resnet34": ("resnet34", {}, {}, IMAGENET_INPUT),
    "resnet50": ("resnet50", {}, {}, IMAGENET_INPUT),
    "mobilenet_v2": ("mobilenet_v2", {}, {}, IMAGENET_INPUT),
    "efficientnet_b0": ("efficientnet_b0", {}, {}, IMAGENET_INPUT),
    "efficientnet_b1": ("efficientnet_b1", {}, {}, IMAGENET_INPUT),
    "efficientnet_b2": ("efficientnet_b2", {}, {}, IMAGENET_INPUT),
    "efficientnet_b3": ("efficientnet_b3", {}, {}, IMAGENET_INPUT),
    # A small torchvision VisionTransformer (vit_b_16's module names, 2 blocks of width 64) through nabla's `vit`.
    "vit": ("VisionTransformer",
            {"image_size": 32, "patch_size": 8, "num_layers": 2, "num_heads": 4, "hidden_dim": 64, "mlp_dim": 128,
             "num_classes": 10},
            {"image_size": 32, "patch_size": 8, "in_channels": 3, "num_layers": 2, "num_heads": 4, "hidden_dim": 64,
             "mlp_dim": 128}, [2, 3, 32, 32]),
    "vit_b_16": ("vit_b_16", {}, {}, [1, 3, 224, 224]),
}
# Models checked by parameter count and state-dict names and shapes only: their weights (330 MB for vit_b_16)
# are too heavy for a unit test to build, save and load; the small "vit" above checks the same code's logits.
LISTING_ONLY = {"vit_b_16"}

DTYPES = {torch.float32: "f32", torch.int64: "i64"}


def write_json(path, value):
    temporary = path + ".tmp"
    with open(temporary, "w") as file:
        json.dump(value, file, indent=1)
        file.write("\n")
    os.replace(temporary, path)


def make(name):
    constructor, kwargs, options, input_shape = MODELS[name]
    model = getattr(torchvision.models, constructor)(**kwargs)
    state = model.state_dict()
    if name not in LISTING_ONLY:
        filled = {key: torch.from_numpy(deterministic_weights.tensor(key, value.shape)) for key, value in state.items()}
        model.load_state_dict(filled, strict=True)
    model.eval()
    if name in LISTING_ONLY:
        classes = model.heads.head.out_features
        logits = torch.zeros(0, classes)
    else:
        x = torch.from_numpy(deterministic_weights.tensor("input", input_shape))
        with torch.no_grad():
            logits = model(x)
        classes = logits.shape[1]
    write_json(os.path.join(OUT, name + ".json"), {
        "model": name,
        "options": {"classes": classes, **options},
        "torchvision": {"constructor": constructor, "kwargs": kwargs, "version": torchvision.__version__,
                        "torch": torch.__version__},
        "parameters": sum(p.numel() for p in model.parameters()),
        "input_shape": input_shape,
        "state": [[key, list(value.shape), DTYPES[value.dtype]] for key, value in state.items()],
        "logits": None if name in LISTING_ONLY else logits.reshape(-1).tolist(),
    })
    print(f"{name}: {len(state)} tensors, {sum(p.numel() for p in model.parameters())} parameters, "
          f"logits {list(logits.shape)} max |logit| {logits.abs().max().item() if logits.numel() else 0:.4g}")


def write_generator_samples():
    """A few tensors of every role, with their first values and float64 sums, for the C++ half's own test."""
    samples = []
    for key, shape in [("input", [2, 3]), ("layer1.0.conv1.weight", [4, 3, 3, 3]), ("bn1.weight", [5]),
                       ("bn1.bias", [5]), ("bn1.running_mean", [5]), ("bn1.running_var", [5]),
                       ("fc.weight", [10, 512]), ("fc.bias", [10]), ("bn1.num_batches_tracked", [])]:
        values = deterministic_weights.tensor(key, shape)
        samples.append({"name": key, "shape": shape, "first": values.reshape(-1)[:6].tolist(),
                        "sum": float(values.astype("float64").sum())})
    write_json(os.path.join(OUT, "generator_samples.json"), samples)


def main():
    names = sys.argv[1:] or list(MODELS)
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        sys.exit(f"make_torchvision_fixtures.py: unknown model(s) {unknown}; known: {list(MODELS)}")
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    write_generator_samples()
    for name in names:
        make(name)


if __name__ == "__main__":
    main()
