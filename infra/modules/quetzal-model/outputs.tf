output "bucket_name" {
  value = aws_s3_bucket.scenarios.bucket
}

output "bucket_arn" {
  value = aws_s3_bucket.scenarios.arn
}

output "ecr_repository_name" {
  value = aws_ecr_repository.model.name
}

output "ecr_repository_url" {
  value = aws_ecr_repository.model.repository_url
}

output "lambda_function_name" {
  value = local.function_name
}

output "lambda_role_arn" {
  value = aws_iam_role.lambda.arn
}

output "state_machine_name" {
  value = aws_sfn_state_machine.model.name
}

output "state_machine_arn" {
  value = aws_sfn_state_machine.model.arn
}

output "state_machine_role_arn" {
  value = aws_iam_role.sfn.arn
}

output "cognito_user_role_arn" {
  value = aws_iam_role.cognito_user.arn
}

output "log_group_name" {
  value = aws_cloudwatch_log_group.lambda.name
}

output "ecs_cluster_arn" {
  value = var.ecs_enabled ? aws_ecs_cluster.model[0].arn : null
}

output "ecs_task_role_arn" {
  value = var.ecs_enabled ? aws_iam_role.ecs_task[0].arn : null
}

output "ecs_execution_role_arn" {
  value = var.ecs_enabled ? aws_iam_role.ecs_execution[0].arn : null
}
