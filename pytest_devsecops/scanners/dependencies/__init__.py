"""The dependency audit: where dependencies are declared, and which advisories affect them."""
