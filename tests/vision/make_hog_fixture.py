#!/usr/bin/env python3
"""Writes tests/vision/hog_fixture.json: images and scikit-image's `hog` of them, for tests/vision/test_hog.cpp.

Each case: a stack of gray images in [0, 1] (random levels k/255, as 8-bit images give, and a few shapes with
edges at every orientation), HOG options, and skimage.feature.hog(image, orientations, pixels_per_cell,
cells_per_block, block_norm="L2-Hys", feature_vector=True) per image. Building and testing nabla never needs
Python; rerun with scikit-image from PyPI (pip install scikit-image):

  /root/torchenv/bin/python tests/vision/make_hog_fixture.py
"""
import json
import os

import numpy as np
import skimage
from skimage.feature import hog

HERE = os.path.dirname(os.path.abspath(__file__))


def shapes(height, width, count, rng):
    """Filled discs and rotated bars on a dark background: edges at many orientations."""
    rows, columns = np.mgrid[0:height, 0:width]
    images = []
    for _ in range(count):
        image = np.zeros((height, width))
        cy, cx, radius = rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * width, rng.uniform(4, 9)
        image[(rows - cy) ** 2 + (columns - cx) ** 2 <= radius ** 2] = rng.integers(100, 256) / 255
        angle = rng.uniform(0, np.pi)
        distance = np.abs((rows - height / 2) * np.cos(angle) - (columns - width / 2) * np.sin(angle))
        image[distance <= 2] = rng.integers(50, 256) / 255
        images.append(image)
    return np.stack(images)


def main():
    rng = np.random.default_rng(0)
    cases = []
    for name, images, options in [
        ("shapes_28x28_cell4_block2", shapes(28, 28, 4, rng), (9, 4, 2)),
        ("random_28x28_cell7_block2", rng.integers(0, 256, (3, 28, 28)) / 255, (9, 7, 2)),
        ("shapes_37x30_cell6_block3_8bins", shapes(37, 30, 3, rng), (8, 6, 3)),
    ]:
        orientations, cell, block = options
        features = [hog(image, orientations=orientations, pixels_per_cell=(cell, cell), cells_per_block=(block, block),
                        block_norm="L2-Hys", feature_vector=True) for image in images]
        cases.append({"name": name, "orientations": orientations, "pixels_per_cell": cell, "cells_per_block": block,
                      "shape": list(images.shape), "images": images.reshape(-1).tolist(),
                      "features": np.stack(features).reshape(-1).tolist(), "feature_count": len(features[0])})
        print(f"{name}: {images.shape[0]} images, {len(features[0])} features each")
    path = os.path.join(HERE, "hog_fixture.json")
    with open(path + ".tmp", "w") as file:
        json.dump({"scikit-image": skimage.__version__, "cases": cases}, file)
        file.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
