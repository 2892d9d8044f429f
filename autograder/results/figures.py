"""Small PNG figures, drawn in the grader's process from arrays it has validated.

Students' feedback: the CVAE's generation grid with the classifier's labels (item 8.1), a
model's loss curve and its reconstructions (items 6.1, 7.1); a rubric item asks for them by name
(RubricTest.figure), and they are drawn after the whole rubric ran (draw_requested). Staff's
gradebook: a histogram and bar charts. Matplotlib draws with its Agg backend (no display); each PNG is reduced to a fixed
palette (greys, and the few colours drawn, so that a small red frame never merges into the
greys) and, if still over its byte cap, scaled down until it fits, so a page holding every
figure stays small (results.json under 1 MB). Titles and labels are the grader's own text.
"""
import io
from dataclasses import dataclass

import numpy as np

from ..sandbox.harness_plan import IMAGE_SHAPE

SIDE = IMAGE_SHAPE[0]  # H = W of an MNIST image
RIGHT, WRONG = (0.10, 0.55, 0.20), (0.85, 0.10, 0.10)  # label colours: the digit asked for, or not
FRAME = (0.82, 0.82, 0.82)  # around a generation the classifier reads as the digit asked for
BLUE, RED = (0.12, 0.47, 0.71), (0.84, 0.15, 0.16)  # Matplotlib's tab:blue and tab:red
GREYS = 64  # grey levels in the palette: the digits' ink


@dataclass(frozen=True)
class Figure:
    png: bytes
    alt: str      # what the image shows, for a reader without images
    caption: str  # how to read it


def palette():
    """The PNGs' colours, (K, 3) uint8: GREYS greys, then each colour drawn and two tints of it."""
    colours = [(g / (GREYS - 1),) * 3 for g in range(GREYS)]
    for colour in (RIGHT, WRONG, BLUE, RED):
        colours += [tuple(c + (1 - c) * tint for c in colour) for tint in (0.0, 0.45, 0.75)]
    return np.round(255 * np.array(colours)).astype(np.uint8)


def png_bytes(image, max_bytes):
    """A PIL image as a PNG on the fixed palette, of at most max_bytes (scaled down until it fits)."""
    from PIL import Image

    colours = palette().astype(np.int32)
    rgb = np.asarray(image.convert("RGB")).astype(np.int32)
    packed, where = np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2], return_inverse=True)
    seen = np.stack([packed >> 16, (packed >> 8) & 255, packed & 255], axis=1)  # each colour once
    nearest = ((seen[:, None, :] - colours[None]) ** 2).sum(axis=2).argmin(axis=1).astype(np.uint8)
    image = Image.fromarray(nearest[where].reshape(rgb.shape[:2]), mode="P")
    image.putpalette(colours.astype(np.uint8).ravel().tolist())
    while True:
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        if out.tell() <= max_bytes or min(image.size) < 32:
            return out.getvalue()
        image = image.resize((image.width * 3 // 4, image.height * 3 // 4), Image.Resampling.NEAREST)


def render(fig, max_bytes, dpi=100):
    """Draw a Matplotlib figure, close it, and return its PNG (see png_bytes)."""
    from PIL import Image
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    buffer.seek(0)
    return png_bytes(Image.open(buffer), max_bytes)


def pyplot():
    """matplotlib.pyplot on the Agg backend, with text never parsed as math ($ in a name)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"text.parse_math": False, "font.size": 8, "axes.titlesize": 9})
    return plt


def tiles(images, gap=2, fill=1.0):
    """Images (R, K, H * W) in [0, 1] as one (R * (H + gap) - gap, K * (W + gap) - gap) array."""
    rows, columns = images.shape[:2]
    canvas = np.full((rows * (SIDE + gap) - gap, columns * (SIDE + gap) - gap), fill, np.float32)
    for r in range(rows):
        for c in range(columns):
            y, x = r * (SIDE + gap), c * (SIDE + gap)
            canvas[y:y + SIDE, x:x + SIDE] = images[r, c].reshape(SIDE, SIDE)
    return canvas


def generation_grid(images, predicted, accuracy, threshold, max_bytes=140_000):
    """The CVAE's generations: row d asked for digit d, with the classifier's label under each
    image (green: that digit; red: another), and each digit's accuracy as a bar beside its row.

    images (C, K, H * W) in [0, 1]; predicted (C, K) labels; accuracy (C,) over all generations.
    """
    plt = pyplot()
    digits, columns = predicted.shape
    cell_w, cell_h = SIDE + 4, SIDE + 15  # room for a coloured frame, and the label below
    canvas = np.ones((digits * cell_h, columns * cell_w, 3), np.float32)
    for d in range(digits):
        for k in range(columns):
            y, x = d * cell_h, k * cell_w
            canvas[y:y + SIDE + 4, x:x + SIDE + 4] = FRAME if predicted[d, k] == d else WRONG
            digit = 1.0 - images[d, k].reshape(SIDE, SIDE)  # dark ink on white, like the page
            canvas[y + 2:y + 2 + SIDE, x + 2:x + 2 + SIDE] = digit[..., None]
    height, width = canvas.shape[:2]
    fig = plt.figure(figsize=(width * 1.55 / 100 + 2.4, height * 1.55 / 100 + 0.5))
    grid = fig.add_axes((0.09, 0.03, 0.64, 0.92))
    grid.imshow(canvas, interpolation="nearest")
    for d in range(digits):
        for k in range(columns):
            right = predicted[d, k] == d
            grid.text(k * cell_w + cell_w / 2, d * cell_h + SIDE + 11, str(int(predicted[d, k])),
                      ha="center", va="center", fontsize=7, color=RIGHT if right else WRONG,
                      fontweight="normal" if right else "bold")
    grid.set_xticks([])
    grid.set_yticks([d * cell_h + (SIDE + 4) / 2 for d in range(digits)], [f"asked {d}" for d in range(digits)])
    grid.tick_params(length=0)
    grid.set_title("generations (label: the classifier's reading)")
    bars = fig.add_axes((0.76, 0.03, 0.21, 0.92), sharey=grid)
    centers = [d * cell_h + (SIDE + 4) / 2 for d in range(digits)]
    bars.barh(centers, accuracy * 100, height=cell_h * 0.6,
              color=[RIGHT if a > threshold else WRONG for a in accuracy])
    bars.axvline(threshold * 100, color="0.3", linestyle="--", linewidth=0.8)
    for center, value in zip(centers, accuracy):
        bars.text(min(value * 100 + 3, 70), center, f"{value:.0%}", va="center", fontsize=7)
    bars.set_xlim(0, 100)
    bars.set_xticks([0, 50, 100], ["0", "50", "100%"])
    bars.tick_params(axis="y", left=False, labelleft=False)
    bars.set_title("accuracy per digit")
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)
    wrong = int((predicted != np.arange(digits)[:, None]).sum())
    return Figure(render(fig, max_bytes),
                  alt=f"{digits} rows of {columns} generated digits; {wrong} of {predicted.size} shown "
                      "are read by the classifier as another digit",
                  caption=f"Row d: your CVAE asked for digit d (the first {columns} of its generations). "
                          "Under each image, the digit the classifier reads: green when it is the digit "
                          f"asked for, red (and a red frame) when it is not. Bars: each digit's accuracy "
                          f"over all its generations; the dashed line is the {threshold:.0%} needed.")


def loss_curve(kind, train_losses, test_loss, tiers, max_bytes=60_000):
    """The student's training loss per image by epoch, the grader's test loss, and the tiers' limits."""
    plt = pyplot()
    epochs = np.arange(1, len(train_losses) + 1)
    values = np.asarray(train_losses, dtype=np.float64)
    limits = [float(limit) for limit, _ in tiers]
    bound = 10 * max(limits + [abs(test_loss)])  # a wild value must not flatten the lines that matter
    shown = np.clip(np.where(np.isfinite(values), values, np.nan), -bound, bound)
    fig, ax = plt.subplots(figsize=(4.6, 2.7))
    ax.plot(epochs, shown, marker="o", markersize=3, color=BLUE, label="your train_vae, training set")
    ax.plot([epochs[-1] if len(epochs) else 1], [test_loss], marker="*", markersize=11, linestyle="none",
            color="black", label=f"grader's test loss: {test_loss:.1f}")
    for (limit, fraction), style in zip(tiers, ("--", ":", "-.", "-")):
        ax.axhline(float(limit), color=RED, linestyle=style, linewidth=0.9,
                   label=f"{float(fraction):.0%} of the points below {float(limit):g}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss per image")
    ax.set_xticks(epochs if len(epochs) <= 12 else epochs[::2])
    ax.set_title(f"{kind}: loss by epoch")
    ax.legend(fontsize=6.5, frameon=False, loc="upper right")
    ax.grid(alpha=0.25)
    fig.tight_layout()
    return Figure(render(fig, max_bytes),
                  alt=f"{kind} loss by epoch: training loss {', '.join(f'{v:.1f}' for v in values)}; "
                      f"the grader's test loss {test_loss:.1f}",
                  caption="Blue: the loss per image your train_vae returned each epoch (on the training "
                          "images). Star: the grader's own negative ELBO per image on the 10,000 test "
                          "images after the last epoch, the number that is scored. Red: the limits.")


def reconstructions(kind, originals, decoded, own_decoder, max_bytes=40_000):
    """Test images (top row) above their decodings (bottom row); (PREVIEW, H * W) each, in [0, 1]."""
    from PIL import Image

    canvas = 1.0 - tiles(np.stack([originals, decoded]), fill=0.0)  # dark ink on white, grey gaps
    image = Image.fromarray((canvas * 255).round().astype(np.uint8), mode="L")
    image = image.resize((image.width * 2, image.height * 2), Image.Resampling.NEAREST)
    how = ("as your own decoder decodes a sample of its z (the grader could not rebuild your decoder)"
           if own_decoder else "decoded from its mu by your decoder (rebuilt by the grader from its weights)")
    return Figure(png_bytes(image, max_bytes),
                  alt=f"{kind}: {len(originals)} test images and their reconstructions",
                  caption=f"{kind}. Top: the first {len(originals)} MNIST test images. Bottom: each image {how}.")


def histogram(values, bins, xlabel, title, span=None, max_bytes=40_000):
    """A histogram of values over span (lo, hi), or their own range (staff pages)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 2.5))
    ax.hist(values, bins=bins, range=span, color=BLUE, edgecolor="white")
    ax.yaxis.get_major_locator().set_params(integer=True)  # counts of submissions
    ax.set_xlabel(xlabel)
    ax.set_ylabel("submissions")
    ax.set_title(title)
    fig.tight_layout()
    return Figure(render(fig, max_bytes), alt=f"{title}: {len(values)} values", caption="")


def bar_chart(labels, values, xlabel, title, limit=None, max_bytes=60_000):
    """Horizontal bars, one per label, top to bottom (staff pages)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 0.8 + 0.17 * len(labels)))
    positions = np.arange(len(labels))
    ax.barh(positions, values, color=BLUE)
    ax.set_yticks(positions, [str(label)[:28] for label in labels], fontsize=6.5)
    ax.invert_yaxis()
    if limit is not None:
        ax.set_xlim(0, limit)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    fig.tight_layout()
    return Figure(render(fig, max_bytes), alt=f"{title}: {len(values)} bars", caption="")


ITEM_FIGURES = {draw.__name__: draw for draw in (generation_grid, loss_curve, reconstructions)}


def draw_requested(items, requests, log):
    """{item number: [Figure]} for each figure item (items: their numbers), drawn as the rubric asked:
    requests = {item number: [(figure's name in ITEM_FIGURES, args)]}. A figure that cannot be drawn
    is left out (log says why): it must never cost the student a point."""
    drawn = {}
    for number in items:
        drawn[number] = []
        for name, args in requests.get(number, []):
            try:
                drawn[number].append(ITEM_FIGURES[name](*args))
            except Exception as err:  # noqa: BLE001 - the item's score and message stand without it
                log(f"[figures] item {number}: {name} failed: {type(err).__name__}: {err}")
    return drawn
