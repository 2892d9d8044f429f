"""Evidence, the third stage: the grader's seeded inputs and its own measurements, for the rubric."""
