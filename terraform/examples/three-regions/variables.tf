variable "cluster_id" {
  description = "geokv cluster id."
  type        = string
  default     = "geokv-prod"
}

variable "auth_secret_arn" {
  description = "ARN of the Secrets Manager secret (or SSM SecureString parameter) holding the client password."
  type        = string
}

variable "tls" {
  description = "ARNs of the PEM server certificate, key and CA bundle (Secrets Manager secrets or SSM SecureString parameters). The certificate's SANs must include 10.10.0.10, 10.20.0.10 and 10.30.0.10."
  type = object({
    cert_arn = string
    key_arn  = string
    ca_arn   = string
  })
}

variable "admin_cidrs" {
  description = "Where operators run `geokv topology` from (e.g. a bastion's /32 reached over VPN or peering)."
  type        = list(string)
  default     = []
}

variable "instance_type" {
  description = "Instance type of every node (x86_64; the AMI below is the x86_64 Amazon Linux 2023 image)."
  type        = string
  default     = "m7i.large"
}
