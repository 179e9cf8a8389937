# One geokv region on AWS: its VPC (main.tf), the node, its data volume and
# firewall (compute.tf) and the node's IAM role (iam.tf). Every regional
# resource carries `region = var.aws_region` (AWS provider v6), so the root
# module deploys any number of regions through one provider configuration.

module "addressing" {
  source   = "../addressing"
  vpc_cidr = var.vpc_cidr
}

locals {
  name = "geokv-${var.cluster_id}-${var.region_id}"
  # A fixed zone, not the first one AWS lists: the data volume lives there,
  # and a zone list that changed would move (replace) it.
  availability_zone = coalesce(var.availability_zone, "${var.aws_region}a")
  tags = merge(var.tags, {
    "geokv:cluster" = var.cluster_id
    "geokv:region"  = var.region_id
  })
}

resource "aws_vpc" "this" {
  region               = var.aws_region
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = local.name })
}

# The VPC's default group is left without rules, so nothing that forgets a
# security group gets the permissive AWS default.
resource "aws_default_security_group" "this" {
  region = var.aws_region
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${local.name}-default-deny" })
}

resource "aws_subnet" "node" {
  region                  = var.aws_region
  vpc_id                  = aws_vpc.this.id
  cidr_block              = module.addressing.node_subnet_cidr
  availability_zone       = local.availability_zone
  map_public_ip_on_launch = false
  tags                    = merge(local.tags, { Name = "${local.name}-node" })
}

resource "aws_route_table" "private" {
  region = var.aws_region
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${local.name}-private" })
}

resource "aws_route_table_association" "node" {
  region         = var.aws_region
  subnet_id      = aws_subnet.node.id
  route_table_id = aws_route_table.private.id
}

# Egress path of the private node (packages, Secrets Manager, SSM): a NAT
# gateway in a public subnet that holds nothing else.
resource "aws_subnet" "public" {
  count                   = var.enable_nat_gateway ? 1 : 0
  region                  = var.aws_region
  vpc_id                  = aws_vpc.this.id
  cidr_block              = module.addressing.public_subnet_cidr
  availability_zone       = local.availability_zone
  map_public_ip_on_launch = false
  tags                    = merge(local.tags, { Name = "${local.name}-nat" })
}

resource "aws_internet_gateway" "this" {
  count  = var.enable_nat_gateway ? 1 : 0
  region = var.aws_region
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = local.name })
}

resource "aws_route_table" "public" {
  count  = var.enable_nat_gateway ? 1 : 0
  region = var.aws_region
  vpc_id = aws_vpc.this.id
  tags   = merge(local.tags, { Name = "${local.name}-public" })
}

resource "aws_route" "public_internet" {
  count                  = var.enable_nat_gateway ? 1 : 0
  region                 = var.aws_region
  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count          = var.enable_nat_gateway ? 1 : 0
  region         = var.aws_region
  subnet_id      = aws_subnet.public[0].id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_eip" "nat" {
  count  = var.enable_nat_gateway ? 1 : 0
  region = var.aws_region
  domain = "vpc"
  tags   = merge(local.tags, { Name = "${local.name}-nat" })
}

resource "aws_nat_gateway" "this" {
  count         = var.enable_nat_gateway ? 1 : 0
  region        = var.aws_region
  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[0].id
  tags          = merge(local.tags, { Name = local.name })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route" "private_nat" {
  count                  = var.enable_nat_gateway ? 1 : 0
  region                 = var.aws_region
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[0].id
}

# VPC flow logs: who reached (or tried to reach) the node, for audits.
resource "aws_cloudwatch_log_group" "flow" {
  region            = var.aws_region
  name_prefix       = "/geokv/${var.cluster_id}/${var.region_id}/vpc-flow-"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_flow_log" "this" {
  region          = var.aws_region
  vpc_id          = aws_vpc.this.id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow.arn
  iam_role_arn    = aws_iam_role.flow_logs.arn
  tags            = local.tags
}
