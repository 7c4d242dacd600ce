"""Admin helpers. DELIBERATELY VULNERABLE: do not copy."""

import hashlib
import subprocess

import yaml

ADMIN_PASSWORD = "letmein-2024"  # hard-coded credential


def archive_logs(folder):
    # Shell injection: `folder` ends up in a shell command line.
    return subprocess.call(f"tar czf /tmp/logs.tgz {folder}", shell=True)


def load_settings(text):
    # Unsafe YAML: yaml.load without SafeLoader can build arbitrary objects.
    return yaml.load(text)


def token_for(user):
    # Weak hash used as a security token.
    return hashlib.md5(user.encode()).hexdigest()


def check_password(given):
    return given == ADMIN_PASSWORD
