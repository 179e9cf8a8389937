terraform {
  # optional() object attributes with defaults need 1.3; provider-defined
  # functions and the v6 AWS provider are tested with 1.6 and later.
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      # 6.0 adds the per-resource `region` argument this module relies on
      # instead of one aliased provider per region.
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}
