# The root module's addressing -> topology wiring with the region module's
# endpoints replaced by the pinned node IPs they resolve to (aws_instance
# private_ip = addressing's node_ip), so `terraform apply` needs no provider and
# `terraform output -json` is Terraform's own serialization of geokv_topology.
# test_topology_output.py applies it in a scratch copy next to a copy of
# terraform/modules and compares the result with fixtures/three-regions.json.

locals {
  regions = {
    "us-east-1"      = { name = "N. Virginia", vpc_cidr = "10.10.0.0/16" }
    "eu-west-1"      = { name = "Ireland", vpc_cidr = "10.20.0.0/16" }
    "ap-southeast-1" = { name = "Singapore", vpc_cidr = "10.30.0.0/16" }
  }
  tls = {
    enabled         = true
    ca_secret_arn   = "arn:aws:secretsmanager:us-east-1:123456789012:secret:geokv/tls/ca-AbCdEf"
    cert_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:geokv/tls/cert-GhIjKl"
  }
}

module "addressing" {
  source   = "./modules/addressing"
  for_each = local.regions
  vpc_cidr = each.value.vpc_cidr
}

module "topology" {
  source     = "./modules/topology"
  cluster_id = "geokv-prod"
  name       = "production"
  regions = {
    for id, r in local.regions : id => {
      name                = r.name
      resp_address        = "${module.addressing[id].node_ip}:6379"
      replication_address = "${module.addressing[id].node_ip}:7379"
      tls                 = local.tls
    }
  }
}

output "geokv_topology" {
  description = "As the root module's geokv_topology output."
  value       = module.topology.value
}
