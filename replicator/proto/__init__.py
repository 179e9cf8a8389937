"""Generated gRPC stubs of proto/replication.proto (see docs/replication.md to regenerate)."""
