output "bucket_name" {
  description = "S3 bucket of the scenarios (QuetzalBucketName)."
  value       = module.model.bucket_name
}

output "bucket_arn" {
  value = module.model.bucket_arn
}

output "ecr_repository_name" {
  description = "ECR repository of the model's image (QuetzalEcrRepositoryName)."
  value       = module.model.ecr_repository_name
}

output "ecr_repository_url" {
  value = module.model.ecr_repository_url
}

output "lambda_function_name" {
  description = "The function the SDK creates on first publish (QuetzalLambdaFunctionName)."
  value       = module.model.lambda_function_name
}

output "lambda_role_arn" {
  description = "Role of the model's Lambda function: lambda-<model>-role."
  value       = module.model.lambda_role_arn
}

output "state_machine_name" {
  description = "QuetzalStateMachineName."
  value       = module.model.state_machine_name
}

output "state_machine_arn" {
  value = module.model.state_machine_arn
}

output "state_machine_role_arn" {
  description = "Role of the state machine: sfn-<model>-role."
  value       = module.model.state_machine_role_arn
}

output "cognito_user_role_arn" {
  description = "Role of the model's Quenedi users: Cognito_quetzal_pool_<model>."
  value       = module.model.cognito_user_role_arn
}

output "log_group_name" {
  value = module.model.log_group_name
}

output "ecs_cluster_arn" {
  description = "The cluster of the model's Fargate steps (ecs_enabled only)."
  value       = module.model.ecs_cluster_arn
}

output "ecs_task_role_arn" {
  description = "Role of the model's Fargate tasks: ecs-<model>-task-role (ecs_enabled only)."
  value       = module.model.ecs_task_role_arn
}

output "ecs_execution_role_arn" {
  description = "ECS's role for the model's tasks (image pull, logs): ecs-<model>-execution-role (ecs_enabled only)."
  value       = module.model.ecs_execution_role_arn
}
