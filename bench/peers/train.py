"""PyTorch twin of bench_train: the same models, recipe, modes, options and JSON keys (see bench/train/main.cpp).

Models: bench/peers/models.py builds each as nabla's zoo does. Recipe: Adam (lr 1e-3) or SGD with momentum
and weight decay, as bench/run asks; batch 128, shuffled, pixels scaled to [0, 1].
The data set stays in memory as uint8 and each batch is gathered and converted when it is used, as nabla's
loader does. Inference runs in eval mode under torch.inference_mode.
"""
import argparse
import gzip
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn

from language_models import LANGUAGE_MODELS
import language_models
from models import MODELS, make_model


def read_idx(directory, name):
    """An IDX file of the Fashion-MNIST set, plain or gzipped, as a numpy array."""
    path = os.path.join(directory, name)
    opener = open if os.path.exists(path) else gzip.open
    path = path if os.path.exists(path) else path + ".gz"
    with opener(path, "rb") as handle:
        raw = handle.read()
    dimensions = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dimensions)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)


def fashion_mnist(directory, split):
    prefix = "train" if split == "train" else "t10k"
    images = torch.from_numpy(read_idx(directory, f"{prefix}-images-idx3-ubyte").copy()).unsqueeze(1)
    labels = torch.from_numpy(read_idx(directory, f"{prefix}-labels-idx1-ubyte").astype(np.int64))
    return images, labels  # uint8 [N, 1, 28, 28], int64 [N]


def as_input(images):
    return images.float().div_(255)


class TrainingRun:
    """A model, its optimizer and an endless stream of shuffled training batches."""

    def __init__(self, args):
        torch.manual_seed(args.seed)
        self.model = make_model(args.model)
        self.model.train()
        if args.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(self.model.parameters(), lr=args.lr, momentum=args.momentum,
                                             weight_decay=args.weight_decay)
        else:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
        self.images, self.labels = fashion_mnist(args.data, "train")
        self.batch_size = args.batch_size
        self.generator = torch.Generator().manual_seed(args.seed)
        self.batches = iter(())
        self.samples = 0
        self.loss = None

    def epoch(self):
        order = torch.randperm(len(self.labels), generator=self.generator)
        return iter(order.split(self.batch_size))

    def train_on(self, indices):
        inputs, targets = as_input(self.images[indices]), self.labels[indices]
        self.loss = nn.functional.cross_entropy(self.model(inputs), targets)
        self.optimizer.zero_grad(set_to_none=True)
        self.loss.backward()
        self.optimizer.step()
        self.samples += len(indices)

    def step(self):
        indices = next(self.batches, None)
        if indices is None:
            self.batches = self.epoch()
            indices = next(self.batches)
        self.train_on(indices)

    def train_one_epoch(self):
        for indices in self.epoch():
            self.train_on(indices)


def test_batches(args, batch_size, count):
    images, labels = fashion_mnist(args.data, "test")
    return [(as_input(images[i:i + batch_size]), labels[i:i + batch_size])
            for i in range(0, min(len(labels), count * batch_size), batch_size)]


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_training(args):
    run = TrainingRun(args)
    for _ in range(args.warmup):
        run.step()
    samples_before = run.samples
    start = time.perf_counter()
    for _ in range(args.steps):
        run.step()
    seconds = time.perf_counter() - start
    return {"samples_per_second": (run.samples - samples_before) / seconds, "final_loss": run.loss.item(),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "warmup": args.warmup, "steps": args.steps}


def measure_inference(args):
    torch.manual_seed(args.seed)
    model = make_model(args.model).eval()
    result = {"warmup": args.warmup, "steps": args.steps}
    with torch.inference_mode():
        batches = test_batches(args, args.batch_size, 16)
        for i in range(args.warmup):
            model(batches[i % len(batches)][0])
        start = time.perf_counter()
        for i in range(args.steps):
            model(batches[i % len(batches)][0])
        result["samples_per_second"] = args.steps * args.batch_size / (time.perf_counter() - start)

        singles = test_batches(args, 1, 256)
        for i in range(args.warmup):
            model(singles[i % len(singles)][0])
        latencies = []
        for i in range(args.steps):
            call_start = time.perf_counter()
            model(singles[i % len(singles)][0])
            latencies.append(time.perf_counter() - call_start)
        result["latency_b1_us"] = statistics.median(latencies) * 1e6
    return result


def one_epoch_test_accuracy(args):
    run = TrainingRun(args)
    run.train_one_epoch()
    run.model.eval()
    correct = examples = 0
    with torch.inference_mode():
        for inputs, targets in test_batches(args, 1000, 1 << 20):
            correct += (run.model(inputs).argmax(1) == targets).sum().item()
            examples += len(targets)
    return {"seed": args.seed, "test_accuracy": correct / examples}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["train", "infer", "parity"], default="train")
    parser.add_argument("--model", choices=sorted(MODELS) + sorted(LANGUAGE_MODELS), default="mlp")
    parser.add_argument("--data", required=True, help="Fashion-MNIST directory (bench_train --mode data prints it)")
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    measure = {"train": measure_training, "infer": measure_inference, "parity": one_epoch_test_accuracy}[args.mode]
    if args.model in LANGUAGE_MODELS:  # random token windows instead of Fashion-MNIST (bench/peers/language_models.py)
        measure = {"train": lambda a: language_models.measure_training(a, peak_rss_mib),
                   "infer": language_models.measure_inference}[args.mode]
    result = {"framework": "pytorch", "version": torch.__version__, "model": args.model, "mode": args.mode,
              "threads": torch.get_num_threads(), "batch_size": args.batch_size,
              "optimizer": args.optimizer}
    result.update(measure(args))
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
