provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

locals {
  tags = merge(var.tags, {
    Project = "quetzal"
    Model   = var.quetzal_model_name
  })
}

# The Lambda function is not here: Quetzal.Sdk's publish (dotnet build -t:Publish) creates it from the model's
# image and keeps it in sync. No dummy image, no Docker and no registry login on the Terraform machine.
module "model" {
  source = "./modules/quetzal-model"

  model_name               = var.quetzal_model_name
  cors_allowed_origins     = var.cors_allowed_origins
  ecr_images_to_keep       = var.ecr_images_to_keep
  cognito_identity_pool_id = var.cognito_identity_pool_id
  cognito_user_pool_id     = var.cognito_user_pool_id
  log_retention_days       = var.log_retention_days
  ecs_enabled              = var.ecs_enabled
  tags                     = local.tags
}
