"""A test-only build of the reference client with one bug planted, to prove the explorer finds real
bugs (``test_planted.py``). The shipped client is untouched: the bug is patched into this process
only, then the reference client's own driver runs it (``--client "cmd:python planted_client.py
--plant NAME"``).

The bugs, each of a different kind:

- ``forget-subscriptions`` (recovery): after a reconnect the client believes its subscriptions were
  restored but never sends them; the hub is connected and silent.
- ``stale-token`` (authentication): the client never refreshes a token once it has one; after the
  Gateway expires it, every reconnect is refused.
- ``throwing-callback`` (isolation): a user callback that raises kills the dispatcher; every event
  after it is lost.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
sys.path[:0] = [str(ROOT), str(ROOT / "harness" / "clients" / "drivers")]

import reference_client  # noqa: E402  (beside client_driver.py, found through sys.path above)

from client import auth, callbacks, subscriptions  # noqa: E402


async def restore_nothing(self, invoke):
    self.applied = set(self.desired)  # "restored", without a single Subscribe on the new connection
    self._resync.clear()
    self._notify()


def dispatch_unguarded(self, event):
    for entry in list(self._entries.get(event.kind, ())):
        callback = self._runnable(entry)
        if callback is not None:
            callback(event)  # no try: one callback's exception ends the dispatcher task


PLANTS = {
    "forget-subscriptions": lambda: setattr(subscriptions.SubscriptionSet, "restore", restore_nothing),
    "stale-token": lambda: (
        setattr(auth.GatewayTokens, "_fresh", lambda self: self._token is not None),
        setattr(auth.GatewayTokens, "invalidate", lambda self, token: None),
    ),
    "throwing-callback": lambda: setattr(callbacks.CallbackRegistry, "dispatch_sync", dispatch_unguarded),
}


def main():
    parser = argparse.ArgumentParser(description="The reference client with one bug planted.")
    parser.add_argument("--plant", choices=sorted(PLANTS), required=True)
    args, rest = parser.parse_known_args()
    PLANTS[args.plant]()
    sys.argv = [sys.argv[0], *rest]
    reference_client.main()


if __name__ == "__main__":
    main()
