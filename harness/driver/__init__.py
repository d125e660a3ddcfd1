"""The driver API every certified platform implements (see openapi.yaml) and its Python client."""
