"""Do the grader's imports run one way, with no cycle, as a submission moves through its stages?

Read from the modules' syntax trees (nothing is imported): every `import` and `from ... import`
in autograder/, inside functions too, relative or absolute. The files that run inside the sandbox
import each other by their plain names (harness_plan, ...); those count as well."""
import ast

import pytest

from conftest import ROOT

PACKAGE = ROOT / "autograder"
STUDENT_CODE = ("samples",)  # autograder/samples/NAME/files/: submissions, not the grader
# The pipeline, in order: a stage imports only the stages before it (and the shared modules below).
STAGES = ["intake", "sandbox", "evidence", "rubric", "results"]
SHARED = {"config", "interrupt"}  # imported by any stage; they import no stage
OTHERS = {  # the packages beside the pipeline, and what each may import
    "gradescope": {"config", "evidence"},  # the zip bundles MNIST, checked with evidence.data
    "samples": {"config", "intake"},  # submissions that test the grader, and their expected scores
    "__main__": set(STAGES) | SHARED | {"gradescope"},
}
NARROW = {"rubric": {"evidence"}}  # the rubric sees the evidence, never the sandbox nor intake


def modules():
    """{dotted name: path} of every module of the grader."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("").parts
        if rel[1] in STUDENT_CODE and "files" in rel:
            continue
        name = ".".join(rel[:-1] if rel[-1] == "__init__" else rel)
        found[name] = path
    return found


def imports(name, path, known):
    """The grader's modules that module `name` (at path) imports, each resolved to a module in known."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    sandbox_names = {n.rpartition(".")[2]: n for n in known if n.startswith("autograder.sandbox.")}
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(parent + ([node.module] if node.module else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in names:
            if name.startswith("autograder.sandbox.") and target in sandbox_names:
                target = sandbox_names[target]  # a sandbox file importing another by its plain name
            while target and target not in known:  # `import a.b.c`: the deepest module of the grader
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
    return targets


@pytest.fixture(scope="module")
def graph():
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def stage_of(module):
    """The package (or shared top-level module) a module belongs to: autograder.evidence.measure -> evidence."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_import_cycle(graph):
    """Does no module of autograder/ import itself through others, even lazily inside a function?"""
    state, cycles = {}, []

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


def test_stages_import_only_earlier_stages(graph):
    """Does each stage import only the stages before it (the rubric: only the evidence)?"""
    wrong = []
    for module, targets in sorted(graph.items()):
        stage = stage_of(module)
        if stage in STAGES:
            allowed = NARROW.get(stage, set(STAGES[:STAGES.index(stage)])) | SHARED
        elif stage in SHARED or stage == "__init__":
            allowed = SHARED - {stage}
        else:
            allowed = OTHERS[stage]
        wrong += [f"{module} imports {target}" for target in sorted(targets)
                  if stage_of(target) != stage and stage_of(target) not in allowed]
    assert not wrong, "\n".join(wrong)


def test_the_walk_sees_lazy_and_relative_imports(graph):
    """Does the walk find what it must: a relative import, and a sandbox file's plain-name import?"""
    assert "autograder.evidence" in graph["autograder.rubric"]
    assert "autograder.sandbox.harness_plan" in graph["autograder.sandbox.harness"]
    assert "autograder.gradescope.build" in graph["autograder.__main__"]  # imported inside a function
