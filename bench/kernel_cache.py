"""Does the given optimizer keep an eager, seeded training loop's memory flat? Prints RSS growth.

    .venv/bin/python bench/kernel_cache.py              # 600 steps each way (~1 min on 2 cores)
    .venv/bin/python bench/kernel_cache.py --steps 1407  # 3 epochs at batch 128

Once keras.utils.set_random_seed has set a global seed, every eager tf.random.normal call without
an op seed (how students write reparameterize) gets a new op seed, and TensorFlow caches a new
kernel for each. GraphAdam clears that cache every CLEAR_KERNELS_EVERY steps. This trains the
reference VAE with the reference's train_vae loop, with and without the clearing, in fresh
processes, and prints both RSS growths and whether the losses are identical.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TRAIN = r"""
import json, sys
sys.path.insert(0, {solutions!r})
import keras, tensorflow as tf, assignment
from vae import VAE, loss_function
if not {clear}:
    assignment.GraphAdam.CLEAR_KERNELS_EVERY = 10 ** 12
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * 4096 / 2 ** 20
keras.utils.set_random_seed(0)
(x, y), _ = assignment.read_mnist()
model = VAE(784)
model.compile(optimizer=assignment.make_optimizer(1e-3))
losses, start = [], None
for step, (images, _) in enumerate(assignment.to_batches(x, y, 128, shuffle_buffer=1024).repeat()):
    with tf.GradientTape() as tape:
        x_hat, mu, logvar = model(images)
        loss = loss_function(x_hat, images, mu, logvar)
    grads = tape.gradient(loss, model.trainable_variables)
    model.optimizer.apply_gradients(zip(grads, model.trainable_variables))
    losses.append(float(loss))
    if step == 50:
        start = rss()  # after warm-up: tracing, first allocations
    if step == 50 + {steps}:
        break
print(json.dumps({{"growth": rss() - start, "rss": rss(), "losses": losses}}))
"""


def train(clear, steps):
    code = TRAIN.format(solutions=str(ROOT / "solutions"), clear=clear, steps=steps)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600, help="training steps measured (after 50 of warm-up)")
    args = parser.parse_args()
    kept, cleared = train(False, args.steps), train(True, args.steps)
    per_step = kept["growth"] / args.steps
    print(f"RSS growth over {args.steps} steps: {kept['growth']:.0f} MiB without clearing "
          f"({per_step * 1024:.0f} KiB per step, ~{per_step * 4690:.0f} MiB over 10 epochs of 469 steps), "
          f"{cleared['growth']:.0f} MiB with GraphAdam clearing the kernel cache")
    print(f"final RSS: {kept['rss']:.0f} vs {cleared['rss']:.0f} MiB; "
          f"losses identical: {kept['losses'] == cleared['losses']}")


if __name__ == "__main__":
    main()
