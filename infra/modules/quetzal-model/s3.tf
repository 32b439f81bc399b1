# One bucket per model; each top-level prefix is a scenario, base first.
resource "aws_s3_bucket" "scenarios" {
  bucket = var.model_name
  tags   = var.tags
}

resource "aws_s3_bucket_public_access_block" "scenarios" {
  bucket                  = aws_s3_bucket.scenarios.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# Quenedi reads and writes scenarios from the browser.
resource "aws_s3_bucket_cors_configuration" "scenarios" {
  bucket = aws_s3_bucket.scenarios.id

  cors_rule {
    allowed_headers = ["*"]
    allowed_methods = ["GET", "HEAD", "PUT", "POST", "DELETE"]
    allowed_origins = var.cors_allowed_origins
    expose_headers  = ["ETag", "x-amz-meta-user_email", "x-amz-meta-checksum"]
    max_age_seconds = 3000
  }
}
