# The one place that decides a region's address plan. The root module needs a
# node's address before the node exists (each region's config lists its
# peers' replication addresses, so computing them from the instances would be
# a dependency cycle); the region module needs the same plan to build the
# subnets and pin the instance's private IP. Both call this module.
locals {
  node_subnet_cidr   = cidrsubnet(var.vpc_cidr, 24 - tonumber(split("/", var.vpc_cidr)[1]), 0)
  public_subnet_cidr = cidrsubnet(var.vpc_cidr, 24 - tonumber(split("/", var.vpc_cidr)[1]), 1)
  # AWS reserves the first four addresses of a subnet; .10 leaves room.
  node_ip = cidrhost(local.node_subnet_cidr, 10)
}
