using System.Text.Json.Nodes;
using Quetzal.Sdk.Diagnostics;
using Quetzal.Sdk.Import;
using Quetzal.Sdk.Tests.Infrastructure;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Tests.Unit;

/// <summary>The import's conversions of the original layout's files.</summary>
public sealed class ModelImportTests : IDisposable
{
    private readonly TempDirectory _dir = new("import");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_original_state_machine_becomes_json_with_the_sdks_placeholders()
    {
        var source = _dir.Write("old/step-functions.json", OriginalLayout.StateMachine("quetzal-lyon"));
        var destination = _dir.Combine("step-functions.json");
        Assert.Empty(ModelImport.ConvertStateMachine(source, destination, "quetzal-lyon"));
        var machine = JsonNode.Parse(File.ReadAllText(destination))!;
        Assert.Equal("arn:aws:lambda:${AwsRegion}:${AwsAccountId}:function:quetzal-api-auth:$LATEST", (string?)machine["States"]!["Authorization"]!["Parameters"]!["FunctionName"]);
        Assert.Equal("${LambdaFunctionArn}", (string?)machine["States"]!["STEP 1"]!["Parameters"]!["FunctionName"]);
        Assert.Equal("${LambdaFunctionArn}", (string?)machine["States"]!["STEP 2"]!["Parameters"]!["FunctionName"]);
        Assert.Equal("STEP 2", (string?)machine["States"]!["STEP 1"]!["Next"]);

        // What the build checks then: that the notebooks are files of the model, and (a warning per Lambda Task) that
        // the original template's Tasks do not retry an idle image function.
        var bag = new DiagnosticBag();
        StateMachineValidator.Validate(destination, _dir.Path, bag);
        Assert.All(bag.Items, d => Assert.Contains(d.Code, new[] { "QTZ2008", "QTZ2014" }));
        Assert.Contains(bag.Items, d => d.Code == "QTZ2014" && d.Message.Contains("Lambda.CodeArtifactUserPendingException"));
    }

    [Theory]
    [InlineData("arn:aws:lambda:eu-west-3:111122223333:function:lyon", "${LambdaFunctionArn}")]
    [InlineData("arn:aws:lambda:eu-west-3:111122223333:function:lyon:$LATEST", "${LambdaFunctionArn}:$LATEST")]
    [InlineData("arn:aws:lambda:eu-west-3:111122223333:function:lyon-other", "arn:aws:lambda:${AwsRegion}:${AwsAccountId}:function:lyon-other")]
    [InlineData("arn:aws:states:eu-west-3:111122223333:stateMachine:x", "arn:aws:states:${AwsRegion}:${AwsAccountId}:stateMachine:x")]
    [InlineData("arn:aws:states:::lambda:invoke", "arn:aws:states:::lambda:invoke")]
    [InlineData("<model_name>", "${ModelName}")]
    [InlineData("notebooks/a.ipynb", "notebooks/a.ipynb")]
    public void Arns_of_the_account_and_placeholders_become_the_sdks(string text, string expected)
        => Assert.Equal(expected, ModelImport.RewriteText(text, "lyon"));

    [Fact]
    public void Comments_go_but_a_hash_inside_a_string_stays()
        => Assert.Equal("{\"a\": \"#1\", \n\"b\": 2 \n}", ModelImport.WithoutComments("{\"a\": \"#1\", # TO EDIT\n\"b\": 2 // note\n}"));

    [Fact]
    public void The_original_dockerfile_yields_its_base_image_and_the_lines_the_generated_one_lacks()
    {
        var path = _dir.Write("Dockerfile", "FROM public.ecr.aws/lambda/python:3.11\nARG QUETZAL_MODEL_NAME\nENV QUETZAL_MODEL_NAME=${QUETZAL_MODEL_NAME}\n"
            + "COPY ./${QUETZAL_MODEL_NAME}/requirements.txt .\nRUN pip install -r requirements.txt --target \"${LAMBDA_TASK_ROOT}\"\n"
            + "RUN yum install -y \\\n    gdal-devel\nENV PATH=\"${PATH}:${LAMBDA_TASK_ROOT}\"\nCOPY ./quetzal ${LAMBDA_TASK_ROOT}/quetzal\nCMD [\"main.handler\"]\n");
        var (image, extra) = ModelImport.ReadDockerfile(path);
        Assert.Equal("public.ecr.aws/lambda/python:3.11", image);
        Assert.Equal(["RUN yum install -y gdal-devel"], extra);
    }

    [Fact]
    public void Env_and_tfvars_values_are_read_as_the_original_scripts_did()
    {
        var env = ModelImport.ReadEnv(_dir.Write(".env", "# names\nQUETZAL_MODEL_NAME=lyon\nexport AWS_ECR_REPO_NAME=\"quetzal-lyon\"\nAWS_BUCKET_NAME=quetzal-lyon # the bucket\n\n"));
        Assert.Equal(("lyon", "quetzal-lyon", "quetzal-lyon"), (env["QUETZAL_MODEL_NAME"], env["AWS_ECR_REPO_NAME"], env["AWS_BUCKET_NAME"]));
        var tfvars = ModelImport.ReadTfvars(_dir.Write("lyon.tfvars", "quetzal_model_name = \"quetzal-lyon\"\nlambda_memory_size = 10240 # max\nlambda_time_limit=600\n"));
        Assert.Equal(("quetzal-lyon", "10240", "600"), (tfvars["quetzal_model_name"], tfvars["lambda_memory_size"], tfvars["lambda_time_limit"]));
    }
}
