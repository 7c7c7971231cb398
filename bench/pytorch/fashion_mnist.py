"""The PyTorch side of `bench fashion`: the same dense nets on Fashion-MNIST, the way a Python user writes them.

Same model (Linear layers, Keras init: Glorot-uniform kernels, zero biases), same optimizer (Adam, lr 0.001,
Keras epsilon 1e-7), same batch, same threads, same data preparation (pixels / 255, flattened). An epoch is
timed like GridSweep's: one shuffled pass over the 60,000 training images plus the validation pass over the
10,000 test images. Prints one JSON line: seconds of each epoch and the last validation loss and accuracy.

    /usr/bin/python3 bench/pytorch/fashion_mnist.py --data DIR --hidden 128 --epochs 4 --batch 128 --threads 2
"""
import argparse
import gzip
import json
import struct
import time

import numpy as np
import torch
from torch import nn


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    found, = struct.unpack(">I", data[:4])
    if found != magic:
        raise SystemExit(f"{path}: magic {found:#010x}, expected {magic:#010x}")
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(folder, prefix):
    images = read_idx(f"{folder}/{prefix}-images-idx3-ubyte.gz", 0x803)
    labels = read_idx(f"{folder}/{prefix}-labels-idx1-ubyte.gz", 0x801)
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def model(hidden, generator):
    layers, width = [], 784
    for units in hidden:
        layers += [nn.Linear(width, units), nn.ReLU()]
        width = units
    layers.append(nn.Linear(width, 10))
    net = nn.Sequential(*layers)
    with torch.no_grad():
        for layer in net:
            if isinstance(layer, nn.Linear):
                limit = (6.0 / (layer.in_features + layer.out_features)) ** 0.5
                layer.weight.uniform_(-limit, limit, generator=generator)
                layer.bias.zero_()
    return net


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder with the four official IDX .gz files")
    parser.add_argument("--hidden", required=True, help="hidden layer widths, comma-separated: 128 or 512,512")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(args.seed)
    x_train, y_train = load(args.data, "train")
    x_val, y_val = load(args.data, "t10k")
    net = model([int(u) for u in args.hidden.split(",")], generator)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()

    seconds, val_loss, val_accuracy = [], float("nan"), float("nan")
    for _ in range(args.epochs):
        start = time.perf_counter()
        net.train()
        order = torch.randperm(len(x_train), generator=generator)
        for first in range(0, len(order), args.batch):
            rows = order[first:first + args.batch]
            optimizer.zero_grad()
            loss = loss_fn(net(x_train[rows]), y_train[rows])
            loss.backward()
            optimizer.step()
        net.eval()
        with torch.no_grad():
            logits = net(x_val)
            val_loss = loss_fn(logits, y_val).item()
            val_accuracy = (logits.argmax(1) == y_val).float().mean().item()
        seconds.append(time.perf_counter() - start)

    print(json.dumps({"torch": torch.__version__, "seconds": seconds, "val_loss": val_loss, "val_accuracy": val_accuracy}))


if __name__ == "__main__":
    main()
