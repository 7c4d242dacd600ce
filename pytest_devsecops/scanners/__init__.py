"""Scanners: each one runs a tool and turns its output into findings and coverage."""
