"""Generate the student stencil hw6/code/ from the reference code in solutions/.

    python -m stencil build      # write hw6/code/ from solutions/, removing files no longer generated
    python -m stencil check      # exit 1 and list stale files if hw6/code/ is out of date
    python -m stencil build --src solutions --dest /tmp/hw6-code   # other folders

In solutions/, each answer sits inside a numbered TODO banner:

        # TODO (1.3): Implement the reparameterization trick.
        #   (instructions for students)
        # BEGIN SOLUTION
        z = mu + tf.exp(0.5 * logvar) * epsilon
        # END SOLUTION
        # END TODO (1.3)

The stencil keeps the banner and instructions and replaces the BEGIN..END SOLUTION lines with
`raise NotImplementedError("TODO 1.3")`; a code line ending in `# SOLUTION` is replaced the same
way. Files without markers are copied byte for byte. Caches, outputs/, model_ckpts/, *.h5, *.npz
and 2470student are neither copied nor touched in hw6/code/.
"""
from .markers import StencilError, transform

__all__ = ["StencilError", "transform"]
