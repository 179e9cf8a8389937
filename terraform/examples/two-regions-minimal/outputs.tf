output "geokv_topology" {
  description = "Topology document for `geokv topology create --from-terraform`."
  value       = module.geokv.geokv_topology
}
