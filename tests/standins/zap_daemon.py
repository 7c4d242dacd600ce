"""Stand-in for `zap.sh -daemon`: runs the ZAP API stand-in with the port and key it is given.

Used as `devsecops_zap_command` in tests, so the launcher is exercised for real: argv parsing,
readiness through core/view/version, shutdown, and the process group being killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from standins import zap_api


def main(argv: list[str]) -> int:
    port, key = 8080, ""
    for index, arg in enumerate(argv):
        if arg == "-port":
            port = int(argv[index + 1])
        if arg == "-config" and argv[index + 1].startswith("api.key="):
            key = argv[index + 1].split("=", 1)[1]
        if arg == "-configfile":  # ZAP's properties file of key=value overrides
            for line in Path(argv[index + 1]).read_text(encoding="utf-8").splitlines():
                if line.startswith("api.key="):
                    key = line.split("=", 1)[1]
    if "-daemon" not in argv or not key:
        print("expected -daemon and an api.key (-config or -configfile)", file=sys.stderr)
        return 2
    print(f"stand-in ZAP listening on 127.0.0.1:{port}", flush=True)
    with zap_api.serve(api_key=key, port=port) as (_, state):
        while not state.shutdown_requested:
            time.sleep(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
