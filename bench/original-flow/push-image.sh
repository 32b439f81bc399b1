#!/usr/bin/env bash
# push-image.sh <folder above the model> <model folder name> <repository uri> <tag>: build, login, tag, push.
set -euo pipefail
parent=$1 model=$2 uri=$3 tag=$4
docker build -q -f "$parent/$model/Dockerfile" --build-arg "QUETZAL_MODEL_NAME=$model" -t "$model:$tag" "$parent" > /dev/null
aws ecr get-login-password --endpoint-url "$AWS_ENDPOINT_URL_ECR" | docker login --username AWS --password-stdin "${uri%%/*}" > /dev/null 2>&1
docker tag "$model:$tag" "$uri:$tag"
docker push -q "$uri:$tag" > /dev/null
