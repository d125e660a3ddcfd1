"""Suite-wide setup, loaded before any test module is imported."""

import pytest

# `fake_providers.testing` is a pytest plugin (its fixtures) that test modules also import directly:
# registered here, its asserts are rewritten whichever import comes first (no PytestAssertRewriteWarning).
pytest.register_assert_rewrite("fake_providers.testing")
