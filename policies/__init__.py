"""Bundled policy files (YAML). `policies.path(name)` finds one by name."""
