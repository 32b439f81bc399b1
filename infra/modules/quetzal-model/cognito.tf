# Quenedi users of this model: authenticated identities of the pool may assume this role.
resource "aws_iam_role" "cognito_user" {
  name = "Cognito_quetzal_pool_${var.model_name}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "cognito-identity.amazonaws.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals             = { "cognito-identity.amazonaws.com:aud" = var.cognito_identity_pool_id }
        "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "authenticated" }
      }
    }]
  })
  tags = var.tags
}

# Users read and write scenarios, but base is read-only for them.
resource "aws_iam_policy" "user_s3" {
  name = "s3_read_put_${var.model_name}"
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
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "user_s3" {
  role       = aws_iam_role.cognito_user.name
  policy_arn = aws_iam_policy.user_s3.arn
}

resource "aws_cognito_user_group" "model" {
  count        = var.cognito_user_pool_id == "" ? 0 : 1
  name         = var.model_name
  user_pool_id = var.cognito_user_pool_id
  role_arn     = aws_iam_role.cognito_user.arn
  description  = "Quenedi users of the ${var.model_name} model"
}
