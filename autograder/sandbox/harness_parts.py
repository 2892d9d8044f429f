"""The optional parts' grading stage. Runs INSIDE the sandboxed process, like harness.py.

    python harness.py parts REQUEST_DIR OUT_DIR

The request's "parts" lists the enabled parts (conv_vae, latent_tools, mmd); their steps are
harness_plan.PART_STEPS. Each step records arrays only; the grader judges them
(autograder/evidence/part_inputs.py draws the inputs, rubric/test_10..12 score the outputs).
Part 3 runs the student's functions on a stand-in model the grader specifies (StandIn), so that
its items do not depend on the student's ConvVAE.
"""
import importlib
import json
import os
import re
import time

import numpy as np

from harness_common import export, numpy_of, seed, setup_tensorflow
from harness_plan import IMAGE_SHAPE, NUM_CLASSES, PART_STEPS


def plain_todo(func):
    """func, with a stub's error restored to "TODO Px.y": Keras wraps a layer's NotImplementedError
    in its own message, and the grader says "not implemented yet" only for the plain one."""
    def run():
        try:
            return func()
        except NotImplementedError as err:
            found = re.search(r"TODO P\d+\.\d+", str(err))
            if found and not str(err).startswith("TODO"):
                raise NotImplementedError(found.group()) from None
            raise
    return run


class StandIn:
    """A fixed linear-Gaussian encoder and sigmoid decoder with the ConvVAE interface."""

    def __init__(self, inputs):
        import tensorflow as tf
        self.w_enc, self.b_enc = tf.constant(inputs["p3_w_enc"]), tf.constant(inputs["p3_b_enc"])  # (HW, 2Z), (2Z,)
        self.w_dec, self.b_dec = tf.constant(inputs["p3_w_dec"]), tf.constant(inputs["p3_b_dec"])  # (Z, HW), (HW,)
        self.latent_dim = int(self.w_dec.shape[0])  # Z

    def encode(self, x, c=None):
        import tensorflow as tf
        h = tf.reshape(tf.cast(x, tf.float32), (tf.shape(x)[0], -1)) @ self.w_enc + self.b_enc  # (N, 2Z)
        z_mean, z_log_var = h[:, :self.latent_dim], h[:, self.latent_dim:]
        z = z_mean + tf.exp(0.5 * z_log_var) * tf.random.normal(tf.shape(z_mean))
        return z_mean, z_log_var, z

    def decode(self, z, c=None):
        import tensorflow as tf
        logits = tf.cast(z, tf.float32) @ self.w_dec + self.b_dec  # (N, HW)
        return tf.reshape(tf.sigmoid(logits), (-1, *IMAGE_SHAPE, 1))


def mnist(request, count):
    """The first `count` training images (N, 28, 28, 1) uint8 and labels, and the test split."""
    with np.load(request["mnist"]) as f:
        return ((f["x_train"][:count, ..., None], f["y_train"][:count]),
                (f["x_test"][..., None], f["y_test"]))


def export_part_model(model, images, labels, eps, conditional):
    """harness_common.export of a part's model (model.encode, model.decode) on images (N, H, W, 1) uint8."""
    import tensorflow as tf

    def encode(rows):
        x = tf.constant(images[rows], tf.float32) / 255.0  # (n, H, W, 1)
        c = tf.one_hot(labels[rows], NUM_CLASSES) if conditional else None
        z_mean, z_log_var, _ = model.encode(x, c)
        return numpy_of(z_mean), numpy_of(z_log_var), c

    return export(encode, lambda z, c: model.decode(tf.constant(z), c), len(images), eps)


def layer_table(model):
    """[[layer type, output shape without N, parameters]] of a functional Keras model."""
    return [[type(layer).__name__, [None if d is None else int(d) for d in layer.output.shape[1:]],
             int(layer.count_params())] for layer in model.layers]


def conv_vae_steps(stage, conv_vae):
    request, inputs = stage.request, stage.inputs
    import tensorflow as tf

    def sampling():
        layer = conv_vae.Sampling(seed=int(request["seed"]))
        mu, logvar = tf.constant(inputs["rep_mu"]), tf.constant(inputs["rep_logvar"])  # (S, 4) each
        shape = np.shape(layer([tf.zeros((7, 2)), tf.zeros((7, 2))]))
        return {"shape": list(shape)}, {"first": numpy_of(layer([mu, logvar])), "second": numpy_of(layer([mu, logvar]))}

    def architecture():
        seed(request)
        model = conv_vae.ConvVAE()
        x_hat = numpy_of(model.decoder(tf.constant(inputs["p2_z"])))
        outputs = [numpy_of(t) for t in model.encoder(tf.constant(inputs["p2_x"]))]
        values = {"encoder_params": int(model.encoder.count_params()),
                  "decoder_params": int(model.decoder.count_params()),
                  "encoder_layers": layer_table(model.encoder), "decoder_layers": layer_table(model.decoder),
                  "encoder_outputs": [list(o.shape) for o in outputs]}
        return values, {"x_hat": x_hat}

    def conditional():
        seed(request)
        model = conv_vae.ConditionalConvVAE()
        x, z = tf.constant(inputs["p2_x"]), tf.constant(inputs["p2_z"])
        arrays = {}
        for name in ("a", "b"):  # the same images and z with two different labels
            c = tf.constant(inputs[f"p2_c_{name}"])
            arrays[f"z_mean_{name}"] = numpy_of(model.encode(x, c)[0])
            arrays[f"x_hat_{name}"] = numpy_of(model.decode(z, c))
        return {}, arrays

    def train(is_conditional):
        def run():
            seed(request)
            (train_x, train_y), (test_x, test_y) = mnist(request, int(request["part_train_images"]))
            model = (conv_vae.ConditionalConvVAE if is_conditional else conv_vae.ConvVAE)()
            start = time.perf_counter()
            history = conv_vae.train_model(model, train_x, train_y, int(request["part_epochs"]),
                                           int(request["batch_size"]), float(request["learning_rate"]), verbose=0)
            seconds = time.perf_counter() - start
            count = len(inputs["p2_eps"])
            arrays = export_part_model(model, test_x[:count], test_y[:count], inputs["p2_eps"], is_conditional)
            if is_conditional:
                c = tf.one_hot(inputs["gen_labels"], NUM_CLASSES)
                arrays["generated"] = numpy_of(model.decode(tf.constant(inputs["gen_z"]), c)).reshape(len(c), -1)
            losses = [float(v) for v in history.get("total_loss", [])]
            return {"seconds": seconds, "losses": losses}, arrays
        return run

    stage.run("p2_sampling", plain_todo(sampling))
    stage.run("p2_architecture", plain_todo(architecture))
    stage.run("p2_conditional", plain_todo(conditional))
    stage.run("p2_train", plain_todo(train(False)))
    stage.run("p2_train_conditional", plain_todo(train(True)))


def latent_tools_steps(stage, latent_tools):
    request, inputs = stage.request, stage.inputs
    import tensorflow as tf

    def log_normal_pdf():
        x, mean, logvar = (tf.constant(inputs[f"p3_pdf_{k}"]) for k in ("x", "mean", "logvar"))  # (N, Z) each
        return {}, {"full": numpy_of(latent_tools.log_normal_pdf(x, mean, logvar)),
                    "standard": numpy_of(latent_tools.log_normal_pdf(x, 0.0, 0.0))}

    def compute_loss():
        seed(request)
        model, x = StandIn(inputs), tf.constant(inputs["p3_x"])  # (N, 28, 28, 1)
        losses = [float(numpy_of(latent_tools.compute_loss(model, x))) for _ in range(int(request["p3_repeats"]))]
        return {}, {"losses": np.float32(losses)}

    def encodings():
        model = StandIn(inputs)
        means, codes = latent_tools.get_allClass_encodings(model, inputs["p3_images"], inputs["p3_labels"])
        return {}, {"class_means": numpy_of(means), "encodings": numpy_of(codes)}

    def walk():
        model = StandIn(inputs)
        images, latents = latent_tools.walk_src_to_dst(model, 1, 7, inputs["p3_class_means"], steps=10)
        return {}, {"images": numpy_of(images), "latents": numpy_of(latents)}

    stage.run("p3_log_normal_pdf", plain_todo(log_normal_pdf))
    stage.run("p3_compute_loss", plain_todo(compute_loss))
    stage.run("p3_encodings", plain_todo(encodings))
    stage.run("p3_walk", plain_todo(walk))


def mmd_steps(stage, mmd):
    request, inputs = stage.request, stage.inputs
    import tensorflow as tf

    def kernel():
        return {}, {"kernel": numpy_of(mmd.compute_kernel(tf.constant(inputs["p4_kx"]), tf.constant(inputs["p4_ky"])))}

    def discrepancy():
        x, same, shifted = (tf.constant(inputs[f"p4_{k}"]) for k in ("x", "same", "shifted"))  # (M, Z) each
        values = {"same": float(numpy_of(mmd.compute_mmd(x, same))),
                  "shifted": float(numpy_of(mmd.compute_mmd(x, shifted))),
                  "swapped": float(numpy_of(mmd.compute_mmd(shifted, x)))}
        arrays = {"k_xx": numpy_of(mmd.compute_kernel(x, x)), "k_yy": numpy_of(mmd.compute_kernel(shifted, shifted)),
                  "k_xy": numpy_of(mmd.compute_kernel(x, shifted))}  # to judge compute_mmd by its own kernel
        return values, arrays

    def train():
        seed(request)
        (train_x, train_y), (test_x, test_y) = mnist(request, int(request["part_train_images"]))
        start = time.perf_counter()
        model, _ = mmd.train_mmd_vae(train_x, train_y, int(request["mmd_epochs"]),
                                     batch_size=int(request["batch_size"]),
                                     learning_rate=float(request["learning_rate"]))
        seconds = time.perf_counter() - start
        count = len(inputs["p2_eps"])
        x = tf.constant(test_x[:count], tf.float32) / 255.0
        z_mean = numpy_of(model.encode(x)[0])  # (n, Z)
        generated = numpy_of(model.decode(tf.constant(inputs["p4_gen_z"]))).reshape(len(inputs["p4_gen_z"]), -1)
        return {"seconds": seconds}, {"z_mean": z_mean, "generated": generated}

    stage.run("p4_kernel", plain_todo(kernel))
    stage.run("p4_mmd", plain_todo(discrepancy))
    stage.run("p4_train", plain_todo(train))


STEPS = {"conv_vae": conv_vae_steps, "latent_tools": latent_tools_steps, "mmd": mmd_steps}


def stage_parts(stage):
    """Import each enabled part's module (a failed import fails only that part), run its steps."""
    state = {}

    def do_import():
        state["device"] = setup_tensorflow(stage.request)
        return {"device": state["device"]}, None

    if not stage.run("import", do_import):
        return
    for part in stage.request["parts"]:
        module, broken = {}, stage.request.get("broken", {}).get(part)
        if broken:  # the grader could not parse the file: each of the part's items says so
            for step in PART_STEPS[part]:
                stage.record(step.name, False, error=f"{broken}. Fix it to have this part graded.")
            continue

        def load(part=part, module=module):
            module["m"] = importlib.import_module(part)
            return {}, None

        if stage.run(f"import_{part}", load):
            STEPS[part](stage, module["m"])
        else:  # each of the part's items then shows why, not "the step before it failed"
            with open(os.path.join(stage.out_dir, f"{stage.name}.jsonl")) as f:
                error = json.loads(f.readlines()[-1])["error"]
            for step in PART_STEPS[part]:
                stage.record(step.name, False, error=f"importing {part}.py failed: {error}")
