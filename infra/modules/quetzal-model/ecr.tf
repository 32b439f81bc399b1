resource "aws_ecr_repository" "model" {
  name                 = var.model_name
  image_tag_mutability = "MUTABLE"

  encryption_configuration {
    encryption_type = "AES256"
  }

  tags = var.tags
}

# Every publish of a changed model pushes a new image. The images of model versions (tagged v1, v2...: what the Lambda
# versions, task definition revisions and state machine versions run) are removed by the SDK's own retention
# (QuetzalVersionsToKeep), never by this policy: ECR evaluates rules by priority, and "an image that matches the
# tagging requirements of a higher priority rule cannot be expired by a rule with a lower priority". Rule 1 matches
# every image with a tag starting with "v" and expires only beyond 1000 of them, which never happens: a version
# lives while its state machine version does, and Step Functions holds at most 1000 versions of a state machine.
# The other images (content tags q-<hash>, images a version no longer names) are kept by the next rules.
# The model's images are its dependencies' image (tagged deps-<hash>, pushed when the requirements, the library or
# the SDK change) plus a layer of its code; ECR keeps a layer while any image uses it, so expiring an old
# dependencies' image never breaks a model image kept by another rule. The first rule that matches an image decides.
resource "aws_ecr_lifecycle_policy" "model" {
  repository = aws_ecr_repository.model.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Model versions (v<N>): removed by the SDK's retention, never by this policy"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = ["v"]
          countType     = "imageCountMoreThan"
          countNumber   = 1000
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the last 3 dependency images"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = ["deps-"]
          countType     = "imageCountMoreThan"
          countNumber   = 3
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 3
        description  = "Keep the last ${var.ecr_images_to_keep} images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.ecr_images_to_keep
        }
        action = { type = "expire" }
      },
    ]
  })
}
