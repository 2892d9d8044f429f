"""The sandbox, the second stage: run student code in limited processes, and read back what it wrote.

Nothing is imported here, so that a module inside (the step plan, say) loads without the rest.
"""
