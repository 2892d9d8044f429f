"""List the sample submissions, or write one out in the handout's layout: python -m autograder.samples [write NAME DEST]."""
import sys

from . import materialize, names, spec

if len(sys.argv) == 4 and sys.argv[1] == "write":
    print(materialize(sys.argv[2], sys.argv[3]))
elif len(sys.argv) == 1:
    for name in names():
        print(f"{name:32} {spec(name)['description']}")
else:
    sys.exit("usage: python -m autograder.samples [write NAME DEST]")
