"""The executable oracle: the seeds' rules as plain functions, independent of any platform.

Scenarios and property checks compute what a correct platform must do with these functions and
compare it with what the platform under test did. Each module names the requirements it models.
"""
