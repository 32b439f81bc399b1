data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  # The SDK creates the function with this name and ARN (QuetzalLambdaFunctionName = the model name by default).
  function_name = var.model_name
  function_arn  = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${var.model_name}"
}
