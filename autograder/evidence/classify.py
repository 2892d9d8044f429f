"""The classifier's client: labels for images the grader decoded, from the pretrained CNN (classifier/).

It runs in the grader's process, in NumPy (trusted code: no sandbox, no TensorFlow start-up),
and loads the weights once, after checking their sha256.
"""
import time
from functools import cached_property

import numpy as np

from .classifier.model import load_classifier, predict_labels
from ..sandbox.harness_plan import IMAGE_SHAPE


class Classifier:
    """Labels images with the pretrained MNIST classifier; log gets each call's time (staff log)."""

    def __init__(self, log):
        self.log = log

    @cached_property
    def model(self):
        return load_classifier()  # checks the weights' sha256 first

    def labels(self, images, tag=""):
        """Labels (N,) the trusted classifier gives images (N, H * W) in [0, 1]."""
        start = time.perf_counter()
        labels = predict_labels(self.model, np.asarray(images).reshape(-1, 1, *IMAGE_SHAPE))
        self.log(f"[classify{tag}] {len(labels)} images in {time.perf_counter() - start:.1f} s (NumPy, in the grader)")
        return labels
