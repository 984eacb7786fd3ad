#!/usr/bin/env python3
"""Writes tests/vision/svm_reference.json: scikit-learn's LinearSVC accuracy on HOG features of Fashion-MNIST.

The split: the first TRAIN images of Fashion-MNIST's training file and the first TEST of its test file (the
Debian package's IDX files), gray levels / 255 in float64; features: skimage.feature.hog with the options
below (nabla's vision::hog equals it within 1e-5, tests/vision/test_hog.cpp). tests/vision/test_svm.cpp
trains nabla's LinearSvm on nabla's features of the same images and must land within one point of the
accuracy written here. Rerun with scikit-image and scikit-learn from PyPI:

  /root/torchenv/bin/python tests/vision/make_svm_reference.py [fashion-mnist directory]
"""
import gzip
import json
import os
import sys

import numpy as np
import sklearn
from sklearn.svm import LinearSVC
from skimage.feature import hog

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN, TEST = 2000, 1000
HOG = {"orientations": 9, "pixels_per_cell": 4, "cells_per_block": 2}
SVM = {"C": 0.1, "loss": "squared_hinge", "penalty": "l2", "multi_class": "ovr"}


def read_idx(path, count):
    with gzip.open(path, "rb") as file:
        data = file.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    return values[:count]


def features(images):
    cell, block = HOG["pixels_per_cell"], HOG["cells_per_block"]
    return np.stack([hog(image / 255.0, orientations=HOG["orientations"], pixels_per_cell=(cell, cell),
                         cells_per_block=(block, block), block_norm="L2-Hys", feature_vector=True) for image in images])


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    train_x = features(read_idx(os.path.join(directory, "train-images-idx3-ubyte.gz"), TRAIN))
    train_y = read_idx(os.path.join(directory, "train-labels-idx1-ubyte.gz"), TRAIN)
    test_x = features(read_idx(os.path.join(directory, "t10k-images-idx3-ubyte.gz"), TEST))
    test_y = read_idx(os.path.join(directory, "t10k-labels-idx1-ubyte.gz"), TEST)
    model = LinearSVC(max_iter=20000, **SVM).fit(train_x, train_y)
    accuracy = float((model.predict(test_x) == test_y).mean())
    print(f"LinearSVC {SVM} on HOG {HOG}: {TRAIN} training, {TEST} test images, test accuracy {accuracy:.4f}")
    path = os.path.join(HERE, "svm_reference.json")
    with open(path + ".tmp", "w") as file:
        json.dump({"split": {"train": f"first {TRAIN} of train-images-idx3-ubyte", "train_count": TRAIN,
                             "test": f"first {TEST} of t10k-images-idx3-ubyte", "test_count": TEST},
                   "hog": HOG, "svm": SVM, "accuracy": accuracy,
                   "versions": {"scikit-learn": sklearn.__version__}}, file, indent=1)
        file.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
