variable "cluster_id" {
  description = "geokv cluster id shared by every region (cluster-id setting): 1 to 64 letters, digits, '-' or '_'."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.cluster_id))
    error_message = "cluster_id must be 1 to 64 letters, digits, '-' or '_'."
  }
}

variable "name" {
  description = "Human-readable name of the deployment in the topology document; null uses cluster_id."
  type        = string
  default     = null
}

variable "regions" {
  description = "The regions to deploy, keyed by geokv region id (1 to 64 letters, digits, '-' or '_'). Per region: AWS region, VPC CIDR (non-overlapping), AMI (AMIs are regional), optional display name, instance type, availability zone, data volume size, client and admin CIDRs, a customer-managed KMS key of that region for EBS and flow logs (KMS keys are regional; null uses AWS-managed encryption), and TLS material overriding `tls`."
  type = map(object({
    aws_region          = string
    vpc_cidr            = string
    ami_id              = string
    name                = optional(string)
    instance_type       = optional(string, "m7i.large")
    availability_zone   = optional(string)
    data_volume_size_gb = optional(number, 100)
    client_cidrs        = optional(list(string), [])
    admin_cidrs         = optional(list(string), [])
    kms_key_arn         = optional(string)
    tls = optional(object({
      cert_arn = string
      key_arn  = string
      ca_arn   = string
    }))
  }))

  validation {
    condition     = length(var.regions) > 0
    error_message = "At least one region is required."
  }

  validation {
    condition     = alltrue([for id in keys(var.regions) : can(regex("^[a-zA-Z0-9_-]{1,64}$", id))])
    error_message = "Region ids (the keys of regions) must be 1 to 64 letters, digits, '-' or '_'."
  }

  validation {
    condition     = length(distinct([for r in values(var.regions) : r.vpc_cidr])) == length(var.regions)
    error_message = "Each region needs its own vpc_cidr (peered VPCs must not overlap)."
  }
}

variable "auth_secret_arn" {
  description = "ARN of the Secrets Manager secret or SSM SecureString parameter holding the client password (requirepass) of every node."
  type        = string
}

variable "tls" {
  description = "Default TLS material of the nodes, as ARNs of Secrets Manager secrets or SSM SecureString parameters: PEM certificate (SANs covering every node's private IP; extended key usage serverAuth and clientAuth: it also authenticates the region to its peers over mutual TLS), key, and CA bundle. A region's own `tls` overrides it."
  type = object({
    cert_arn = string
    key_arn  = string
    ca_arn   = string
  })
}

variable "tls_auth_clients" {
  description = "geokv tls-auth-clients of every node: yes (client certificates required), optional or no."
  type        = string
  default     = "yes"
}

variable "secrets_kms_key_arns" {
  description = "Customer-managed KMS keys encrypting the secrets and parameters; the nodes may use them for kms:Decrypt only."
  type        = list(string)
  default     = []
}

variable "resp_port" {
  description = "TLS RESP port of every node."
  type        = number
  default     = 6379
}

variable "replication_port" {
  description = "Replication/admin port of every node."
  type        = number
  default     = 7379
}

variable "geokv_pip_spec" {
  description = "What pip installs on the nodes: a requirement such as geokv==0.1.0 or an https URL of a wheel."
  type        = string
  default     = "geokv==0.1.0"
}

variable "pip_index_url" {
  description = "Package index to install from; null uses pip's default."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
