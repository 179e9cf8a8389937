"""Generic key commands: DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, the EXPIRE family, OBJECT.

Owns their argument parsing and replies; removal and expiry go through
effect ops (DelKey, SetExpire) so they replicate. Must not know sockets.
"""
