namespace Quetzal.Sdk.Tests.Infrastructure;

/// <summary>
/// A model folder of the original layout, as the original guide's templates made one and its users filled it in
/// (shared/reference/deploy-facts.md): .env, a Dockerfile for the parent-folder context, its ignore file, a
/// step-functions.json that is not JSON, requirements.txt, notebooks, scenarios; and the infra's tfvars.
/// </summary>
public static class OriginalLayout
{
    public static string StateMachine(string functionName, string account = "123456789012") => $$"""
        {
          "Comment": "Quetzal model",
          "StartAt": "Authorization",
          "States": {
            "Authorization": {
              "Type": "Task",
              "Resource": "arn:aws:states:::lambda:invoke",
              "OutputPath": "$.Payload",
              "Parameters": {
                "FunctionName": "arn:aws:lambda:ca-central-1:{{account}}:function:quetzal-api-auth:$LATEST",
                "Payload": {
                  "authorization.$": "$.authorization",
                  "model": "{{functionName}}",
                  "choice.$": "$.choice",
                  "scenario_path_S3.$": "$.scenario_path_S3",
                  "launcher_arg.$": "$.launcher_arg",
                  "metadata.$": "$.metadata"
                }
              },
              "Next": "STEP 1"
            },
            "STEP 1": { # TO EDIT
              "Type": "Task",
              "Resource": "arn:aws:states:::lambda:invoke",
              "OutputPath": "$.Payload",
              "Parameters": {
                "FunctionName": <LAMBDA-FUNCTION-ARN>,
                "Payload": {
                  "notebook_path": "notebooks/transport/A10_STEP_1.ipynb", # TO EDIT
                  "scenario_path_S3.$": "$.scenario_path_S3",
                  "launcher_arg.$": "$.launcher_arg",
                  "metadata.$": "$.metadata"
                }
              },
              "Retry": [
                {
                  "ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"],
                  "IntervalSeconds": 2,
                  "MaxAttempts": 6,
                  "BackoffRate": 2
                }
              ],
              "Next": "STEP 2" # TO EDIT
            },
            "STEP 2": {
              "Type": "Task",
              "Resource": "arn:aws:states:::lambda:invoke",
              "OutputPath": "$.Payload",
              "Parameters": {
                "FunctionName": "arn:aws:lambda:ca-central-1:{{account}}:function:{{functionName}}",
                "Payload": {
                  "notebook_path": "notebooks/transport/A20_STEP_2.ipynb",
                  "scenario_path_S3.$": "$.scenario_path_S3",
                  "launcher_arg.$": "$.launcher_arg",
                  "metadata.$": "$.metadata"
                }
              },
              "End": true
            }
          }
        }
        """;

    /// <summary>Writes the model folder <paramref name="folder"/> and returns the path of its tfvars (10240 MB, 600 s, as most production models).</summary>
    public static string Write(string folder, string modelName, string baseImage, string templateScenario)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, ".env"), $"QUETZAL_MODEL_NAME={Path.GetFileName(folder)}\nAWS_ECR_REPO_NAME={modelName}\nAWS_LAMBDA_FUNCTION_NAME={modelName}\nAWS_BUCKET_NAME={modelName}\n# for local tests\nAWS_ACCESS_KEY_ID=AKIAOLDKEY\nAWS_SECRET_ACCESS_KEY=old-secret\n");
        File.WriteAllText(Path.Combine(folder, "Dockerfile"), $"""
            FROM {baseImage}
            ARG QUETZAL_MODEL_NAME
            ENV QUETZAL_MODEL_NAME=${"{"}QUETZAL_MODEL_NAME{"}"}
            COPY ./${"{"}QUETZAL_MODEL_NAME{"}"}/requirements.txt .
            RUN pip install -r requirements.txt --target "${"{"}LAMBDA_TASK_ROOT{"}"}"
            ENV PATH="${"{"}PATH{"}"}:${"{"}LAMBDA_TASK_ROOT{"}"}"
            ENV PYTHONPATH="${"{"}PYTHONPATH{"}"}:${"{"}LAMBDA_TASK_ROOT{"}"}"
            RUN mkdir -p /opt/quetzal-data
            COPY ./quetzal ${"{"}LAMBDA_TASK_ROOT{"}"}/quetzal
            COPY ./quetzal/docker/main.py ${"{"}LAMBDA_TASK_ROOT{"}"}
            COPY ./${"{"}QUETZAL_MODEL_NAME{"}"} ${"{"}LAMBDA_TASK_ROOT{"}"}
            CMD ["main.handler"]
            """);
        File.WriteAllText(Path.Combine(folder, "Dockerfile.dockerignore"), "**__pycache__**\n**/*.pyc\n**.cache**\n**/*.ipynb_checkpoints*\n**/*.DS_store*\nquetzal/.git\nlyon/scenarios\n");
        File.WriteAllText(Path.Combine(folder, "step-functions.json"), StateMachine(modelName));
        File.WriteAllText(Path.Combine(folder, "requirements.txt"), "# The model's packages (pip chill)\n");
        Directory.CreateDirectory(Path.Combine(folder, "notebooks", "transport"));
        File.WriteAllText(Path.Combine(folder, "notebooks", "transport", "A10_STEP_1.ipynb"), Stack.HandlerTests.Notebook("print('step 1 of the imported model')"));
        File.WriteAllText(Path.Combine(folder, "notebooks", "transport", "A20_STEP_2.ipynb"), Stack.HandlerTests.Notebook("print('step 2 of the imported model')"));
        TempDirectory.CopyDirectory(templateScenario, Path.Combine(folder, "scenarios", "base"));
        var tfvars = Path.Combine(Path.GetDirectoryName(folder)!, modelName + ".tfvars");
        File.WriteAllText(tfvars, $"quetzal_model_name      = \"{modelName}\"\nlambda_memory_size      = 10240\nlambda_time_limit       = 600\nlambda_storage_size     = 10240\n");
        return tfvars;
    }

    /// <summary>Every file below a folder with its content's hash: what must not change.</summary>
    public static Dictionary<string, string> Snapshot(string folder)
        => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
