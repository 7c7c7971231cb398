"""The PyTorch side of `bench training`: the IMDB study's nets in the best form a Python user writes them.

Same data (the multi-hot rows GridSweep trains on, 10,000 words, written by the benchmark as raw arrays), same
model (EmbeddingBag in sum mode as the first layer plus its bias, dense hidden layers, one logit; Keras init:
Glorot-uniform kernels, zero biases), same recipe (relu, L2 `l2 * sum(W^2)` over the hidden kernels added to the
loss, inverted dropout after each hidden layer, binary cross-entropy, Adam lr 0.001 with Keras's epsilon 1e-7 and
foreach=True, batch 512, a shuffle per epoch), same threads. Batches are gathered with vectorized tensor ops; the
validation batches (8,192 reviews each, as GridSweep) are built once, since the validation split never changes.
An epoch is timed like GridSweep's: the shuffled training pass plus the validation pass.
Prints one JSON line: seconds of each epoch and the last validation loss and accuracy.

    /usr/bin/python3 bench/pytorch/imdb.py --data DIR --hidden 512,512 [--l2 0.001] [--dropout 0.6] --epochs 4 --threads 1
"""
import argparse
import json
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

VALIDATION_ROWS = 8192


class Split:
    """Multi-hot rows as CSR: review i's columns are columns[offsets[i]:offsets[i + 1]]."""

    def __init__(self, folder, name):
        self.offsets = torch.from_numpy(np.fromfile(f"{folder}/{name}_offsets.bin", dtype="<i8"))
        self.columns = torch.from_numpy(np.fromfile(f"{folder}/{name}_columns.bin", dtype="<i8"))
        self.labels = torch.from_numpy(np.fromfile(f"{folder}/{name}_labels.bin", dtype="<f4"))
        self.lengths = self.offsets[1:] - self.offsets[:-1]

    def __len__(self):
        return len(self.labels)

    def batch(self, rows):
        lengths = self.lengths[rows]
        bag_offsets = torch.zeros(len(rows), dtype=torch.int64)
        torch.cumsum(lengths[:-1], 0, out=bag_offsets[1:])
        # Position k of the batch reads columns[starts[bag] + (k - bag_offsets[bag])].
        shift = torch.repeat_interleave(self.offsets[rows] - bag_offsets, lengths)
        indices = self.columns[shift + torch.arange(len(shift))]
        return indices, bag_offsets, self.labels[rows]


class Net(nn.Module):
    def __init__(self, words, hidden, dropout, generator):
        super().__init__()
        self.bag = nn.EmbeddingBag(words, hidden[0], mode="sum")
        self.bias = nn.Parameter(torch.zeros(hidden[0]))
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(hidden, hidden[1:]))
        self.out = nn.Linear(hidden[-1], 1)
        self.dropout = dropout
        with torch.no_grad():
            for weight, fan_in, fan_out in [(self.bag.weight, words, hidden[0])] + \
                    [(l.weight, l.in_features, l.out_features) for l in self.hidden] + [(self.out.weight, hidden[-1], 1)]:
                limit = (6.0 / (fan_in + fan_out)) ** 0.5
                weight.uniform_(-limit, limit, generator=generator)
            for layer in list(self.hidden) + [self.out]:
                layer.bias.zero_()

    def kernels(self):
        return [self.bag.weight] + [layer.weight for layer in self.hidden]

    def forward(self, indices, offsets):
        x = F.relu(self.bag(indices, offsets) + self.bias)
        x = F.dropout(x, self.dropout, self.training) if self.dropout > 0 else x
        for layer in self.hidden:
            x = F.relu(layer(x))
            x = F.dropout(x, self.dropout, self.training) if self.dropout > 0 else x
        return self.out(x).squeeze(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder with {train,test}_{offsets,columns,labels}.bin and words.txt")
    parser.add_argument("--hidden", required=True, help="hidden layer widths, comma-separated: 16,16 or 512,512")
    parser.add_argument("--l2", type=float, default=0.0)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    generator = torch.Generator().manual_seed(args.seed)
    words = int(open(f"{args.data}/words.txt").read())
    train, test = Split(args.data, "train"), Split(args.data, "test")
    net = Net(words, [int(u) for u in args.hidden.split(",")], args.dropout, generator)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7, foreach=True)
    validation = [test.batch(torch.arange(first, min(first + VALIDATION_ROWS, len(test))))
                  for first in range(0, len(test), VALIDATION_ROWS)]

    seconds, val_loss, val_accuracy = [], float("nan"), float("nan")
    for _ in range(args.epochs):
        start = time.perf_counter()
        net.train()
        order = torch.randperm(len(train), generator=generator)
        for first in range(0, len(order), args.batch):
            indices, offsets, labels = train.batch(order[first:first + args.batch])
            optimizer.zero_grad(set_to_none=True)
            loss = F.binary_cross_entropy_with_logits(net(indices, offsets), labels)
            if args.l2 > 0:
                loss = loss + args.l2 * sum((kernel * kernel).sum() for kernel in net.kernels())
            loss.backward()
            optimizer.step()
        net.eval()
        loss_sum, correct = 0.0, 0.0
        with torch.no_grad():
            for indices, offsets, labels in validation:
                logits = net(indices, offsets)
                loss_sum += F.binary_cross_entropy_with_logits(logits, labels, reduction="sum").item()
                correct += ((logits > 0).float() == labels).float().sum().item()
        val_loss, val_accuracy = loss_sum / len(test), correct / len(test)
        seconds.append(time.perf_counter() - start)

    print(json.dumps({"torch": torch.__version__, "seconds": seconds, "val_loss": val_loss, "val_accuracy": val_accuracy}))


if __name__ == "__main__":
    main()
