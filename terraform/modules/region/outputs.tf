output "region_id" {
  description = "geokv region id of this deployment."
  value       = var.region_id
}

output "aws_region" {
  description = "AWS region the deployment lives in."
  value       = var.aws_region
}

output "node_ip" {
  description = "Private IPv4 address of the geokv node."
  value       = aws_instance.node.private_ip
}

output "resp_endpoint" {
  description = "host:port RESP clients connect to (TLS)."
  value       = "${aws_instance.node.private_ip}:${var.resp_port}"
}

output "replication_endpoint" {
  description = "host:port of the replication and admin service (peer regions and `geokv topology`)."
  value       = "${aws_instance.node.private_ip}:${var.replication_port}"
}

output "tls" {
  description = "TLS of the RESP endpoint: always enabled; ARNs of the CA bundle and of the server certificate (not their contents)."
  value = {
    enabled         = true
    ca_secret_arn   = var.tls.ca_arn
    cert_secret_arn = var.tls.cert_arn
  }
}

output "instance_id" {
  description = "EC2 instance id of the node."
  value       = aws_instance.node.id
}

output "data_volume_id" {
  description = "EBS volume id holding the binlog (kept across instance replacement)."
  value       = aws_ebs_volume.data.id
}

output "security_group_id" {
  description = "Security group of the node."
  value       = aws_security_group.node.id
}

output "vpc_id" {
  description = "VPC of the region."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the region's VPC."
  value       = aws_vpc.this.cidr_block
}

output "private_route_table_id" {
  description = "Route table of the node subnet, to which cross-region (peering) routes are added."
  value       = aws_route_table.private.id
}

output "node_role_arn" {
  description = "IAM role of the node (reads only the configured secrets and parameters)."
  value       = aws_iam_role.node.arn
}
