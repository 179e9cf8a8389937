output "node_subnet_cidr" {
  description = "The private /24 subnet the geokv node lives in (first /24 of the VPC)."
  value       = local.node_subnet_cidr
}

output "public_subnet_cidr" {
  description = "The /24 public subnet that holds only the NAT gateway (second /24 of the VPC)."
  value       = local.public_subnet_cidr
}

output "node_ip" {
  description = "The private IPv4 address pinned to the geokv node (host 10 of the node subnet)."
  value       = local.node_ip
}
