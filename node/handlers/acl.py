"""ACL commands (ACL SETUSER/GETUSER/DELUSER/LIST/WHOAMI/USERS/CAT) and AUTH.

Owns the replies of those commands; the user model lives in node.acl.
Must not know sockets.
"""
