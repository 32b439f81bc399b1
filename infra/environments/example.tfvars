# Written by `dotnet build -t:QuetzalWriteTfvars` from a model's project; this one is an example.
quetzal_model_name       = "quetzal-example"
aws_region               = "ca-central-1"
cors_allowed_origins     = ["https://quenedi.example.org"]
ecr_images_to_keep       = 10
cognito_identity_pool_id = "ca-central-1:00000000-0000-0000-0000-000000000000"
cognito_user_pool_id     = ""
tags                     = { CostCenter = "transport-modelling" }
