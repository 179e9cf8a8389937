variable "name" {
  description = "Name tag of the peering connection (e.g. geokv-prod-eu-west-1-us-east-1)."
  type        = string
}

variable "requester" {
  description = "The side that requests the peering: its AWS region, VPC id and CIDR, and the route table that gets a route to the accepter's VPC."
  type = object({
    aws_region     = string
    vpc_id         = string
    vpc_cidr       = string
    route_table_id = string
  })
}

variable "accepter" {
  description = "The side that accepts the peering (same account): its AWS region, VPC id and CIDR, and the route table that gets a route to the requester's VPC."
  type = object({
    aws_region     = string
    vpc_id         = string
    vpc_cidr       = string
    route_table_id = string
  })
}

variable "tags" {
  description = "Tags added to the peering connection."
  type        = map(string)
  default     = {}
}
