"""pytest plugin `smsproof` (entry point pytest11): fixtures, YAML collector, requirement marker."""
