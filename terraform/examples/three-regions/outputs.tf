output "geokv_topology" {
  description = "Topology document for `geokv topology create --from-terraform` (save `terraform output -json` to a file)."
  value       = module.geokv.geokv_topology
}

output "regions" {
  description = "Per region: endpoints, instance, volume, VPC and security group ids."
  value       = module.geokv.regions
}
