variable "quetzal_model_name" {
  description = "The model's name: the S3 bucket, ECR repository, Lambda function and state machine all carry it (QuetzalModelName)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.quetzal_model_name))
    error_message = "The model name must be a valid S3 bucket name: 3-63 lowercase letters, digits and hyphens."
  }
}

variable "aws_region" {
  description = "AWS region of the model's resources (QuetzalAwsRegion)."
  type        = string
  default     = "ca-central-1"
}

variable "cors_allowed_origins" {
  description = "Origins of the Quenedi web app allowed to read and write the bucket from a browser."
  type        = list(string)
}

variable "ecr_images_to_keep" {
  description = "How many images the ECR repository keeps; older ones are expired by a lifecycle rule."
  type        = number
  default     = 10
}

variable "cognito_identity_pool_id" {
  description = "The Cognito identity pool whose authenticated users may assume the model's user role."
  type        = string
}

variable "cognito_user_pool_id" {
  description = "When set, a Cognito user group of that user pool is created with the model's user role."
  type        = string
  default     = ""
}

variable "log_retention_days" {
  description = "Retention of the Lambda function's log group."
  type        = number
  default     = 14
}

variable "tags" {
  description = "Cost allocation tags added to every resource, besides Project and Model."
  type        = map(string)
  default     = {}
}

variable "ecs_enabled" {
  description = "Whether a step of the model runs on ECS Fargate: the cluster, the task roles, the log group and the state machine's ECS permissions (the SDK writes it from the workflow)."
  type        = bool
  default     = false
}
