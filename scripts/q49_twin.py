"""The PyTorch twin of lab Q49 --full (src/lab/q49_residual_connections.cpp): Plain-20/56 and ResNet-20/56 (option A,
bench/peers/models.py) trained as the lab trains them, and the last epoch's mean training loss of each.

The lab's prediction for --full comes from this twin, so it must build what nabla builds: convolutions start from
He et al.'s initialisation (their §4.2 cites "Delving deep", a normal draw with variance 2/fan; torchvision's and
nabla's src/models/resnet.cpp use fan_out), not from PyTorch's nn.Conv2d default (uniform, variance 1/(3·fan_in),
six times smaller). Behind batch norm the scale of a convolution's weights does not change what the net computes,
but it divides the effective step by ‖W‖²: the default draw trains as if lr were about six times larger.

  /root/torchenv/bin/python scripts/q49_twin.py --images 10000 --epochs 4 --seed 0 [--init default] [--nets ...]
"""
import argparse, math, os, sys, time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "peers"))
import models  # noqa: E402
from train import fashion_mnist  # noqa: E402


class PlainBlock(nn.Module):
    """A basic block without its addition: relu(bn2(conv2(relu(bn1(conv1(x))))))."""

    def __init__(self, block):
        super().__init__()
        self.block = block

    def forward(self, x):
        b = self.block
        return torch.relu(b.bn2(b.conv2(torch.relu(b.bn1(b.conv1(x))))))


def build(depth, residual, init):
    net = models.cifar_resnet(depth)
    if not residual:
        net = nn.Sequential(*[PlainBlock(m) if isinstance(m, models.BasicBlock) else m for m in net])
    if init == "he":
        for module in net.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    return net


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", choices=["he", "default"], default="he")
    parser.add_argument("--nets", default="Plain-20,Plain-56,ResNet-20,ResNet-56")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data", default=os.environ.get("NABLA_DATA", "/usr/share/datasets/fashion-mnist"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images, labels = fashion_mnist(args.data, "train")
    pick = torch.randperm(len(labels), generator=torch.Generator().manual_seed(1000 + args.seed))[:args.images]
    inputs, targets = images[pick].float() / 255.0, labels[pick]
    batch = 128
    total = args.epochs * math.ceil(args.images / batch)
    warm = min(max(round(args.warmup * total), 1), total - 1)

    def lr_at(step):  # linear from 1 % over the warm-up, then cosine to 0 at the last step, as the lab
        if step < warm:
            return args.lr * (0.01 + 0.99 * step / warm)
        return args.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / (total - warm)))

    for name in args.nets.split(","):
        depth, residual = int(name.split("-")[1]), name.startswith("ResNet")
        torch.manual_seed(args.seed)
        net = build(depth, residual, args.init)
        net.train()
        optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
        step, start = 0, time.time()
        for epoch in range(args.epochs):
            order = torch.randperm(args.images, generator=torch.Generator().manual_seed(args.seed * 1000 + epoch))
            losses = []
            for first in range(0, args.images, batch):
                chosen = order[first:first + batch]
                for group in optimizer.param_groups:
                    group["lr"] = lr_at(step)
                loss = nn.functional.cross_entropy(net(inputs[chosen]), targets[chosen])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                step += 1
                losses.append(loss.item())
        error = np.std(losses, ddof=1) / math.sqrt(len(losses))
        print(f"{name} init={args.init} seed={args.seed} images={args.images} epochs={args.epochs} steps={total}: "
              f"last-epoch loss {np.mean(losses):.4f} (s.e. {error:.4f}), {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
