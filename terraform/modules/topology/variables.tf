variable "cluster_id" {
  description = "geokv cluster id (the cluster-id setting of every node): 1 to 64 letters, digits, '-' or '_'."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.cluster_id))
    error_message = "cluster_id must be 1 to 64 letters, digits, '-' or '_'."
  }
}

variable "name" {
  description = "Human-readable name of the deployment; null uses cluster_id."
  type        = string
  default     = null
}

variable "regions" {
  description = "Deployed regions keyed by geokv region id: display name, RESP and replication endpoints (host:port) and the ARNs of the TLS material (null when TLS is off)."
  type = map(object({
    name                = string
    resp_address        = string
    replication_address = string
    tls = object({
      enabled         = bool
      ca_secret_arn   = string
      cert_secret_arn = string
    })
  }))

  validation {
    condition     = length(var.regions) > 0
    error_message = "At least one region is required."
  }

  validation {
    condition     = alltrue([for id in keys(var.regions) : can(regex("^[a-zA-Z0-9_-]{1,64}$", id))])
    error_message = "Region ids (the map keys) must be 1 to 64 letters, digits, '-' or '_'."
  }
}
