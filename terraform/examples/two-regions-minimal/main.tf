# The smallest useful cluster: two regions, every other input at its default.
module "geokv" {
  source = "../.."

  cluster_id      = "geokv-dev"
  auth_secret_arn = var.auth_secret_arn
  tls             = var.tls

  regions = {
    "eu-west-1"    = { aws_region = "eu-west-1", vpc_cidr = "10.1.0.0/16", ami_id = var.ami_ids["eu-west-1"], instance_type = "t3.medium", data_volume_size_gb = 20, client_cidrs = ["10.1.0.0/16"] }
    "eu-central-1" = { aws_region = "eu-central-1", vpc_cidr = "10.2.0.0/16", ami_id = var.ami_ids["eu-central-1"], instance_type = "t3.medium", data_volume_size_gb = 20, client_cidrs = ["10.2.0.0/16"] }
  }
}
