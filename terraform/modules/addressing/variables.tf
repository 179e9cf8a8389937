variable "vpc_cidr" {
  description = "IPv4 CIDR of the region's VPC, a /20 or larger so that it holds the /24 subnets below (e.g. 10.10.0.0/16). Must not overlap another region's."
  type        = string

  validation {
    # Both tests inside can(): && does not short-circuit, so a malformed value
    # must not reach an expression that errors.
    condition     = can(cidrhost(var.vpc_cidr, 0)) && can(regex("^[0-9.]+/([0-9]|1[0-9]|20)$", var.vpc_cidr))
    error_message = "vpc_cidr must be an IPv4 CIDR block of size /20 or larger (e.g. 10.10.0.0/16)."
  }
}
