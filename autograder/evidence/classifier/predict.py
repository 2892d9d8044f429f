"""Classify images from the command line (the grader itself calls model.predict_labels in-process).

    python -m autograder.evidence.classifier.predict IN.npz OUT.npz

IN.npz holds `images` in any layout model.to_nhwc accepts ((N, 1, 28, 28), (N, 28, 28, 1),
(N, 28, 28) or (N, 784), floats in [0, 1]). OUT.npz gets `labels` (int64, (N,)) and `probs`
(float32, (N, 10)). On bad input or a tampered classifier: one line on stderr, exit status 2.
"""
import os
import sys
import zipfile
from pathlib import Path

import numpy as np

from autograder.evidence.classifier.model import ClassifierIntegrityError, to_nhwc

USAGE = "usage: python -m autograder.evidence.classifier.predict IN.npz OUT.npz"


def read_images(path):
    """Return the validated (N, 28, 28, 1) float32 images from IN.npz, or raise ValueError."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, EOFError, zipfile.BadZipFile) as e:  # missing, empty, truncated
        raise ValueError(f"cannot read {path}: {e}") from None
    except ValueError:  # numpy's guess for non-numpy bytes is "pickled data", which misleads
        raise ValueError(f"{path} is not a numpy .npz archive") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        raise ValueError(f"{path} is a .npy array, not an .npz archive with an 'images' entry")
    with loaded:
        if "images" not in loaded.files:
            raise ValueError(f"{path} has no 'images' array (found: {sorted(loaded.files)})")
        try:
            images = loaded["images"]
        except (OSError, EOFError, zipfile.BadZipFile) as e:
            raise ValueError(f"cannot read 'images' from {path}: {e}") from None
    return to_nhwc(images)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(USAGE, file=sys.stderr)
        return 2
    in_path, out_path = map(Path, argv)
    try:
        images = read_images(in_path)
        from autograder.evidence.classifier.model import load_classifier, predict_probs
        probs = predict_probs(load_classifier(), images)
    except (ValueError, ClassifierIntegrityError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    labels = probs.argmax(axis=1).astype(np.int64)
    # Write then rename, so the grader never reads a half-written OUT.npz.
    tmp_path = out_path.with_name(out_path.name + ".tmp")
    try:
        with open(tmp_path, "wb") as f:  # a file object stops np.savez from appending ".npz"
            np.savez(f, labels=labels, probs=probs)
        os.replace(tmp_path, out_path)
    except OSError as e:
        print(f"error: cannot write {out_path}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
