"""Results, the last stage: grade a submission into results.json, its table and pages; grade a class."""
