#!/usr/bin/env python3
"""Writes the small pickles under tests/fixtures/pickle/ that firelight's reader is tested on.

The files are committed, so the tests never need Python. Rerun this only to change them:

    python3 -m venv /tmp/np && /tmp/np/bin/pip install numpy
    /tmp/np/bin/python tools/make_pickle_fixtures.py [--readme PATH/TO/data/mnist/README.md]

Two kinds of file:
- What Python 3 with numpy 2 writes, for protocols 2 to 5 (`*_p2.pkl` ... `*_p5.pkl`).
- `tutorial_py2.pkl[.gz]`: a tiny slice of MNIST written the way Python 2's cPickle wrote the
  tutorial's mnist.pkl.gz (GLOBAL numpy.core.multiarray, BINSTRING payloads, memo from 1).
  No Python 2 is needed: the opcodes are emitted here one by one, and with --readme the result
  is checked against the pickletools listing in the data README.
"""
import argparse
import gzip
import io
import os
import pickle
import pickletools
import struct
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "pickle")


def write(name, data):
    path = os.path.join(OUT, name)
    if name.endswith(".gz"):
        # mtime=0 keeps the file identical from run to run.
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as f:
            f.write(data)
        data = buf.getvalue()
    with open(path, "wb") as f:
        f.write(data)
    print(f"{name}: {len(data)} bytes")


def values():
    """Arrays of every supported dtype, odd shapes, and plain Python values."""
    shared_list = [1, 2]
    shared_array = np.array([7, 8, 9], dtype="<i4")
    return {
        "f4": np.array([[0.0, 0.5, -1.25], [3.0, 1e-3, np.inf]], dtype="<f4"),
        "f8": np.array([1.0, -2.5, 1e300], dtype="<f8"),
        "i8": np.array([[-1, 0], [2**40, -(2**62)]], dtype="<i8"),
        "i4": np.array([-7, 2**31 - 1, -(2**31)], dtype="<i4"),
        "u1": np.array([[0, 51, 102], [153, 204, 255]], dtype=np.uint8),
        "b1": np.array([True, False, True]),
        "empty": np.zeros((0, 3), dtype="<f4"),
        "scalar": np.array(2.5, dtype="<f8"),
        # Non-contiguous: numpy falls back to _reconstruct even at protocol 5.
        "strided": np.arange(12, dtype="<i8").reshape(3, 4)[:, ::2],
        "ints": [0, 255, 65535, -1, 2**31, -(2**63), 2**63 - 1],
        "floats": (0.5, -1e-300),
        "text": "héllo",
        "bytes": b"\x00\xff",
        "empty_bytes": b"",
        "bytearray": bytearray(b"\x01\x02"),
        "none": None,
        "flags": (True, False),
        "nested": ((), [(), [1]]),
        "shared": (shared_list, shared_list, shared_array, shared_array),
    }


def big():
    # Over 64 KiB each, so the reader's path that decodes payloads as they stream is used.
    return (np.arange(16500, dtype="<f4") % 64 / 8, np.arange(9000, dtype="<i8") % 100 - 50)


def tiny_mnist():
    """Three splits of 3 images each, pixels k/256 like the tutorial's file."""
    rng = np.random.default_rng(0)
    splits = []
    for _ in range(3):
        x = (rng.integers(0, 256, size=(3, 784)).astype(np.float32) / np.float32(256)).astype("<f4")
        y = rng.integers(0, 10, size=3).astype("<i8")
        splits.append((x, y))
    return tuple(splits)


class Py2Writer:
    """Emits the opcode stream Python 2's cPickle wrote for a tuple of numpy array pairs."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")
        self.memo = 0
        self.dtypes = {}  # numpy code -> memo index
        self.dtype_global = None
        self.reconstruct = None

    def put(self):
        self.memo += 1
        self.out += b"q" + bytes([self.memo])
        return self.memo

    def get(self, i):
        self.out += b"h" + bytes([i])

    def string(self, b):
        if len(b) < 256:
            self.out += b"U" + bytes([len(b)]) + b
        else:
            self.out += b"T" + struct.pack("<i", len(b)) + b

    def int(self, n):
        if 0 <= n < 256:
            self.out += b"K" + bytes([n])
        elif 0 <= n < 65536:
            self.out += b"M" + struct.pack("<H", n)
        else:
            self.out += b"J" + struct.pack("<i", n)

    def array(self, a):
        if self.reconstruct is None:
            self.out += b"cnumpy.core.multiarray\n_reconstruct\n"
            self.reconstruct = self.put()
            self.out += b"cnumpy\nndarray\n"
            self.ndarray = self.put()
        else:
            self.get(self.reconstruct)
            self.get(self.ndarray)
        self.int(0)
        self.out += b"\x85"
        self.string(b"b")
        self.out += b"\x87R"
        self.put()
        self.out += b"("
        self.int(1)
        for d in a.shape:
            self.int(d)
        self.out += {1: b"\x85", 2: b"\x86", 3: b"\x87"}[len(a.shape)]
        code = a.dtype.str[1:]
        if code in self.dtypes:
            self.get(self.dtypes[code])
        else:
            if self.dtype_global is None:
                self.out += b"cnumpy\ndtype\n"
                self.dtype_global = self.put()
            else:
                self.get(self.dtype_global)
            self.string(code.encode())
            self.int(0)
            self.int(1)
            self.out += b"\x87R"
            self.dtypes[code] = self.put()
            self.out += b"("
            self.int(3)
            self.string(b"<")
            self.out += b"NNN"
            self.out += b"J" + struct.pack("<i", -1)
            self.out += b"J" + struct.pack("<i", -1)
            self.int(0)
            self.out += b"tb"
        self.out += b"\x89"
        self.string(a.tobytes())
        self.out += b"tb"

    def pairs(self, pairs):
        for x, y in pairs:
            self.array(x)
            self.array(y)
            self.out += b"\x86"
            self.put()
        self.out += b"\x87."
        return bytes(self.out)


def tutorial_slice():
    # Pixels 208..210 of the first two images of each split, and their labels, taken from the
    # canonical IDX files (train 0..1, train 50000..50001, t10k 0..1).
    pixels = [[[253, 253, 253], [60, 224, 252]], [[0, 0, 0], [45, 24, 0]], [[0, 0, 0], [0, 0, 122]]]
    labels = [[5, 0], [3, 8], [7, 2]]
    return [
        (np.array(p, dtype=np.uint8).astype(np.float32) / np.float32(256), np.array(l, dtype="<i8"))
        for p, l in zip(pixels, labels)
    ]


def check_against_readme(data, readme):
    text = open(readme, encoding="utf-8").read()
    start = text.index("    0: \\x80 PROTO      2\n")
    end = text.index("highest protocol among opcodes = 2\n", start) + len("highest protocol among opcodes = 2\n")
    expected = text[start:end]
    got = io.StringIO()
    pickletools.dis(data, out=got)
    if got.getvalue() != expected:
        sys.exit("tutorial_py2.pkl does not match the listing in " + readme)
    print("tutorial_py2.pkl matches the README listing opcode for opcode")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--readme", help="data/mnist/README.md, to check the Python-2-style file")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)

    for p in (2, 3, 4, 5):
        write(f"values_p{p}.pkl", pickle.dumps(values(), protocol=p))
        write(f"big_p{p}.pkl.gz", pickle.dumps(big(), protocol=p))
        write(f"fortran_p{p}.pkl", pickle.dumps(np.asfortranarray(np.ones((2, 3), "<f4")), protocol=p))
        write(f"bigendian_p{p}.pkl", pickle.dumps(np.ones((2, 3), ">f4"), protocol=p))
    write("mnist_tiny_p4.pkl.gz", pickle.dumps(tiny_mnist(), protocol=4))
    write("npscalar_p4.pkl", pickle.dumps(np.float32(1.5), protocol=4))
    write("objarray_p2.pkl", pickle.dumps(np.array([1, "a"], dtype=object), protocol=2))
    cycle = []
    cycle.append(cycle)
    write("cycle_p2.pkl", pickle.dumps(cycle, protocol=2))
    buffers = []
    write("outofband_p5.pkl", pickle.dumps(np.ones(4, "<f4"), protocol=5, buffer_callback=buffers.append))

    py2 = Py2Writer().pairs(tutorial_slice())
    # What the file must mean: the same arrays Python 3 reads back from it.
    back = pickle.loads(py2, encoding="latin1")
    for (x, y), (x2, y2) in zip(back, tutorial_slice()):
        assert x.dtype == np.float32 and np.array_equal(x, x2) and np.array_equal(y, y2)
    write("tutorial_py2.pkl", py2)
    write("tutorial_py2.pkl.gz", py2)
    if args.readme:
        check_against_readme(py2, args.readme)


if __name__ == "__main__":
    main()
