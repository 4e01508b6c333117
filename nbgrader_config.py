"""nbgrader configuration for the course (the course root is the folder nbgrader runs in)."""

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions, GetGrades

from instructor.feedback import HideHiddenTests
from instructor.stubs import NamedClearSolutions

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

c.CourseDirectory.course_id = "deep-learning"

# The release stub names the task it stands for ("Task 'sigmoid' is not done yet").
c.GenerateAssignment.preprocessors = [
    NamedClearSolutions if step is ClearSolutions else step
    for step in GenerateAssignment.class_traits()["preprocessors"].default()
]
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Feedback shows each test cell's score, its output and the message of its failure, never hidden-test code
# (instructor/feedback.py); the formgrader still shows instructors everything.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# Per-cell time limit while autograding. Notebooks that train models load the
# submitted weights or run a tiny quick version under the autograder
# (helpers.runtime.quick_mode), so every cell stays far below this.
c.Execute.timeout = 180
# A cell that writes to stderr scores zero: helpers keeps progress bars and
# warnings away from graded cells; nothing to configure here beyond that.
