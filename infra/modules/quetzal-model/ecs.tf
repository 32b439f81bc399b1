# Fargate, for a model with steps that outgrow Lambda (QuetzalStep Compute="ecs", or a state machine Task on
# arn:aws:states:::ecs:runTask.sync). Created only when the tfvars says so (ecs_enabled, written by the SDK from the
# workflow). The task definition is not here: the SDK's publish registers a revision on the image's digest and
# renders the state machine with that exact revision.
locals {
  ecs_count = var.ecs_enabled ? 1 : 0
  # The SDK's names (Model/Fargate.cs, Model/ResourceNames.cs).
  ecs_family      = "${var.model_name}-task"
  task_definition = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task-definition/${var.model_name}-task"
  ecs_events_rule = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForECSTaskRule"
}

resource "aws_ecs_cluster" "model" {
  count = local.ecs_count
  name  = var.model_name
  tags  = var.tags
}

resource "aws_cloudwatch_log_group" "ecs" {
  count             = local.ecs_count
  name              = "/aws/ecs/${var.model_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# ECS's own role for the task: pull the model's image, write the task's logs.
resource "aws_iam_role" "ecs_execution" {
  count              = local.ecs_count
  name               = "ecs-${var.model_name}-execution-role"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "ecs_execution" {
  count = local.ecs_count
  name  = "ecs-${var.model_name}-execution"
  role  = aws_iam_role.ecs_execution[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
        Resource = aws_ecr_repository.model.arn
      },
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.ecs[0].arn}:*"
      },
    ]
  })
}

# The step's role: the scenarios, as the Lambda's, but base stays as the app and the publish wrote it.
resource "aws_iam_role" "ecs_task" {
  count              = local.ecs_count
  name               = "ecs-${var.model_name}-task-role"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "ecs_task_s3" {
  count = local.ecs_count
  name  = "ecs-${var.model_name}-s3"
  role  = aws_iam_role.ecs_task[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["s3:ListBucket"]
        Resource = aws_s3_bucket.scenarios.arn
      },
      {
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource = "${aws_s3_bucket.scenarios.arn}/*"
      },
      {
        Effect   = "Deny"
        Action   = ["s3:PutObject", "s3:DeleteObject"]
        Resource = "${aws_s3_bucket.scenarios.arn}/base/*"
      },
    ]
  })
}

# What arn:aws:states:::ecs:runTask.sync needs of the state machine's role: start the family's tasks, watch and
# stop them, pass the two roles, and the managed rule through which Step Functions learns that a task stopped.
resource "aws_iam_role_policy" "sfn_ecs" {
  count = local.ecs_count
  name  = "sfn-${var.model_name}-ecs"
  role  = aws_iam_role.sfn.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["ecs:RunTask"]
        Resource = ["${local.task_definition}:*", local.task_definition]
      },
      {
        Effect   = "Allow"
        Action   = ["ecs:StopTask", "ecs:DescribeTasks"]
        Resource = "*"
        Condition = {
          ArnEquals = { "ecs:cluster" = aws_ecs_cluster.model[0].arn }
        }
      },
      {
        Effect   = "Allow"
        Action   = ["iam:PassRole"]
        Resource = [aws_iam_role.ecs_execution[0].arn, aws_iam_role.ecs_task[0].arn]
      },
      {
        Effect   = "Allow"
        Action   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
        Resource = local.ecs_events_rule
      },
    ]
  })
}
