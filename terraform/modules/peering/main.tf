# One inter-region VPC peering between two geokv regions of the same AWS
# account, with a route each way. Routes cover the whole peer VPC; the nodes'
# security groups narrow replication to the peer node's /32.

resource "aws_vpc_peering_connection" "this" {
  region      = var.requester.aws_region
  vpc_id      = var.requester.vpc_id
  peer_vpc_id = var.accepter.vpc_id
  peer_region = var.accepter.aws_region
  # Inter-region peerings cannot be auto-accepted by the requester.
  auto_accept = false
  tags        = merge(var.tags, { Name = var.name, Side = "requester" })
}

resource "aws_vpc_peering_connection_accepter" "this" {
  region                    = var.accepter.aws_region
  vpc_peering_connection_id = aws_vpc_peering_connection.this.id
  auto_accept               = true
  tags                      = merge(var.tags, { Name = var.name, Side = "accepter" })
}

resource "aws_route" "requester_to_accepter" {
  region                    = var.requester.aws_region
  route_table_id            = var.requester.route_table_id
  destination_cidr_block    = var.accepter.vpc_cidr
  vpc_peering_connection_id = aws_vpc_peering_connection_accepter.this.id
}

resource "aws_route" "accepter_to_requester" {
  region                    = var.accepter.aws_region
  route_table_id            = var.accepter.route_table_id
  destination_cidr_block    = var.requester.vpc_cidr
  vpc_peering_connection_id = aws_vpc_peering_connection_accepter.this.id
}
