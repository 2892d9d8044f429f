"""The core's stages, one process per model, as `python assignment.py [--is_cvae]` runs it.

Runs INSIDE the sandboxed process, started by harness.py; each stage runs its plan's steps
(harness_plan.py) through stage.run, which records each result or the student's error.

    train-vae    import; the checks of reparameterize and loss_function (items 2-3); then the VAE
    train-cvae   import; then the CVAE

A model's steps make ONE model and train it, as the handout's main() does: the forward and
decoder checks (item 4) build it, `prepare` measures it before training, and the epochs train it
with the student's train_vae. The first epoch is item 5's evidence (the loss it lowers, the sum it
returns), the first two show whether the optimizer's state carries over (5.3), and all of them
are items 6-8's. No state a module of the student's keeps (a compiled step, an optimizer made at
import) can pass from one model to the other: each model has a process of its own.
"""
import gc
import importlib
import math
import time

import numpy as np

from harness_common import (OPTIMIZERS, export, numpy_of, outputs_of, rss_mib, seed, setup_tensorflow,
                            training_batches)
from harness_plan import NUM_CLASSES


def import_student(stage):
    """The import step: (vae, assignment), or None when it failed (recorded)."""
    modules = []

    def do_import():
        device = setup_tensorflow(stage.request)
        modules.extend(importlib.import_module(name) for name in ("vae", "assignment"))
        return {"device": device}, None

    return tuple(modules) if stage.run("import", do_import) else None


def make_model(vae, request, conditional):
    """The student's VAE or CVAE, compiled with the Adam that train_vae is to use as model.optimizer."""
    import keras

    size, latent = int(request["input_size"]), int(request["latent_size"])
    if conditional:
        model = vae.CVAE(size, num_classes=NUM_CLASSES, latent_size=latent)
    else:
        model = vae.VAE(size, latent_size=latent)
    model.compile(optimizer=keras.optimizers.Adam(float(request["learning_rate"])))
    return model


def export_vae(model, assignment, images, labels, eps, conditional, probe, prefix=""):
    """export of the student's VAE or CVAE on images (N, H, W) uint8, plus the decoder: its weights
    (decoder.I.kernel/bias, described in the returned layer list) and its outputs on the grader's
    probe inputs, from which the grader rebuilds it. Returns (layers, arrays named prefix + key)."""
    import tensorflow as tf

    def encode(rows):
        x = tf.constant(images[rows], tf.float32)[:, None] / 255.0  # (n, 1, H, W)
        c = assignment.one_hot(labels[rows], NUM_CLASSES) if conditional else None
        _, mu, logvar = outputs_of(model(x, c) if conditional else model(x))
        return mu, logvar, c

    def decode(z, c):
        return model.decoder(tf.concat([z, c], axis=1) if conditional else tf.constant(z))

    exported = export(encode, decode, len(images), eps)
    layers, arrays = describe_decoder(model.decoder)
    arrays["probe"] = numpy_of(model.decoder(tf.constant(probe)))
    arrays.update(exported)
    return layers, {prefix + key: value for key, value in arrays.items()}


# Per layer type, what the grader's rebuilt decoder (evidence/fc_decoder.py) needs besides the type.
LAYER_CONFIG = {"LeakyReLU": ("negative_slope",), "ReLU": ("max_value", "negative_slope", "threshold"),
                "BatchNormalization": ("epsilon", "axis")}
LAYER_WEIGHTS = {"Dense": ("kernel", "bias"),
                 "BatchNormalization": ("gamma", "beta", "moving_mean", "moving_variance")}


def describe_decoder(decoder):
    """The decoder's layers as plain data ([{type, activation, target_shape, ...}]) and its weights."""
    layers, arrays = [], {}

    def walk(layer):
        if hasattr(layer, "layers"):  # a Sequential or functional model: its layers, in order
            for sub in layer.layers:
                walk(sub)
            return
        entry = {"type": type(layer).__name__}
        activation = getattr(layer, "activation", None)
        if activation is not None:
            entry["activation"] = getattr(activation, "__name__", type(activation).__name__)
        if hasattr(layer, "target_shape"):
            entry["target_shape"] = [int(d) for d in layer.target_shape]
        config = layer.get_config() if entry["type"] in LAYER_CONFIG else {}
        for key in LAYER_CONFIG.get(entry["type"], ()):
            value = config.get(key)
            entry[key] = [int(a) for a in value] if isinstance(value, (list, tuple)) else value
        for name in LAYER_WEIGHTS.get(entry["type"], ()):
            weight = getattr(layer, name, None)
            if weight is not None:
                arrays[f"decoder.{len(layers)}.{name}"] = numpy_of(weight)
        layers.append(entry)

    try:
        walk(decoder)
    except Exception:  # not a Keras layer stack: the grader falls back to x_hat
        return None, {}
    return layers, arrays


def train_args(assignment, request, conditional):
    """The argparse namespace a student's train_vae expects, with the grader's settings."""
    argv = ["--batch_size", str(request["batch_size"]), "--num_epochs", str(request["epochs"]),
            "--latent_size", str(request["latent_size"]), "--learning_rate", str(request["learning_rate"]),
            "--seed", str(request["seed"])] + (["--is_cvae"] if conditional else [])
    return assignment.parseArguments(argv)


def as_number(value):
    """train_vae's return value as a float, or None with the reason."""
    try:
        number = float(np.asarray(value, dtype=np.float64))
    except Exception:
        return None, f"train_vae returned {type(value).__name__}, not a number"
    return number, None


def diverged(values):
    """Whether an epoch's returned loss sum is a number that is not finite."""
    return values["returned"] is not None and not math.isfinite(values["returned"])


def logvar_range(model, args):
    """[min, max] of logvar on fixed images, or None if the model cannot say."""
    try:
        _, _, logvar = outputs_of(model(*args))
        return [float(np.min(logvar)), float(np.max(logvar))]
    except Exception:
        return None


# --- the functions both models use (items 2-3), checked in the VAE's process -----------------

def check_functions(stage, vae):
    request, inputs = stage.request, stage.inputs
    import tensorflow as tf

    def reparameterize():
        seed(request)
        mu, logvar = inputs["rep_mu"], inputs["rep_logvar"]  # (S, K) each
        shape = np.shape(vae.reparameterize(tf.zeros((7, 15)), tf.zeros((7, 15))))
        first = numpy_of(vae.reparameterize(tf.constant(mu), tf.constant(logvar)))
        second = numpy_of(vae.reparameterize(tf.constant(mu), tf.constant(logvar)))
        mu_var = tf.Variable(inputs["grad_mu"])
        logvar_var = tf.Variable(inputs["grad_logvar"])
        with tf.GradientTape() as tape:
            z = vae.reparameterize(mu_var, logvar_var)
            total = tf.reduce_sum(z)
        grad_mu, grad_logvar = tape.gradient(total, [mu_var, logvar_var])
        arrays = {"first": first, "second": second, "grad_z": numpy_of(z)}
        if grad_mu is not None:
            arrays["grad_mu"] = numpy_of(grad_mu)
        if grad_logvar is not None:
            arrays["grad_logvar"] = numpy_of(grad_logvar)
        return {"shape": list(shape)}, arrays

    def loss_function():
        values = {}
        for case in ("base", "doubled", "no_kl"):
            x_hat, x, mu, logvar = (tf.constant(inputs[f"loss_{case}_{k}"]) for k in ("x_hat", "x", "mu", "logvar"))
            loss = numpy_of(vae.loss_function(x_hat, x, mu, logvar))
            values[case] = {"shape": list(loss.shape), "value": loss.ravel().tolist()[:16]}
        return values, None

    stage.run("reparameterize", reparameterize)
    stage.run("loss_function", loss_function)


# --- stages train-vae and train-cvae -----------------------------------------------------------

def stage_model(stage, conditional):
    """One model's checks and training (items 4-8), in this process alone."""
    request, inputs = stage.request, stage.inputs
    student = import_student(stage)
    if student is None:
        return
    vae, assignment = student
    if not conditional:
        check_functions(stage, vae)
    import tensorflow as tf
    from harness_compile import compile_training
    kind = "cvae" if conditional else "vae"
    probe = inputs[f"probe_{kind}"]
    evaluation = (inputs["eval_images"], inputs["eval_labels"], inputs["eval_eps"], conditional, probe)
    state = {"model": None}

    def build():
        seed(request)  # the dataset's shuffling
        with np.load(request["mnist"]) as f:
            count = int(request["train_images"])
            train = (f["x_train"][:count], f["y_train"][:count])
            state["test"] = (f["x_test"], f["y_test"])
        # The dataset holds its own copy of the images: dropping ours leaves ~45 MB to TensorFlow.
        state["dataset"] = training_batches(assignment, *train, int(request["batch_size"]))
        del train
        state["args"] = train_args(assignment, request, conditional)
        return {"batches": len(state["dataset"])}, None

    def forward():
        seed(request)
        model = state["model"] = make_model(vae, request, conditional)  # the one model this stage trains
        x = tf.constant(inputs["fwd_x"])  # (N, 1, H, W)
        c = tf.constant(inputs["fwd_c"]) if conditional else None
        x_hat, mu, logvar = outputs_of(model(x, c) if conditional else model(x))
        return {}, {"x_hat": x_hat, "mu": mu, "logvar": logvar}

    def decoder():
        if state["model"] is None:  # the model could not be made: its decoder is judged alone
            seed(request)
            state["model"] = make_model(vae, request, conditional)
        model, z = state["model"], tf.constant(inputs["fwd_z"])  # (N, Z)
        if not conditional:
            return {}, {"decoded": numpy_of(model.decoder(z))}
        arrays = {}  # the same z decoded with two different labels
        for name in ("a", "b"):
            decoder_in = tf.concat([z, inputs[f"fwd_c_{name}"]], axis=1)  # (N, Z + C)
            arrays[f"decoded_{name}"] = numpy_of(model.decoder(decoder_in))
        return {}, arrays

    def prepare():
        model, batch_size = state["model"], int(request["batch_size"])
        if model is None:
            raise RuntimeError("the model could not be made (see item 4)")
        # A training-sized batch of test images: compile checks, and logvar after each epoch.
        x = tf.constant(state["test"][0][:batch_size], tf.float32)[:, None] / 255.0  # (N, 1, H, W)
        c = assignment.one_hot(state["test"][1][:batch_size], NUM_CLASSES) if conditional else None
        state["probe_args"] = (x, c) if conditional else (x,)
        # The weights and Adam's slots made now, eagerly, by the given build_weights, as main() makes
        # them: a student's tf.function step never has to create variables.
        assignment.build_weights(model)
        decisions, state["compile_events"] = {"call": "eager (compile = never)", "loss": "eager (compile = never)"}, []
        if request.get("compile", "auto") == "auto":
            z = tf.zeros((batch_size, int(request["latent_size"])))
            decoder_in = tf.concat([z, c], axis=1) if conditional else z
            decisions, state["compile_events"] = compile_training(model, (vae, assignment), state["probe_args"],
                                                                  decoder_in)
        layers, before = export_vae(model, assignment, *evaluation, prefix="before_")
        state["weights_before"] = [w.numpy().copy() for w in model.trainable_weights]
        state["given"] = OPTIMIZERS.serial(model.optimizer)
        OPTIMIZERS.mark()
        return {"compiled": decisions, "given_optimizer": state["given"], "before_decoder": layers,
                "rss_mib": rss_mib()}, before

    def one_epoch(epoch):
        def run():
            model = state["model"]
            start = time.perf_counter()
            returned = assignment.train_vae(model, state["dataset"], state["args"], is_cvae=conditional)
            seconds = time.perf_counter() - start
            number, why = as_number(returned)
            gc.collect()  # objects train_vae left in reference cycles (a dropped optimizer, say)
            values = {"epoch": epoch, "returned": number, "returned_error": why, "seconds": seconds,
                      "rss_mib": rss_mib(), "optimizers": OPTIMIZERS.since_mark(),
                      "compile_events": list(state["compile_events"])}
            arrays = None
            if epoch == 1:  # item 5: what one epoch did
                before = state.pop("weights_before")
                values["weights_changed"] = sum(not np.array_equal(b, w.numpy())
                                                for b, w in zip(before, model.trainable_weights))
                values["weights_total"], values["batches"] = len(before), len(state["dataset"])
                values["after_decoder"], arrays = export_vae(model, assignment, *evaluation, prefix="after_")
            if number is not None and math.isfinite(number):  # for the grader's diagnosis of a later failure
                values["logvar_range"] = logvar_range(model, state["probe_args"])
            OPTIMIZERS.mark()
            return values, arrays
        return run

    if not stage.run("build", build):
        return
    stage.run(f"{kind}_forward", forward)
    stage.run(f"{kind}_decoder", decoder)
    if not stage.run("prepare", prepare):
        return
    for epoch in range(1, int(request["epochs"]) + 1):
        if not stage.run(f"epoch_{epoch}", one_epoch(epoch)):
            return
        if epoch == 1:
            first = stage.last_values
        # The first two epochs are item 5's evidence; after them, training that cannot succeed stops.
        if epoch >= 2 and (diverged(first) or diverged(stage.last_values) or first["weights_changed"] == 0):
            return  # the grader says why (items 6-8)

    def evaluate():
        (images, labels), model = state["test"], state["model"]
        layers, arrays = export_vae(model, assignment, images, labels, inputs["test_eps"], conditional, probe)
        return {"decoder": layers}, arrays

    def generate():
        z, digits = inputs["gen_z"], inputs["gen_labels"]  # (C * per_digit, Z), (C * per_digit,)
        decoder_in = tf.concat([tf.constant(z), assignment.one_hot(digits, NUM_CLASSES)], axis=1)  # (., Z + C)
        return {}, {"generated": numpy_of(state["model"].decoder(decoder_in)).reshape(len(z), -1)}

    stage.run("evaluate", evaluate)
    if conditional:  # the VAE's stage leaves out the plan's last step
        stage.run("generate", generate)
