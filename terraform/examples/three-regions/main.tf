# Three regions on two continents, full-mesh peered. Clients run inside each
# region's VPC; operators reach the replication/admin port from admin_cidrs.

locals {
  regions = {
    "us-east-1"      = { name = "N. Virginia", vpc_cidr = "10.10.0.0/16" }
    "eu-west-1"      = { name = "Ireland", vpc_cidr = "10.20.0.0/16" }
    "ap-southeast-1" = { name = "Singapore", vpc_cidr = "10.30.0.0/16" }
  }
}

# The latest Amazon Linux 2023 AMI of each region (AMI ids are regional).
data "aws_ssm_parameter" "al2023" {
  for_each = local.regions
  region   = each.key
  name     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

module "geokv" {
  source = "../.."

  cluster_id      = var.cluster_id
  name            = "production"
  auth_secret_arn = var.auth_secret_arn
  tls             = var.tls

  regions = {
    for id, r in local.regions : id => {
      aws_region    = id
      name          = r.name
      vpc_cidr      = r.vpc_cidr
      ami_id        = nonsensitive(data.aws_ssm_parameter.al2023[id].value)
      instance_type = var.instance_type
      client_cidrs  = [r.vpc_cidr]
      admin_cidrs   = var.admin_cidrs
    }
  }

  tags = {
    Project = "geokv"
    Cluster = var.cluster_id
  }
}
