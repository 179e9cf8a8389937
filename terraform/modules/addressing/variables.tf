variable "vpc_cidr" {
  description = "IPv4 CIDR of the region's VPC, at most a /20 so that it holds the /24 subnets below (e.g. 10.10.0.0/16). Must not overlap another region's."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be an IPv4 CIDR block of size /20 or larger (e.g. 10.10.0.0/16)."
  }
}
