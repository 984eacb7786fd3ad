#!/usr/bin/env python3
"""Reads a `nabla train --tensorboard` log with TensorBoard's own reader (EventAccumulator) and compares every
value with what the same run saved beside it: each epoch's figures with history.json, the last weight histograms
with model.safetensors (recomputed here with the writer's documented buckets), the image with curves.png, the
hyperparameters with config.json. Usage: read_tensorboard.py RUN_DIR LOG_DIR. Exits non-zero naming the first
value that differs. Needs `tensorboard` (and the numpy it brings) from PyPI."""
import json
import struct
import sys
from pathlib import Path

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2


def fail(message):
    sys.exit(f"read_tensorboard: {message}")


def load_safetensors(path):
    data = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", (name, entry["dtype"])
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[8 + length + begin : 8 + length + end], dtype="<f4").reshape(entry["shape"])
    return tensors


def expected_histogram(values, bins=30):
    """The writer's buckets: equal width between the least and greatest value, bucket i holding (limit[i-1], limit[i]]."""
    values = values.astype(np.float64).ravel()
    low, high = values.min(), values.max()
    count = bins if high > low else 1
    width = (high - low) / count
    index = np.zeros(values.shape, dtype=np.int64) if count == 1 else np.ceil((values - low) / width).astype(np.int64) - 1
    buckets = np.bincount(np.clip(index, 0, count - 1), minlength=count).astype(np.float64)
    limits = [high if i + 1 == count else low + width * (i + 1) for i in range(count)]
    return low, high, values.size, values.sum(), (values * values).sum(), limits, buckets


def main():
    run, logs = Path(sys.argv[1]), Path(sys.argv[2])
    accumulator = EventAccumulator(str(logs), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    checked = 0

    # Each epoch's figures, at the global step that ended it, equal history.json's (as the schema's float32).
    history = json.loads((run / "history.json").read_text())
    for key in ["train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "learning_rate", "samples_per_second"]:
        events = accumulator.Scalars(f"epoch/{key}")
        if len(events) != len(history):
            fail(f"epoch/{key}: {len(events)} values for {len(history)} epochs")
        for event, epoch in zip(events, history):
            if np.float32(event.value) != np.float32(epoch[key]):
                fail(f"epoch/{key} at epoch {epoch['epoch']}: TensorBoard read {event.value}, history.json has {epoch[key]}")
            checked += 1
    steps = [event.step for event in accumulator.Scalars("epoch/train_loss")]
    if steps != sorted(steps) or len(set(steps)) != len(steps):
        fail(f"epoch steps not increasing: {steps}")
    if not accumulator.Scalars("train/running_loss") or not accumulator.Scalars("train/learning_rate"):
        fail("no running loss or learning rate during training")

    # The last weight histograms are of the final weights, which model.safetensors holds.
    weights = load_safetensors(run / "model.safetensors")
    for name, values in weights.items():
        tag = f"weights/{name}"
        if tag not in tags["histograms"]:
            fail(f"no histogram {tag}")
        histogram = accumulator.Histograms(tag)[-1].histogram_value
        low, high, num, total, squares, limits, buckets = expected_histogram(values)
        if (histogram.min, histogram.max, histogram.num) != (low, high, num):
            fail(f"{tag}: min/max/num {(histogram.min, histogram.max, histogram.num)} vs {(low, high, num)}")
        if not np.isclose(histogram.sum, total, rtol=1e-9, atol=1e-12) or not np.isclose(histogram.sum_squares, squares, rtol=1e-9):
            fail(f"{tag}: sum {histogram.sum} vs {total}, sum of squares {histogram.sum_squares} vs {squares}")
        # Bucket edges to a few ulps (the compiler may fuse the writer's low + width·(i+1) into one rounding).
        if not np.allclose(histogram.bucket_limit, limits, rtol=1e-12, atol=0) or list(histogram.bucket) != buckets.tolist():
            fail(f"{tag}: buckets differ from the weights' ({list(histogram.bucket)} vs {list(buckets)})")
        checked += 1
    gradients = [tag for tag in tags["histograms"] if tag.startswith("gradients/")]
    if sorted(tag.split("/", 1)[1] for tag in gradients) != sorted(weights):
        fail(f"gradient histograms {gradients} do not cover the parameters {sorted(weights)}")

    # The image is curves.png, byte for byte.
    image = accumulator.Images("curves")[-1]
    if image.encoded_image_string != (run / "curves.png").read_bytes():
        fail("the image 'curves' is not curves.png")
    checked += 1

    # The hyperparameters equal config.json's recipe.
    config = json.loads((run / "config.json").read_text())
    content = accumulator.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    plugin = plugin_data_pb2.HParamsPluginData.FromString(content)
    hparams = plugin.session_start_info.hparams
    for key in ["lr", "epochs", "batch_size", "weight_decay", "seed"]:
        if hparams[key].number_value != config[key]:
            fail(f"hparam {key}: {hparams[key].number_value} vs config.json's {config[key]}")
        checked += 1
    for key in ["model", "optimizer", "scheduler"]:
        if hparams[key].string_value != config[key]:
            fail(f"hparam {key}: {hparams[key].string_value!r} vs config.json's {config[key]!r}")
        checked += 1

    # The text names the model.
    text = accumulator.Tensors("run")[-1].tensor_proto.string_val[0].decode()
    if config["model"] not in text:
        fail(f"the text 'run' does not name the model: {text[:80]!r}")
    checked += 1
    print(f"read_tensorboard: {checked} values read back equal by TensorBoard's reader")


if __name__ == "__main__":
    main()
