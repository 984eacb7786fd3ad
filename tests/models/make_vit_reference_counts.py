#!/usr/bin/env python3
"""Prints and writes the parameter counts of the reference Vision Transformers: tests/models/vit_reference_counts.json.

nabla's registry names the configurations vit_ti_16, vit_s_16 (DeiT's Tiny and Small, as timm builds them) and
vit_b_16 (torchvision's). tests/models/test_vit.cpp builds each from the registry and compares its parameter
count with the one written here. Building and testing nabla never needs Python; rerun with torch, torchvision
and timm (pip install timm):

  /root/torchenv/bin/python tests/models/make_vit_reference_counts.py
"""
import json
import os

import timm
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))

# nabla's registry name → (the library, its constructor)
REFERENCES = {
    "vit_ti_16": ("timm", "vit_tiny_patch16_224"),
    "vit_s_16": ("timm", "vit_small_patch16_224"),
    "vit_b_16": ("torchvision", "vit_b_16"),
}


def count(library, constructor):
    if library == "timm":
        model = timm.create_model(constructor, pretrained=False)
    else:
        model = getattr(torchvision.models, constructor)()
    return sum(parameter.numel() for parameter in model.parameters())


def main():
    counts = {}
    for name, (library, constructor) in REFERENCES.items():
        counts[name] = {"library": library, "constructor": constructor, "parameters": count(library, constructor)}
        print(f"{name}: {library}.{constructor} has {counts[name]['parameters']} parameters")
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__, "timm": timm.__version__}
    path = os.path.join(HERE, "vit_reference_counts.json")
    with open(path + ".tmp", "w") as file:
        json.dump({"versions": versions, "models": counts}, file, indent=1)
        file.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
