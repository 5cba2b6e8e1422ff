"""A checkpoint in swift-bertin's HDF5 layout (Checkpoints/README.md) written by h5py alone, to test
that our reader takes files it did not write. Also `--check FILE`: reads one of our checkpoints with
h5py, verifies every checksum and prints the layout (the reverse direction, run by hand).

Writes Tests/CheckpointingTests/Fixtures/h5py-written.h5, and h5py-version-2.h5 and
h5py-without-{model_config,recipe,progress-step}.h5 (the same file damaged), all in HDF5 1.10's
checksummed file format as our writer uses; and h5py-old-format.h5, the same checkpoint in h5py's
default (earliest, unchecksummed) format, which our reader refuses by name. Pinned packages:
requirements.txt.
"""
import pathlib
import sys

import h5py
import numpy as np


def dataset(file, name, data):
    data = np.asarray(data)
    file.create_dataset(name, data=data, chunks=data.shape, fletcher32=True)


def text(file, name, value):
    raw = value.encode("utf-8") or b"\0"
    file.create_dataset(name, data=np.array([raw], dtype=h5py.string_dtype("utf-8", len(raw))),
                        chunks=(1,), fletcher32=True)


def write(path, version=1, omit=(), libver=("v110", "v110")):
    with h5py.File(path, "w", libver=libver) as f:
        dataset(f, "format_version", np.array([version], dtype="<i8"))
        if "model_config" not in omit:
            text(f, "model_config", '{"model_type": "test"}')
        if "recipe" not in omit:
            text(f, "recipe", "name: h5py-fixture\nsteps: 3\n")
        shapes = {"layer.weight": (2, 3), "layer.bias": (3,)}
        for group, offset in (("params", 0.0), ("optimizer/mu", 100.0), ("optimizer/nu", 200.0)):
            for name, shape in shapes.items():
                dataset(f, f"{group}/{name}", (offset + np.arange(np.prod(shape), dtype="<f4") * 0.25).reshape(shape))
        dataset(f, "optimizer/count", np.array([3], dtype="<i8"))
        if "progress/step" not in omit:
            dataset(f, "progress/step", np.array([3], dtype="<i8"))
        dataset(f, "progress/seed", np.array([-2], dtype="<i8"))  # the bit pattern of UInt64.max - 1
        dataset(f, "progress/data/rows", np.array([12], dtype="<i8"))


def check(path):
    with h5py.File(path, "r") as f:
        def show(name, item):
            if isinstance(item, h5py.Dataset):
                item[()]  # reading verifies the fletcher32 checksum
                print(f"{name}: {item.dtype} {item.shape} fletcher32={item.fletcher32}")
        f.visititems(show)
        print("recipe:", f["recipe"][0].decode())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        root = pathlib.Path(__file__).resolve().parents[2]
        fixtures = root / "Tests/CheckpointingTests/Fixtures"
        write(fixtures / "h5py-written.h5")
        write(fixtures / "h5py-old-format.h5", libver=None)
        # Damaged in the ways a reader must name: another format version, a missing metadata dataset.
        write(fixtures / "h5py-version-2.h5", version=2)
        for name in ("model_config", "recipe", "progress/step"):
            write(fixtures / f"h5py-without-{name.replace('/', '-')}.h5", omit=(name,))
