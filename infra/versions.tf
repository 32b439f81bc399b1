terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # One state per model: `terraform workspace new <model>`. The bucket, key and region of the state are given at
  # init time (-backend-config), so that no account's bucket name is written here.
  backend "s3" {}
}
