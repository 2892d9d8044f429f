"""The core's stages: checks (rubric items 1-5), train-vae and train-cvae (items 6-8).

Runs INSIDE the sandboxed process, started by harness.py; each stage runs its plan's steps
(harness_plan.py) through stage.run, which records each result or the student's error.
"""
import gc
import importlib
import math
import time

import numpy as np

from harness_common import (OPTIMIZERS, describe, export, numpy_of, outputs_of, rss_mib, seed, setup_tensorflow,
                            training_batches)
from harness_plan import NUM_CLASSES


def import_student(stage):
    """The import step of the core's stages: (vae, assignment), or None when it failed (recorded)."""
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


def describe_decoder(decoder):
    """The decoder's layers as plain data ([{type, activation, target_shape}]) and its weights."""
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
        if entry["type"] == "Dense":
            arrays[f"decoder.{len(layers)}.kernel"] = numpy_of(layer.kernel)
            if getattr(layer, "bias", None) is not None:
                arrays[f"decoder.{len(layers)}.bias"] = numpy_of(layer.bias)
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


# --- stage: checks (rubric items 1-5) --------------------------------------------------------

def stage_checks(stage):
    request, inputs = stage.request, stage.inputs
    student = import_student(stage)
    if student is None:
        return
    vae, assignment = student
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

    def forward(conditional):
        def run():
            seed(request)
            model = models[conditional] = make_model(vae, request, conditional)
            x = tf.constant(inputs["fwd_x"])  # (N, 1, H, W)
            c = tf.constant(inputs["fwd_c"]) if conditional else None
            x_hat, mu, logvar = outputs_of(model(x, c) if conditional else model(x))
            return {}, {"x_hat": x_hat, "mu": mu, "logvar": logvar}
        return run

    def decoder(conditional):
        def run():
            if conditional not in models:  # the forward check failed: the decoder is judged alone
                seed(request)
                models[conditional] = make_model(vae, request, conditional)
            model, z = models[conditional], tf.constant(inputs["fwd_z"])  # (N, Z)
            if not conditional:
                return {}, {"decoded": numpy_of(model.decoder(z))}
            arrays = {}  # the same z decoded with two different labels
            for name in ("a", "b"):
                decoder_in = tf.concat([z, inputs[f"fwd_c_{name}"]], axis=1)  # (N, Z + C)
                arrays[f"decoded_{name}"] = numpy_of(model.decoder(decoder_in))
            return {}, arrays
        return run

    def smoke(conditional):
        def run():
            seed(request)
            model = make_model(vae, request, conditional)
            images, labels = inputs["smoke_images"], inputs["smoke_labels"]
            evaluation = (inputs["eval_images"], inputs["eval_labels"], inputs["eval_eps"], conditional,
                          inputs["probe_cvae" if conditional else "probe_vae"])
            layers_before, before = export_vae(model, assignment, *evaluation, prefix="before_")
            weights_before = [w.numpy().copy() for w in model.trainable_weights]
            batch_size, args = int(request["batch_size"]), train_args(assignment, request, conditional)
            dataset = training_batches(assignment, images, labels, batch_size)
            OPTIMIZERS.take()
            start = time.perf_counter()
            returned = assignment.train_vae(model, dataset, args, is_cvae=conditional)
            seconds = time.perf_counter() - start
            first_steps = OPTIMIZERS.take()
            layers_after, after = export_vae(model, assignment, *evaluation, prefix="after_")
            changed = sum(not np.array_equal(b, w.numpy()) for b, w in zip(weights_before, model.trainable_weights))
            # A second, short call: does train_vae go on with the same optimizer (item 5.3)?
            again = training_batches(assignment, images[:2 * batch_size], labels[:2 * batch_size], batch_size)
            try:
                assignment.train_vae(model, again, args, is_cvae=conditional)
                second_steps, second_error = OPTIMIZERS.take(), None
            except (Exception, SystemExit) as err:  # costs item 5.3 only
                second_steps, second_error = None, describe(err, stage.student_files)
            number, why = as_number(returned)
            values = {"returned": number, "returned_error": why, "batches": len(dataset), "seconds": seconds,
                      "weights_changed": changed, "weights_total": len(weights_before),
                      "before_decoder": layers_before, "after_decoder": layers_after,
                      "optimizer_steps": [first_steps, second_steps], "second_call_error": second_error,
                      "given_optimizer": OPTIMIZERS.serial(model.optimizer)}
            return values, {**before, **after}
        return run

    stage.run("reparameterize", reparameterize)
    stage.run("loss_function", loss_function)
    models = {}
    for conditional, kind in ((False, "vae"), (True, "cvae")):
        stage.run(f"{kind}_forward", forward(conditional))
        stage.run(f"{kind}_decoder", decoder(conditional))
    stage.run("vae_smoke", smoke(False))
    stage.run("cvae_smoke", smoke(True))


# --- stage: train-vae / train-cvae (rubric items 6-8) ----------------------------------------

def logvar_range(model, args):
    """[min, max] of logvar on fixed images, or None if the model cannot say."""
    try:
        _, _, logvar = outputs_of(model(*args))
        return [float(np.min(logvar)), float(np.max(logvar))]
    except Exception:
        return None


def stage_train(stage, conditional):
    request, inputs = stage.request, stage.inputs
    student = import_student(stage)
    if student is None:
        return
    vae, assignment = student
    import tensorflow as tf
    from harness_compile import compile_training
    state = {}

    def build():
        seed(request)
        with np.load(request["mnist"]) as f:
            count = int(request["train_images"])
            train = (f["x_train"][:count], f["y_train"][:count])
            state["test"] = (f["x_test"], f["y_test"])
        model = state["model"] = make_model(vae, request, conditional)
        batch_size = int(request["batch_size"])
        # The dataset holds its own copy of the images: dropping ours leaves ~45 MB to TensorFlow.
        state["dataset"] = training_batches(assignment, *train, batch_size)
        del train
        state["args"] = train_args(assignment, request, conditional)
        # A training-sized batch of test images: compile checks, and logvar after each epoch.
        x = tf.constant(state["test"][0][:batch_size], tf.float32)[:, None] / 255.0  # (N, 1, H, W)
        c = assignment.one_hot(state["test"][1][:batch_size], NUM_CLASSES) if conditional else None
        state["probe_args"] = (x, c) if conditional else (x,)
        _ = model(*state["probe_args"])  # create the weights eagerly, before anything is traced
        decisions, state["compile_events"] = {"call": "eager (compile = never)", "loss": "eager (compile = never)"}, []
        if request.get("compile", "auto") == "auto":
            z = tf.zeros((batch_size, int(request["latent_size"])))
            decoder_in = tf.concat([z, c], axis=1) if conditional else z
            decisions, state["compile_events"] = compile_training(model, (vae, assignment), state["probe_args"],
                                                                  decoder_in)
        OPTIMIZERS.take()
        return {"batches": len(state["dataset"]), "compiled": decisions,
                "given_optimizer": OPTIMIZERS.serial(model.optimizer), "rss_mib": rss_mib()}, None

    if not stage.run("build", build):
        return
    for epoch in range(1, int(request["epochs"]) + 1):
        def one_epoch():
            start = time.perf_counter()
            returned = assignment.train_vae(state["model"], state["dataset"], state["args"], is_cvae=conditional)
            seconds = time.perf_counter() - start
            number, why = as_number(returned)
            if why:
                raise TypeError(why)
            gc.collect()  # objects train_vae left in reference cycles (a dropped optimizer, say)
            values = {"epoch": epoch, "returned": number, "seconds": seconds, "rss_mib": rss_mib(),
                      "optimizer_steps": OPTIMIZERS.take(), "compile_events": list(state["compile_events"])}
            if math.isfinite(number):  # for the grader's diagnosis, should a later epoch fail
                values["logvar_range"] = logvar_range(state["model"], state["probe_args"])
            return values, None
        if not stage.run(f"epoch_{epoch}", one_epoch):
            return
        if not math.isfinite(stage.last_values["returned"]):
            return  # the grader reports the failure; nothing trained is left to evaluate

    def evaluate():
        (images, labels), model = state["test"], state["model"]
        probe = inputs["probe_cvae" if conditional else "probe_vae"]
        layers, arrays = export_vae(model, assignment, images, labels, inputs["test_eps"], conditional, probe)
        return {"decoder": layers}, arrays

    def generate():
        import tensorflow as tf
        z, digits = inputs["gen_z"], inputs["gen_labels"]  # (C * per_digit, Z), (C * per_digit,)
        decoder_in = tf.concat([tf.constant(z), assignment.one_hot(digits, NUM_CLASSES)], axis=1)  # (., Z + C)
        return {}, {"generated": numpy_of(state["model"].decoder(decoder_in)).reshape(len(z), -1)}

    stage.run("evaluate", evaluate)
    if conditional:  # the VAE's stage leaves out the plan's last step
        stage.run("generate", generate)
