resource "aws_ecr_repository" "model" {
  name                 = var.model_name
  image_tag_mutability = "MUTABLE"

  encryption_configuration {
    encryption_type = "AES256"
  }

  tags = var.tags
}

# Every publish of a changed model pushes a new image: keep the last few, so that a rollback stays possible.
# The model's images are its dependencies' image (tagged deps-<hash>, pushed when the requirements, the library or
# the SDK change) plus a layer of its code; ECR keeps a layer while any image uses it, so expiring an old
# dependencies' image never breaks a model image kept by the second rule. The first rule that matches an image decides.
resource "aws_ecr_lifecycle_policy" "model" {
  repository = aws_ecr_repository.model.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
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
        rulePriority = 2
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
