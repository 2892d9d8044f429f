"""Run one grading stage of a student's code. This file runs INSIDE the sandboxed process.

    python harness.py STAGE REQUEST_DIR OUT_DIR      # STAGE: checks | train-vae | train-cvae | parts

It is standalone on purpose: the sandbox user cannot read the autograder package, so this file
imports only the standard library, NumPy, TensorFlow and the student's (sanitized) modules.
The grader trusts nothing written here: it validates every value and computes every score itself.

Inputs: REQUEST_DIR/STAGE.json (settings) and REQUEST_DIR/STAGE.npz (the grader's fixed inputs).
Outputs, written as each step finishes so that a stage killed midway still reports what it did:
    OUT_DIR/STAGE.jsonl      one JSON record per step: {"step", "ok", "error", "values"}
    OUT_DIR/STAGE.STEP.npz   that step's arrays
    OUT_DIR/progress.json    the step now running; the grader times each one against its limit
"""
import collections
import gc
import importlib
import json
import math
import os
import re
import sys
import time
import traceback

import numpy as np

STUDENT_FILES = ("vae.py", "assignment.py", "conv_vae.py", "latent_tools.py", "mmd.py")  # frames shown in errors
NUM_CLASSES = 10  # C
IMPORT_LABEL = "importing vae.py and assignment.py"


class Stage:
    """Writes step records and arrays; runs each step so that no student error escapes."""

    def __init__(self, name, request_dir, out_dir):
        self.name, self.out_dir = name, out_dir
        with open(os.path.join(request_dir, f"{name}.json")) as f:
            self.request = json.load(f)
        npz = os.path.join(request_dir, f"{name}.npz")
        self.inputs = dict(np.load(npz)) if os.path.exists(npz) else {}

    def progress(self, kind, label):
        path = os.path.join(self.out_dir, "progress.json")
        with open(path + ".tmp", "w") as f:
            json.dump({"kind": kind, "label": label}, f)
        os.replace(path + ".tmp", path)

    def record(self, step, ok, error=None, values=None, arrays=None):
        if arrays:
            np.savez(os.path.join(self.out_dir, f"{self.name}.{step}.npz"),
                     **{k: np.asarray(v) for k, v in arrays.items()})
        with open(os.path.join(self.out_dir, f"{self.name}.jsonl"), "a") as f:
            f.write(json.dumps({"step": step, "ok": ok, "error": error, "values": values or {}}) + "\n")

    def run(self, step, func, kind="step", label=None):
        """Run func() -> (values, arrays); record its result or the student's error. Returns ok.

        kind picks the step's time limit; label names the step if the grader has to stop it.
        """
        self.progress(kind, label or f"the {step} check")
        try:
            values, arrays = func()
        except BaseException as err:  # SystemExit and KeyboardInterrupt from student code too
            self.record(step, False, error=describe(err))
            return False
        self.record(step, True, values=values, arrays=arrays)
        self.last_values = values or {}
        return True


def describe(err):
    """A short, student-facing account of an exception: the student's frames and the message."""
    if isinstance(err, NotImplementedError) and str(err).startswith("TODO"):
        return f"not implemented yet ({err})"
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if os.path.basename(f.filename) in STUDENT_FILES]
    where = "".join(traceback.format_list(frames[-3:]))
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # Keras colours its messages
    message = message.split("\n\nArguments received by")[0]  # Keras appends the call's arguments
    message = re.sub(r"\n\s*\n", "\n", message).strip()
    return f"{where}{type(err).__name__}: {message}"[-2000:]


def setup_tensorflow(request):
    """Cap threads, make ops deterministic, compile optimizer updates; return TensorFlow's device."""
    import tensorflow as tf

    threads = int(request.get("threads") or 0)
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(max(1, threads // 2))
    tf.config.experimental.enable_op_determinism()
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)  # take GPU memory as needed, not all of it
    # The grader's copy of the given speedups.py (restored over the student's): every Keras
    # optimizer's update compiled, and eager random ops that keep memory flat under a global seed.
    importlib.import_module("speedups").install()
    OPTIMIZERS.install()
    if not gpus:
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU ({details.get('device_name', gpus[0].name)})"


class OptimizerLog:
    """Counts the update steps each Keras optimizer object takes, to tell whether train_vae keeps
    one optimizer (and Adam's state) across epochs or makes a new one in every call."""

    def __init__(self):
        self.steps, self.serials = collections.Counter(), 0

    def install(self):
        import keras

        inner, log = keras.optimizers.Optimizer.apply, self

        def apply(optimizer, grads, trainable_variables=None):
            log.steps[log.serial(optimizer)] += 1
            return inner(optimizer, grads, trainable_variables)
        keras.optimizers.Optimizer.apply = apply

    def serial(self, optimizer):
        """A number for each optimizer object, never reused (ids of freed objects are)."""
        if optimizer is None:
            return None
        if "_grader_serial" not in optimizer.__dict__:
            self.serials += 1
            optimizer.__dict__["_grader_serial"] = self.serials
        return optimizer.__dict__["_grader_serial"]

    def take(self):
        """{serial: steps} since the last take, as JSON-friendly strings."""
        steps = {str(k): v for k, v in self.steps.items()}
        self.steps.clear()
        return steps


OPTIMIZERS = OptimizerLog()


def rss_mib():
    """This process's resident memory, in MiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def seed(request):
    import keras
    keras.utils.set_random_seed(int(request["seed"]))


def import_student():
    vae = importlib.import_module("vae")
    assignment = importlib.import_module("assignment")
    return vae, assignment


def numpy_of(value):
    """A student's return value as a float32 array, or a TypeError that names what it was."""
    try:
        return np.asarray(value, dtype=np.float32)
    except Exception:
        raise TypeError(f"expected a tensor or number, got {type(value).__name__}") from None


def outputs_of(result, expected=3):
    """Unpack a model's (x_hat, mu, logvar), with a clear error if it returned something else."""
    if not isinstance(result, (tuple, list)) or len(result) != expected:
        kind = f"{type(result).__name__} of length {len(result)}" if isinstance(result, (tuple, list)) \
            else type(result).__name__
        raise TypeError(f"the model must return (x_hat, mu, logvar); it returned a {kind}")
    return [numpy_of(v) for v in result]


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


def export(model, assignment, images, labels, eps, conditional, probe, prefix="", batch=500):
    """What the grader needs to measure a model's loss itself, as arrays named prefix + key.

    mu, logvar (N, Z): the posterior on `images`, from model(...).
    decoder.I.kernel/bias and probe: the decoder's weights, described in the returned layer list,
    and its outputs on the grader's probe inputs; the grader rebuilds the decoder from them and
    decodes with noise this process never sees.
    x_hat (N, H * W): the decoder's own decoding of mu + sigma * eps, used only for decoders the
    grader cannot rebuild.
    Returns (layers, arrays).
    """
    import tensorflow as tf

    mus, logvars, x_hats = [], [], []
    for start in range(0, len(images), batch):
        x = tf.constant(images[start:start + batch], tf.float32)[:, None] / 255.0  # (n, 1, H, W)
        c = assignment.one_hot(labels[start:start + batch], NUM_CLASSES) if conditional else None
        _, mu, logvar = outputs_of(model(x, c) if conditional else model(x))
        z = mu + np.exp(0.5 * logvar) * eps[start:start + batch]  # (n, Z)
        decoder_in = tf.concat([z, c], axis=1) if conditional else tf.constant(z)
        x_hats.append(numpy_of(model.decoder(decoder_in)).reshape(len(z), -1))
        mus.append(mu)
        logvars.append(logvar)
    layers, arrays = describe_decoder(model.decoder)
    arrays["probe"] = numpy_of(model.decoder(tf.constant(probe)))
    arrays.update(mu=np.concatenate(mus), logvar=np.concatenate(logvars), x_hat=np.concatenate(x_hats))
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
    modules = {}

    def do_import():
        device = setup_tensorflow(request)
        modules["vae"], modules["assignment"] = import_student()
        return {"device": device}, None

    if not stage.run("import", do_import, kind="import", label=IMPORT_LABEL):
        return
    vae, assignment = modules["vae"], modules["assignment"]
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
            layers_before, before = export(model, assignment, *evaluation, prefix="before_")
            weights_before = [w.numpy().copy() for w in model.trainable_weights]
            batch_size, args = int(request["batch_size"]), train_args(assignment, request, conditional)
            dataset = assignment.to_batches(images, labels, batch_size, shuffle_buffer=1024)
            OPTIMIZERS.take()
            start = time.perf_counter()
            returned = assignment.train_vae(model, dataset, args, is_cvae=conditional)
            seconds = time.perf_counter() - start
            first_steps = OPTIMIZERS.take()
            layers_after, after = export(model, assignment, *evaluation, prefix="after_")
            changed = sum(not np.array_equal(b, w.numpy()) for b, w in zip(weights_before, model.trainable_weights))
            # A second, short call: does train_vae go on with the same optimizer (item 5.3)?
            again = assignment.to_batches(images[:2 * batch_size], labels[:2 * batch_size], batch_size,
                                          shuffle_buffer=1024)
            try:
                assignment.train_vae(model, again, args, is_cvae=conditional)
                second_steps, second_error = OPTIMIZERS.take(), None
            except (Exception, SystemExit) as err:  # costs item 5.3 only
                second_steps, second_error = None, describe(err)
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
        stage.run(f"{kind}_decoder", decoder(conditional), label=f"the {kind}_decoder check")
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
    modules = {}

    def do_import():
        device = setup_tensorflow(request)
        modules["vae"], modules["assignment"] = import_student()
        return {"device": device}, None

    if not stage.run("import", do_import, kind="import", label=IMPORT_LABEL):
        return
    vae, assignment = modules["vae"], modules["assignment"]
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
        state["dataset"] = assignment.to_batches(*train, batch_size, shuffle_buffer=1024)
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

    if not stage.run("build", build, label="building the model and loading MNIST"):
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
        if not stage.run(f"epoch_{epoch}", one_epoch, kind="epoch", label=f"train_vae on epoch {epoch}"):
            return
        if not math.isfinite(stage.last_values["returned"]):
            return  # the grader reports the failure; nothing trained is left to evaluate

    def evaluate():
        (images, labels), model = state["test"], state["model"]
        probe = inputs["probe_cvae" if conditional else "probe_vae"]
        layers, arrays = export(model, assignment, images, labels, inputs["test_eps"], conditional, probe)
        return {"decoder": layers}, arrays

    def generate():
        import tensorflow as tf
        z, digits = inputs["gen_z"], inputs["gen_labels"]  # (C * per_digit, Z), (C * per_digit,)
        decoder_in = tf.concat([tf.constant(z), assignment.one_hot(digits, NUM_CLASSES)], axis=1)  # (., Z + C)
        return {}, {"generated": numpy_of(state["model"].decoder(decoder_in)).reshape(len(z), -1)}

    stage.run("evaluate", evaluate, label="evaluating the trained model on the test set")
    if conditional:
        stage.run("generate", generate, label="generating digits with the trained model's decoder")


def main(argv):
    name, request_dir, out_dir = argv
    stage = Stage(name, request_dir, out_dir)
    sys.path.insert(0, stage.request["code_dir"])
    if name == "checks":
        stage_checks(stage)
    elif name in ("train-vae", "train-cvae"):
        stage_train(stage, conditional=name == "train-cvae")
    elif name == "parts":  # the optional parts, in their own file (copied beside this one)
        from harness_parts import stage_parts
        stage_parts(stage)
    else:
        raise SystemExit(f"unknown stage {name!r}")
    stage.progress("done", "done")


if __name__ == "__main__":
    main(sys.argv[1:])
