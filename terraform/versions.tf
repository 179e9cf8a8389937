terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      # One provider configuration for every region: 6.0's per-resource
      # `region` argument replaces the provider alias per region.
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}
