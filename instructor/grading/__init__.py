"""The hidden tests' code: one module per assignment, ``instructor.grading.a<NN>_<assignment>``.

A hidden test cell of ``source/<NN>_<assignment>/`` imports its grading function from here and calls it in a line
or two, e.g. ``grade_bn_grad("beta", bn_grad_beta)``; the oracles (PyTorch autograd, finite differences, brute-force
loops) and the comparisons live here, where they are linted, unit-tested (``tests/test_catalogue.py`` runs them
on the reference, the blank release and every catalogue answer in seconds) and seen by ``duplicates``.

Never released: students receive ``helpers`` only, and ``helpers`` never imports ``instructor``. A grading function
raises ``helpers.checks.CheckFailed`` (or ``AssertionError``) with a message that names the task that is wrong, and
calls each task with the reference of the pieces it builds on, with copies of its inputs, so one mistake costs
points once.
"""
