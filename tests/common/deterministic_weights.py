"""Deterministic weights: every tensor of a state dict as a function of its name and shape alone.

The oracle tests (tests/models/) compare nabla's models with the reference implementations people trust
(torchvision today). Committing those models' random weights would put tens of megabytes per model in git,
so instead both sides compute the same weights from a rule; tests/common/deterministic_weights.h is the C++
half and must stay identical to this file:

  h      = FNV-1a 64 of the tensor's name (UTF-8)
  u_i    = splitmix64(h + i) >> 11, scaled by 2^-53        (element i in row-major order; u in [0, 1))
  r_i    = 2 u_i - 1                                         (r in [-1, 1))
  value  = by the tensor's role, read from its name and rank:
           *.running_var        1 + 0.5 r    (positive, around 1)
           *.running_mean       0.1 r
           *.num_batches_tracked  0          (int64)
           rank 1, *.weight     1 + 0.1 r    (a norm's scale)
           rank 1, other        0.1 r        (biases)
           rank ≥ 2             r · sqrt(6 / fan_in), fan_in = product of shape[1:]   (He-uniform: variance
                                2 / fan_in keeps a ReLU net's activations from vanishing with depth)
           "input" (the test input, any rank)   r
Values are computed in float64 and rounded once to float32.
"""
import math

import numpy as np

_MASK = (1 << 64) - 1


def fnv1a64(name):
    h = 0xCBF29CE484222325
    for byte in name.encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001B3) & _MASK
    return h


def uniform(name, count):
    """u_i in [0, 1) for i < count, as float64 (numpy's uint64 arithmetic wraps modulo 2^64)."""
    with np.errstate(over="ignore"):
        z = np.uint64(fnv1a64(name)) + np.arange(count, dtype=np.uint64)
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def tensor(name, shape):
    """The value of tensor `name` with `shape` (a numpy array: float32, or int64 for num_batches_tracked)."""
    shape = tuple(int(size) for size in shape)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if name.endswith("num_batches_tracked"):
        return np.zeros(shape, dtype=np.int64)
    r = 2.0 * uniform(name, count) - 1.0
    if name == "input":
        values = r
    elif name.endswith("running_var"):
        values = 1.0 + 0.5 * r
    elif name.endswith("running_mean"):
        values = 0.1 * r
    elif len(shape) == 1:
        values = 1.0 + 0.1 * r if name.endswith("weight") else 0.1 * r
    else:
        fan_in = int(np.prod(shape[1:], dtype=np.int64))
        values = r * math.sqrt(6.0 / fan_in)
    return values.reshape(shape).astype(np.float32)
