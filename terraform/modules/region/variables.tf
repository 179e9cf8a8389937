variable "cluster_id" {
  description = "geokv cluster id (cluster-id setting), shared by every region of the cluster: 1 to 64 letters, digits, '-' or '_'."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.cluster_id))
    error_message = "cluster_id must be 1 to 64 letters, digits, '-' or '_'."
  }
}

variable "region_id" {
  description = "geokv region id of this deployment (region-id setting), unique in the cluster: 1 to 64 letters, digits, '-' or '_'."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.region_id))
    error_message = "region_id must be 1 to 64 letters, digits, '-' or '_'."
  }
}

variable "aws_region" {
  description = "AWS region every resource of this module is created in (the AWS provider v6 per-resource `region` argument), e.g. eu-west-1."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC created for this region (/20 or larger); must not overlap the other regions' VPCs, which are peered with it."
  type        = string
}

variable "availability_zone" {
  description = "Availability zone of the node and its data volume; null uses the region's first zone by letter (e.g. eu-west-1a). Changing it replaces the data volume."
  type        = string
  default     = null
}

variable "ami_id" {
  description = "AMI of the node: Amazon Linux 2023 (x86_64 or arm64 matching instance_type) or another image with cloud-init, systemd, dnf, Python 3.11 packages and the AWS CLI v2."
  type        = string
}

variable "instance_type" {
  description = "EC2 instance type of the node. geokv serves commands on one core and keeps the dataset in memory: size memory for the dataset plus the binlog replay buffer."
  type        = string
  default     = "m7i.large"
}

variable "root_volume_size_gb" {
  description = "Size of the encrypted root volume in GiB (OS, Python environment, logs)."
  type        = number
  default     = 20
}

variable "data_volume_size_gb" {
  description = "Size in GiB of the encrypted gp3 EBS volume mounted at /var/lib/geokv that holds the binlog and snapshots. It outlives instance replacement."
  type        = number
  default     = 100

  validation {
    condition     = var.data_volume_size_gb >= 1 && var.data_volume_size_gb <= 16384
    error_message = "data_volume_size_gb must be between 1 and 16384."
  }
}

variable "data_volume_iops" {
  description = "Provisioned IOPS of the gp3 data volume (3000 to 16000). The binlog is fsynced every second by default."
  type        = number
  default     = 3000
}

variable "data_volume_throughput" {
  description = "Provisioned throughput of the gp3 data volume in MiB/s (125 to 1000)."
  type        = number
  default     = 125
}

variable "kms_key_arn" {
  description = "ARN of a customer-managed KMS key for the EBS volumes and the flow-log group; null encrypts EBS with the AWS-managed aws/ebs key and the log group with CloudWatch's own key."
  type        = string
  default     = null
}

variable "resp_port" {
  description = "TCP port clients connect to (geokv's tls-port; the plaintext port is disabled)."
  type        = number
  default     = 6379

  validation {
    condition     = var.resp_port >= 1 && var.resp_port <= 65535
    error_message = "resp_port must be between 1 and 65535."
  }
}

variable "replication_port" {
  description = "TCP port of the replication (and admin) service that the peer regions and the topology CLI connect to."
  type        = number
  default     = 7379

  validation {
    condition     = var.replication_port >= 1 && var.replication_port <= 65535
    error_message = "replication_port must be between 1 and 65535."
  }
}

variable "client_cidrs" {
  description = "IPv4 CIDRs allowed to reach the RESP port. Empty means no client can connect until one is added (least privilege by default)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.client_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "client_cidrs must be IPv4 CIDR blocks, and 0.0.0.0/0 is refused: list the networks your clients are in."
  }
}

variable "admin_cidrs" {
  description = "IPv4 CIDRs (e.g. a bastion's /32) allowed to reach the replication port to run `geokv topology` commands. Peer regions are allowed separately through `peers`."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.admin_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "admin_cidrs must be IPv4 CIDR blocks, and 0.0.0.0/0 is refused."
  }
}

variable "peers" {
  description = "The other regions of the cluster: geokv region id => replication address \"IPv4:port\". Written to the node's peers setting; only these addresses (/32) may reach the replication port."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for a in values(var.peers) : can(regex("^\\d+\\.\\d+\\.\\d+\\.\\d+:\\d+$", a))])
    error_message = "Each peer address must be \"IPv4:port\"."
  }
}

variable "auth_secret_arn" {
  description = "ARN of the Secrets Manager secret (SecretString) or SSM SecureString parameter holding the client password (requirepass). Fetched by the node at every start; never passed through Terraform."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:(secretsmanager|ssm):", var.auth_secret_arn))
    error_message = "auth_secret_arn must be a Secrets Manager secret ARN or an SSM parameter ARN."
  }
}

variable "tls" {
  description = "ARNs (Secrets Manager secrets or SSM SecureString parameters) of the PEM certificate (SANs must include the node's private IP or the DNS name clients use; extended key usage serverAuth and clientAuth, as it also authenticates this region to its peers and the admin service), its private key and the CA bundle that signs client, peer and operator certificates."
  type = object({
    cert_arn = string
    key_arn  = string
    ca_arn   = string
  })

  validation {
    condition     = alltrue([for a in [var.tls.cert_arn, var.tls.key_arn, var.tls.ca_arn] : can(regex("^arn:aws[a-z-]*:(secretsmanager|ssm):", a))])
    error_message = "tls.cert_arn, tls.key_arn and tls.ca_arn must be Secrets Manager secret ARNs or SSM parameter ARNs."
  }
}

variable "tls_auth_clients" {
  description = "geokv tls-auth-clients: \"yes\" requires a client certificate signed by the CA, \"optional\" verifies one if presented, \"no\" does not ask."
  type        = string
  default     = "yes"

  validation {
    condition     = contains(["yes", "no", "optional"], var.tls_auth_clients)
    error_message = "tls_auth_clients must be yes, no or optional."
  }
}

variable "secrets_kms_key_arns" {
  description = "ARNs of customer-managed KMS keys that encrypt the secrets/parameters above; the node's role may use them for kms:Decrypt only. Empty when they use AWS-managed keys."
  type        = list(string)
  default     = []
}

variable "geokv_pip_spec" {
  description = "What pip installs on the node: a requirement (\"geokv==0.1.0\") or the https URL of a wheel (e.g. a presigned S3 URL)."
  type        = string
  default     = "geokv==0.1.0"
}

variable "pip_index_url" {
  description = "Package index pip installs from (a private mirror); null uses pip's default index."
  type        = string
  default     = null
}

variable "appendfsync" {
  description = "geokv appendfsync: when the binlog is fsynced (always, everysec, no)."
  type        = string
  default     = "everysec"

  validation {
    condition     = contains(["always", "everysec", "no"], var.appendfsync)
    error_message = "appendfsync must be always, everysec or no."
  }
}

variable "egress_https_cidrs" {
  description = "IPv4 CIDRs the node may reach on HTTPS (443): the OS package repositories, the package index, Secrets Manager, SSM and CloudWatch. Narrow it to VPC endpoint or proxy ranges where you have them."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "enable_nat_gateway" {
  description = "Create a NAT gateway so the private node can reach egress_https_cidrs. Disable only when the VPC reaches them otherwise (endpoints, proxy) after you add that path."
  type        = bool
  default     = true
}

variable "flow_log_retention_days" {
  description = "Retention in days of the VPC flow-log group (CloudWatch Logs)."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
