output "geokv_topology" {
  description = "The cluster's topology document: save `terraform output -json` to a file and pass it to `geokv topology create --from-terraform FILE`."
  value       = module.topology.value
}

output "regions" {
  description = "Per region id: AWS region, node IP, RESP and replication endpoints, instance, data volume, VPC and security group ids."
  value = {
    for id, r in module.region : id => {
      aws_region           = r.aws_region
      node_ip              = r.node_ip
      resp_endpoint        = r.resp_endpoint
      replication_endpoint = r.replication_endpoint
      instance_id          = r.instance_id
      data_volume_id       = r.data_volume_id
      vpc_id               = r.vpc_id
      security_group_id    = r.security_group_id
    }
  }
}

output "peering_connection_ids" {
  description = "Inter-region VPC peering connection ids keyed \"<region-a>--<region-b>\"."
  value       = { for pair, p in module.peering : pair => p.peering_connection_id }
}
