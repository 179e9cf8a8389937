output "value" {
  description = "The geokv topology document (cluster_id, name, regions[]) as `geokv topology create --from-terraform` expects it under the geokv_topology output."
  value       = local.topology
}
