"""Write the cheat-shipped-weights sample's pretrained.py: its small VAE trained here, pasted in as base64.

    .venv/bin/python bench/cheat_weights.py [--epochs 20] [--lr 3e-3]

Trains the sample's own VAE (its vae.py: one hidden layer of 32) on all 60,000 MNIST training
images, batch 128, seeded, with a compiled step, then stores its weights as int8 with one scale
per array (np.savez_compressed, base64: ~56 KB of text, not a binary) in
autograder/samples/cheat-shipped-weights/files/code/pretrained.py, and prints the test loss per
image (negative ELBO, the reference's loss_function) before and after the int8 rounding.
"""
import argparse
import base64
import io
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder import samples  # noqa: E402
from autograder.evidence.data import find_mnist, load_mnist_arrays  # noqa: E402

SAMPLE = "cheat-shipped-weights"
TARGET = ROOT / "autograder" / "samples" / SAMPLE / "files" / "code" / "pretrained.py"
HEADER = '''"""My VAE's weights (hidden 32, 20 epochs on my laptop), so that training starts where mine ended."""
import base64
import io

import numpy as np

'''
LOADER = '''

def vae_weights():
    """The weights, in model.get_weights() order."""
    data = np.load(io.BytesIO(base64.b64decode(VAE_WEIGHTS)))
    return [data[f"q{i}"].astype(np.float32) * data[f"s{i}"] for i in range(len(data.files) // 2)]
'''


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args()
    import keras
    import numpy as np
    import tensorflow as tf

    tmp = tempfile.TemporaryDirectory()  # kept until the end: tf.function reads vae.py's source
    code = samples.materialize(SAMPLE, tmp.name) / "hw6" / "code"
    sys.path.insert(0, str(code))
    import vae  # the sample's own VAE: its weights' order is the sample's
    keras.utils.set_random_seed(0)
    (x_train, _), (x_test, _) = load_mnist_arrays(find_mnist(None))
    model = vae.VAE(28 * 28, latent_size=15)
    optimizer = keras.optimizers.Adam(args.lr)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            x_hat, mu, logvar = model(x)
            loss = vae.loss_function(x_hat, x, mu, logvar)
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    def test_loss():
        x = tf.constant(x_test, tf.float32)[:, None] / 255.0  # (N, 1, H, W)
        x_hat, mu, logvar = model(x)
        return float(vae.loss_function(x_hat, x, mu, logvar))

    data = tf.data.Dataset.from_tensor_slices(x_train).shuffle(60000, seed=0).batch(128)
    data = data.map(lambda x: tf.cast(x, tf.float32)[:, None] / 255.0)
    for epoch in range(1, args.epochs + 1):
        start = time.time()
        losses = [float(step(x)) for x in data]
        print(f"epoch {epoch}: train {np.mean(losses):.1f}, test {test_loss():.1f} per image ({time.time() - start:.0f} s)")
    arrays = {}
    for i, weight in enumerate(model.get_weights()):
        scale = float(np.abs(weight).max()) / 127 or 1.0
        arrays[f"q{i}"], arrays[f"s{i}"] = np.round(weight / scale).astype(np.int8), np.float32(scale)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    lines = "".join(f'    "{line}"\n' for line in textwrap.wrap(encoded, 96))
    TARGET.write_text(HEADER + f"VAE_WEIGHTS = (\n{lines})\n" + LOADER)
    model.set_weights([arrays[f"q{i}"].astype(np.float32) * arrays[f"s{i}"] for i in range(len(arrays) // 2)])
    print(f"int8 weights: test {test_loss():.1f} per image; wrote {TARGET.relative_to(ROOT)} "
          f"({len(encoded):,} base64 characters)")


if __name__ == "__main__":
    main()
