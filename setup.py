"""Packages, plus `scenarios/` shipped inside the wheel as `harness/scenarios/` (package data).

The scenarios stay at the top of the repository, where QA engineers look for them; an installed
smsproof finds them next to its own code (`harness.scenario.loader.DEFAULT_SCENARIOS`). Everything
else is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=find_namespace_packages(include=["fake_providers*", "harness*", "reference_platform*"],
                                     exclude=["*.__pycache__"]) + ["harness.scenarios"],
    package_dir={"harness.scenarios": "scenarios"},
    package_data={"": ["*.yaml", "*.json", "*.html", "*.css", "*.js"], "harness.scenarios": ["**/*.yaml"]},
)
