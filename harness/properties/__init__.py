"""Property-based and stateful checks of a platform against the rules oracle (docs/properties.md).

Collected by path by `smsproof certify` (pytest), next to the YAML scenarios; each check names the
requirements it verifies with `@pytest.mark.requirement`.
"""
