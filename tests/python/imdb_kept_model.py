#!/usr/bin/env python3
"""Scores a GridSweep kept IMDB model with PyTorch alone, as a user outside GridSweep would.

Usage: imdb_kept_model.py RUN_DIR TRIAL_ID IMDB_ARCHIVE [--tolerance 1e-4]

Loads models/TRIAL_ID.safetensors, rebuilds the torch.nn.Sequential from models/TRIAL_ID.json, encodes the
archive's test split (the trainer's validation split) from the raw reviews with the recorded vocabulary, and
prints one JSON line: the validation loss and accuracy found beside the recorded ones. Exits 1 when the loss
differs from the recorded one by more than the tolerance.
"""
import argparse
import json
import re
import struct
import sys
import tarfile

import torch
from torch import nn


def load_weights(path):
    """safetensors.torch.load_file when the library is there; Debian ships none, so else the format by hand."""
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    # 8 bytes of little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw bytes.
    dtypes = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
              "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
              "BOOL": torch.bool}
    with open(path, "rb") as file:
        data = file.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    header.pop("__metadata__", None)
    start = 8 + length
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = dtypes[entry["dtype"]]
        if end == begin:
            tensors[name] = torch.empty(entry["shape"], dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(bytearray(data[start + begin:start + end]), dtype=dtype).reshape(entry["shape"])
    return tensors


def rebuild(description):
    """The Sequential the JSON lists: getattr(torch.nn, type)(**args) per layer."""
    return nn.Sequential(*(getattr(nn, layer["type"])(**layer["args"]) for layer in description["network"]["layers"]))


class ReviewEncoder:
    """The trainer's tokenizer and encoding, from the steps the JSON records (input.steps)."""

    def __init__(self, preparation):
        self.columns = preparation["word_columns"]
        self.width = preparation["num_words"]
        self.start = preparation["start_column"]
        self.unknown = preparation["out_of_vocabulary_column"]
        self.line_break = re.compile(re.escape(preparation["line_break"]), re.IGNORECASE)
        self.filters = str.maketrans({c: " " for c in preparation["filters"]})

    @staticmethod
    def lower(text):
        # Per character, simple case mapping: str.lower() would turn U+0130 into two characters and a final
        # capital sigma into a final small sigma; the trainer (.NET, invariant) does neither.
        if text.isascii():
            return text.lower()
        return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)

    def review_columns(self, text):
        text = self.lower(self.line_break.sub(" ", text).translate(self.filters))
        words = [word for word in text.split(" ") if word]
        return {self.start, *(self.columns.get(word, self.unknown) for word in words)}


def test_reviews(archive):
    """The labelled test reviews, ordered as the trainer orders them: negatives first, then positives, each by id."""
    location = re.compile(r"(?:^|/)test/(pos|neg)/(\d+)_(\d+)\.txt$")
    reviews = []
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            match = location.search(member.name) if member.isfile() else None
            if match:
                text = tar.extractfile(member).read().decode("utf-8", errors="replace")
                reviews.append((match.group(1) == "pos", int(match.group(2)), text))
    reviews.sort(key=lambda review: (review[0], review[1]))
    return reviews


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("trial_id")
    parser.add_argument("imdb_archive")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    arguments = parser.parse_args()

    with open(f"{arguments.run_dir}/models/{arguments.trial_id}.json", encoding="utf-8") as file:
        description = json.load(file)
    if description["input"]["kind"] != "multi_hot_words":
        sys.exit(f"trial {arguments.trial_id} is not an IMDB model (input kind {description['input']['kind']})")
    model = rebuild(description)
    model.load_state_dict(load_weights(f"{arguments.run_dir}/models/{arguments.trial_id}.safetensors"))
    model.eval()

    encoder = ReviewEncoder(description["input"])
    reviews = test_reviews(arguments.imdb_archive)
    loss_sum, correct = 0.0, 0
    with torch.no_grad():
        for first in range(0, len(reviews), 1024):
            chunk = reviews[first:first + 1024]
            rows = torch.zeros(len(chunk), encoder.width)
            for row, (_, _, text) in enumerate(chunk):
                rows[row, sorted(encoder.review_columns(text))] = 1.0
            labels = torch.tensor([1.0 if positive else 0.0 for positive, _, _ in chunk])
            logits = model(rows).squeeze(1)
            loss_sum += nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="sum").item()
            correct += ((logits > 0) == (labels > 0)).sum().item()

    recorded = description["metrics"]
    result = {
        "trial_id": arguments.trial_id,
        "epoch": description["epoch"],
        "rows": len(reviews),
        "val_loss": loss_sum / len(reviews),
        "val_accuracy": correct / len(reviews),
        "recorded_val_loss": recorded["val_loss"],
        "recorded_val_accuracy": recorded["val_accuracy"],
    }
    print(json.dumps(result))
    return 0 if abs(result["val_loss"] - recorded["val_loss"]) <= arguments.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
