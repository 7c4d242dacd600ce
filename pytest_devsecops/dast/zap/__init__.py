"""OWASP ZAP as a DAST engine, through the `zaproxy` client (`zapv2`)."""
