"""Does speedups.install() keep an eager, seeded training loop's memory flat? Prints RSS growth.

    .venv/bin/python bench/kernel_cache.py              # 600 steps each way (~1 min on 2 cores)
    .venv/bin/python bench/kernel_cache.py --steps 1407  # 3 epochs at batch 128

Once keras.utils.set_random_seed has set a global seed, every eager tf.random.normal call without
an op seed (how students write reparameterize) gets a new op seed, and TensorFlow caches a new
kernel for each. speedups.install() gives those calls one op seed, so one kernel serves them all.
This trains the reference VAE with a student-style loop (its own Adam, made anew every 200 steps
as a train_vae that makes one per call would), with and without install(), in fresh processes,
and prints both RSS growths and the seconds per step.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TRAIN = r"""
import json, sys, time
sys.path.insert(0, {solutions!r})
import keras, tensorflow as tf, assignment, speedups
from vae import VAE, loss_function
if {install}:
    speedups.install()
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * 4096 / 2 ** 20
keras.utils.set_random_seed(0)
(x, y), _ = assignment.read_mnist()
model = VAE(784)
start = None
for step, (images, _) in enumerate(assignment.to_batches(x, y, 128, shuffle_buffer=1024).repeat()):
    if step % 200 == 0:
        optimizer = keras.optimizers.Adam(1e-3)  # a new one per "epoch", as in many submissions
    with tf.GradientTape() as tape:
        x_hat, mu, logvar = model(images)
        loss = loss_function(x_hat, images, mu, logvar)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    if step == 50:
        start, clock = rss(), time.perf_counter()  # after warm-up: tracing, first allocations
    if step == 50 + {steps}:
        break
print(json.dumps({{"growth": rss() - start, "rss": rss(), "ms": (time.perf_counter() - clock) / {steps} * 1000}}))
"""


def train(install, steps):
    code = TRAIN.format(solutions=str(ROOT / "solutions"), install=install, steps=steps)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600, help="training steps measured (after 50 of warm-up)")
    args = parser.parse_args()
    plain, installed = train(False, args.steps), train(True, args.steps)
    per_step = plain["growth"] / args.steps
    print(f"RSS growth over {args.steps} steps: {plain['growth']:.0f} MiB without speedups.install() "
          f"({per_step * 1024:.0f} KiB per step, ~{per_step * 4690:.0f} MiB over 10 epochs of 469 steps), "
          f"{installed['growth']:.0f} MiB with it")
    print(f"final RSS: {plain['rss']:.0f} vs {installed['rss']:.0f} MiB; "
          f"{plain['ms']:.0f} vs {installed['ms']:.0f} ms per step ({plain['ms'] / installed['ms']:.1f}x)")


if __name__ == "__main__":
    main()
