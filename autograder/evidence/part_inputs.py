"""The optional parts' stage, on the grader's side: its seeded inputs and its settings.

    parts   student process (harness_parts.py): the quick checks of the enabled parts, then
            short trainings of the ConvVAE, ConditionalConvVAE and MMDVAE on an MNIST subset.
Every input is drawn here from seeded generators (inputs.Inputs.rng), so the rubric (test_10..12)
can recompute what the right answers are; nothing the stage returns is used before `validated`
checks it.
"""
import numpy as np

from ..sandbox.harness_plan import IMAGE_PIXELS, NUM_CLASSES

PART_Z = 2          # the ConvVAE's latent size (the architecture table's)
STAND_IN_Z = 3      # the latent size of Part 3's stand-in model (harness_parts.StandIn)
REPEATS = 400       # compute_loss calls averaged by item 11.2


def stand_in(seeded):
    """Part 3's stand-in model: encoder (HW, 2Z) and decoder (Z, HW) weights, small enough that the
    posterior is spread out (sigma ~ 0.5..1) and the decoder's outputs depend on z."""
    rng, z = seeded.rng("parts-stand-in"), STAND_IN_Z
    return {"p3_w_enc": rng.normal(0, 0.02, (IMAGE_PIXELS, 2 * z)).astype(np.float32),
            "p3_b_enc": np.concatenate([np.zeros(z), np.full(z, -0.7)]).astype(np.float32),
            "p3_w_dec": rng.normal(0, 1.0, (z, IMAGE_PIXELS)).astype(np.float32),
            "p3_b_dec": rng.normal(-1, 0.5, IMAGE_PIXELS).astype(np.float32)}


def inputs(seeded):
    """The stage's fixed inputs for every part (cheap to draw; unused ones cost nothing).
    seeded: the submission's inputs.Inputs."""
    rng, cfg = seeded.rng("parts"), seeded.config.raw["part_training"]
    (x_train, _), (x_test, y_test) = seeded.mnist_arrays
    test = int(cfg["test_images"])
    per_digit = int(cfg["generations_per_digit"])
    eye = np.eye(NUM_CLASSES, dtype=np.float32)
    labels = np.repeat(np.arange(NUM_CLASSES), per_digit)
    arrays = {
        # Part 2: Sampling on 50,000 draws of 4 (mu, logvar) pairs, as item 2's reparameterize check
        "rep_mu": np.tile(np.float32([-1.0, 0.0, 2.0, 5.0]), (50000, 1)),
        "rep_logvar": np.tile(np.float32([0.0, np.log(4.0), np.log(0.25), 1.0]), (50000, 1)),
        "p2_x": (x_test[:8, ..., None] / 255.0).astype(np.float32),  # (8, 28, 28, 1), channels last
        "p2_z": rng.standard_normal((8, PART_Z)).astype(np.float32),
        "p2_c_a": eye[np.arange(8) % NUM_CLASSES], "p2_c_b": eye[(np.arange(8) + 5) % NUM_CLASSES],
        "p2_eps": rng.standard_normal((test, PART_Z)).astype(np.float32),
        "gen_labels": labels, "gen_z": rng.standard_normal((len(labels), PART_Z)).astype(np.float32),
        # Part 3: log_normal_pdf's points, compute_loss's images, the encodings' images, a walk
        "p3_pdf_x": rng.normal(0, 2, (64, 5)).astype(np.float32),
        "p3_pdf_mean": rng.normal(0, 1, (64, 5)).astype(np.float32),
        "p3_pdf_logvar": rng.uniform(-2, 1.5, (64, 5)).astype(np.float32),
        "p3_x": (x_train[:16, ..., None] / 255.0).astype(np.float32),
        "p3_images": (x_test[:300, ..., None] / 255.0).astype(np.float32), "p3_labels": y_test[:300],
        "p3_class_means": rng.normal(0, 1, (NUM_CLASSES, STAND_IN_Z)).astype(np.float32),
        **stand_in(seeded),
        # Part 4: kernel points, samples from N(0, I) and a shifted copy, z's for generation
        "p4_kx": rng.normal(0, 1, (20, 4)).astype(np.float32), "p4_ky": rng.normal(0.5, 1, (30, 4)).astype(np.float32),
        "p4_x": rng.standard_normal((400, 4)).astype(np.float32),
        "p4_same": rng.standard_normal((400, 4)).astype(np.float32),
        "p4_shifted": (rng.standard_normal((400, 4)) + 1.0).astype(np.float32),
        "p4_gen_z": rng.standard_normal((500, PART_Z)).astype(np.float32),
    }
    return arrays


def settings(config, parts, broken):
    """The parts stage's settings beside the config's training ones: which parts, their training,
    and the parts whose file could not be sanitized (each of their steps reports why)."""
    cfg = config.raw["part_training"]
    return {"parts": parts, "part_train_images": int(cfg["train_images"]), "part_epochs": int(cfg["epochs"]),
            "mmd_epochs": int(cfg["mmd_epochs"]), "p3_repeats": REPEATS, "broken": broken}


def prior(seeded, count):
    """Item 12.3's samples of the prior N(0, I), (count, PART_Z), to compare the MMDVAE's codes with."""
    return seeded.rng("parts-mmd-prior").standard_normal((count, PART_Z))
