terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      # 6.0: per-resource `region`, so one provider reaches both sides.
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}
