"""Scenarios: YAML files (scenarios/<area>/*.yaml), their loader and their runner."""
