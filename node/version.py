"""Version identities: geokv's own, and the Redis version whose protocol it speaks.

Clients read `redis_version` (INFO) and HELLO's `version` to decide which
commands they may use, so those report the Redis release whose behaviour we
follow; INFO also reports geokv's own version.
"""

GEOKV_VERSION = "0.1.0"
REDIS_VERSION = "7.0.15"
