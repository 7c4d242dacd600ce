"""DAST: scan a running web app, with ZAP-compatible rule ids, strictly inside its origin."""
