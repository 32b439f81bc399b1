variable "model_name" {
  type = string
}

variable "cors_allowed_origins" {
  type = list(string)
}

variable "ecr_images_to_keep" {
  type = number
}

variable "cognito_identity_pool_id" {
  type = string
}

variable "cognito_user_pool_id" {
  type = string
}

variable "log_retention_days" {
  type = number
}

variable "tags" {
  type = map(string)
}

variable "ecs_enabled" {
  type = bool
}
