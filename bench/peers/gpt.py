"""The PyTorch twin of bench_gpt (bench/gpt/main.cpp): same model, same options, same JSON keys.

    python bench/peers/gpt.py --mode train|generate [--batch-size 32 --context 128 --warmup 3 --steps 20 --prompt 16]

The model is written out as nabla's GPT is (pre-LN blocks, packed q/k/v projection, F.scaled_dot_product_attention
with is_causal, GELU MLP, tied head), with a hand-written key/value cache for generation (preallocated buffers,
one position per step), as Hugging Face's and nanoGPT-style caches do. Threads: $NABLA_NUM_THREADS or
$OMP_NUM_THREADS, as bench/run sets for both sides.
"""
import argparse
import json
import math
import os
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d_model, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(d_model)
        self.in_proj = nn.Linear(d_model, 3 * d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.ln_2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.proj = nn.Linear(4 * d_model, d_model)

    def attention(self, x, cache=None):
        B, T, E = x.shape
        q, k, v = self.in_proj(x).split(E, dim=2)
        q, k, v = (t.view(B, T, self.heads, E // self.heads).transpose(1, 2) for t in (q, k, v))
        if cache is None:
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            keys, values, length = cache["keys"], cache["values"], cache["length"]
            keys[:, :, length:length + T] = k
            values[:, :, length:length + T] = v
            length += T
            cache["length"] = length
            out = F.scaled_dot_product_attention(q, keys[:, :, :length], values[:, :, :length], is_causal=T > 1)
        return self.out_proj(out.transpose(1, 2).reshape(B, T, E))

    def forward(self, x, cache=None):
        x = x + self.attention(self.ln_1(x), cache)
        return x + self.proj(F.gelu(self.fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self, vocabulary, context, layers, heads, d_model):
        super().__init__()
        self.wte = nn.Embedding(vocabulary, d_model)
        self.wpe = nn.Embedding(context, d_model)
        self.h = nn.ModuleList(Block(d_model, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d_model)
        for name, parameter in self.named_parameters():
            if parameter.dim() == 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(parameter, 0, std)
            elif "ln_" not in name:
                nn.init.zeros_(parameter)

    def forward(self, ids, caches=None, offset=0):
        T = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(offset, offset + T))
        for index, block in enumerate(self.h):
            x = block(x, None if caches is None else caches[index])
        return F.linear(self.ln_f(x), self.wte.weight)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["train", "generate"], default="train")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--prompt", type=int, default=16)
    args = parser.parse_args()
    threads = int(os.environ.get("NABLA_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "0")) or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    torch.manual_seed(1)
    layers, heads, d_model, vocabulary = 4, 4, 128, 96
    model = GPT(vocabulary, args.context, layers, heads, d_model)
    result = {"framework": "pytorch", "mode": args.mode, "threads": torch.get_num_threads()}
    if args.mode == "train":
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
        B, T = args.batch_size, args.context
        seconds = 0.0
        for step in range(args.warmup + args.steps):
            window = torch.randint(0, vocabulary, (B, T + 1))
            start = time.perf_counter()
            loss = F.cross_entropy(model(window[:, :T]).reshape(B * T, vocabulary), window[:, 1:].reshape(B * T))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            value = loss.item()
            if step >= args.warmup:
                seconds += time.perf_counter() - start
        result.update({"tokens_per_second": args.steps * B * T / seconds, "final_loss": value,
                       "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0})
    else:
        model.eval()
        prompt = torch.randint(0, vocabulary, (1, args.prompt))
        with torch.inference_mode():
            for round_ in range(1 + args.warmup):
                capacity = args.prompt + args.steps
                caches = [{"keys": torch.zeros(1, heads, capacity, d_model // heads),
                           "values": torch.zeros(1, heads, capacity, d_model // heads), "length": 0} for _ in model.h]
                logits = model(prompt, caches, 0)
                start = time.perf_counter()
                for step in range(args.steps):
                    token = logits[:, -1].argmax(-1, keepdim=True)
                    logits = model(token, caches, args.prompt + step)
                seconds = time.perf_counter() - start
        result["tokens_per_second"] = args.steps / seconds
    print(json.dumps(result))


if __name__ == "__main__":
    main()
