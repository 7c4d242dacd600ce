"""The `image` scanner: a container image's packages, configuration and baked-in secrets."""
