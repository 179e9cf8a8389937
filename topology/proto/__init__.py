"""Generated gRPC stubs of proto/admin.proto (see docs/operations.md to regenerate)."""
