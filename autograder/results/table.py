"""The rubric as a text table, for the terminal and the staff log: item, name, points, max, message."""
from . import feedback


def table(results):
    """The rubric as a text table: item, points, max, message."""
    rows = [("item", "name", "points", "max", "message")]
    for test in results.get("tests", []):
        message = feedback.plain_text(test).strip().splitlines()
        rows.append((test.get("number", ""), test["name"][:52], f"{test.get('score', 0):g}",
                     f"{test.get('max_score', 0):g}", (message[-1] if message else "")[:90]))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-" * min(160, max(len(line) for line in lines)))
    total = sum(t.get("max_score", 0) for t in results.get("tests", []))
    lines.append(f"\nTotal: {results.get('score', 0):g} / {total:g}   ({results.get('execution_time', 0):.0f} s)")
    return "\n".join(lines)
