#!/usr/bin/env bash
# update-lambda.sh <function> <image uri:tag>: points the function at the image (no wait, as the original).
set -euo pipefail
aws lambda update-function-code --function-name "$1" --image-uri "$2" --endpoint-url "$AWS_ENDPOINT_URL_LAMBDA" > /dev/null
