variable "auth_secret_arn" {
  description = "ARN of the Secrets Manager secret (or SSM SecureString parameter) holding the client password."
  type        = string
}

variable "tls" {
  description = "ARNs of the PEM server certificate (SANs 10.1.0.10 and 10.2.0.10), key and CA bundle."
  type = object({
    cert_arn = string
    key_arn  = string
    ca_arn   = string
  })
}

variable "ami_ids" {
  description = "Amazon Linux 2023 x86_64 AMI id per AWS region (eu-west-1 and eu-central-1)."
  type        = map(string)
}
