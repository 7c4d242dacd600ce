"""Payment settings, with a planted provider key and look-alikes the secrets scan must not report."""

import os

# Planted (fake) secret: a live-looking Stripe key committed in code.
STRIPE_KEY = "sk_live_4fQ9zL2mX8rT1vB6nK3pW7cY"

# Look-alikes: read at run time, AWS's documented example key, an identifier.
STRIPE_WEBHOOK_KEY = os.environ.get("STRIPE_WEBHOOK_KEY", "")
AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
ORDER_NAMESPACE = "0f8fad5b-d9cb-469f-a165-70867728950e"


def charge(amount_cents):
    return {"amount": amount_cents, "currency": "eur", "key": STRIPE_KEY[:7]}
