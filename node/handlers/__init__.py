"""Command handlers, one module per data type or command group.

Importing this package registers every handler in `node.registry.HANDLERS`.
A handler is `fn(node, client, argv) -> reply`; it reads through `node`,
changes data only through `node.write(op)`, and raises `CommandError` to answer
with an error. Arity, authentication and ACLs were checked by the dispatcher.
"""

from node.handlers import (  # noqa: F401
    acl,
    bits,
    client_cmd,
    connection,
    debug,
    geokv,
    hashes,
    introspection,
    keys,
    lists,
    pubsub,
    server,
    sets,
    strings,
    transactions,
    zranges,
    zsets,
)
