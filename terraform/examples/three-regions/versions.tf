terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}

# One provider for all three regions: each resource names its own region
# (AWS provider v6). This region only serves global calls (IAM).
provider "aws" {
  region = "us-east-1"
}
