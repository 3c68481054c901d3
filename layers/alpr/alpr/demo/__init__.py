"""`make demo`: the guided tour of the local stack, one module per step, and the synthetic plates."""
