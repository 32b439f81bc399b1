# The state machine's role may invoke the model's function (created later by the SDK, hence the ARN by name).
resource "aws_iam_role" "sfn" {
  name = "sfn-${var.model_name}-role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "sfn_invoke" {
  name = "sfn-${var.model_name}-invoke"
  role = aws_iam_role.sfn.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = [local.function_arn, "${local.function_arn}:*"]
    }]
  })
}

# A placeholder: the SDK's publish owns the definition (rendered from the model's step-functions.json).
resource "aws_sfn_state_machine" "model" {
  name     = var.model_name
  role_arn = aws_iam_role.sfn.arn
  definition = jsonencode({
    Comment = "Placeholder: dotnet build -t:Publish replaces this definition."
    StartAt = "Placeholder"
    States  = { Placeholder = { Type = "Pass", End = true } }
  })
  tags = var.tags

  lifecycle {
    ignore_changes = [definition]
  }
}
