"""PyTorch twins of nabla's recurrent language models (src/models/recurrent_lm.cpp) for bench/peers/train.py:
token embedding → torch.nn.LSTM or GRU → dropout → linear head, trained on random windows of the same sizes as
bench_train draws (bench/train/language_models.h): vocabulary 96, context 128, one sample = one window."""
import statistics
import time

import torch
from torch import nn

VOCABULARY = 96
CONTEXT = 128
# The registry's defaults: embedding 128, two layers of 256, dropout 0.1.
SIZES = {"embedding": 128, "hidden": 256, "layers": 2, "dropout": 0.1}


class RecurrentLanguageModel(nn.Module):
    """tokens [B, T] → logits [B, T, V]; seq-first inside, as nabla's."""

    def __init__(self, kind):
        super().__init__()
        self.embedding = nn.Embedding(VOCABULARY, SIZES["embedding"])
        recurrent = nn.LSTM if kind == "lstm" else nn.GRU
        self.rnn = recurrent(SIZES["embedding"], SIZES["hidden"], SIZES["layers"], dropout=SIZES["dropout"])
        self.dropout = nn.Dropout(SIZES["dropout"])
        self.head = nn.Linear(SIZES["hidden"], VOCABULARY)

    def forward(self, tokens):
        x = self.embedding(tokens.t())
        h, _ = self.rnn(x)
        return self.head(self.dropout(h).transpose(0, 1))


LANGUAGE_MODELS = {"lstm": lambda: RecurrentLanguageModel("lstm"), "gru": lambda: RecurrentLanguageModel("gru")}


def random_windows(seed, batch, count):
    generator = torch.Generator().manual_seed(seed + 1)
    return [torch.randint(0, VOCABULARY, (batch, CONTEXT + 1), generator=generator) for _ in range(count)]


def measure_training(args, peak_rss_mib):
    torch.manual_seed(args.seed)
    model = LANGUAGE_MODELS[args.model]()
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    windows = random_windows(args.seed, args.batch_size, 8)
    loss = None

    def step(i):
        nonlocal loss
        window = windows[i % len(windows)]
        inputs, targets = window[:, :CONTEXT], window[:, 1:]
        loss = nn.functional.cross_entropy(model(inputs).flatten(0, 1), targets.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for i in range(args.warmup):
        step(i)
    start = time.perf_counter()
    for i in range(args.steps):
        step(i)
    seconds = time.perf_counter() - start
    return {"samples_per_second": args.steps * args.batch_size / seconds, "final_loss": loss.item(),
            "peak_rss_mib": peak_rss_mib(), "warmup": args.warmup, "steps": args.steps}


def measure_inference(args):
    torch.manual_seed(args.seed)
    model = LANGUAGE_MODELS[args.model]().eval()
    result = {"warmup": args.warmup, "steps": args.steps}
    with torch.inference_mode():
        batches = [w[:, :CONTEXT] for w in random_windows(args.seed, args.batch_size, 4)]
        for i in range(args.warmup):
            model(batches[i % len(batches)])
        start = time.perf_counter()
        for i in range(args.steps):
            model(batches[i % len(batches)])
        result["samples_per_second"] = args.steps * args.batch_size / (time.perf_counter() - start)
        singles = [w[:, :CONTEXT] for w in random_windows(args.seed, 1, 4)]
        for i in range(args.warmup):
            model(singles[i % len(singles)])
        latencies = []
        for i in range(args.steps):
            call_start = time.perf_counter()
            model(singles[i % len(singles)])
            latencies.append(time.perf_counter() - call_start)
        result["latency_b1_us"] = statistics.median(latencies) * 1e6
    return result
