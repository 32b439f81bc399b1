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
    public void The_original_dockerfile_yields_its_base_image_its_library_and_its_system_packages()
    {
        var path = _dir.Write("Dockerfile", "FROM public.ecr.aws/lambda/python:3.11\nARG QUETZAL_MODEL_NAME\nENV QUETZAL_MODEL_NAME=${QUETZAL_MODEL_NAME}\n"
            + "COPY ./${QUETZAL_MODEL_NAME}/requirements.txt .\nRUN pip install -r requirements.txt --target \"${LAMBDA_TASK_ROOT}\"\n"
            + "RUN yum install -y \\\n    gdal-devel\nENV PATH=\"${PATH}:${LAMBDA_TASK_ROOT}\"\nCOPY ./quetzal ${LAMBDA_TASK_ROOT}/quetzal\nCMD [\"main.handler\"]\n");
        var read = ModelImport.ReadDockerfileLines(path);
        Assert.Equal("public.ecr.aws/lambda/python:3.11", read.BaseImage);
        Assert.Equal(["gdal-devel"], read.SystemPackages);
        Assert.Equal("./quetzal", read.Library?.Source);
        Assert.Empty(read.Extra);
    }

    [Fact]
    public void Env_and_tfvars_values_are_read_as_the_original_scripts_did()
    {
        var env = ModelImport.ReadEnv(_dir.Write(".env", "# names\nQUETZAL_MODEL_NAME=lyon\nexport AWS_ECR_REPO_NAME=\"quetzal-lyon\"\nAWS_BUCKET_NAME=quetzal-lyon # the bucket\n\n"));
        Assert.Equal(("lyon", "quetzal-lyon", "quetzal-lyon"), (env["QUETZAL_MODEL_NAME"], env["AWS_ECR_REPO_NAME"], env["AWS_BUCKET_NAME"]));
        var tfvars = ModelImport.ReadTfvars(_dir.Write("lyon.tfvars", "quetzal_model_name = \"quetzal-lyon\"\nlambda_memory_size = 10240 # max\nlambda_time_limit=600\n"));
        Assert.Equal(("quetzal-lyon", "10240", "600"), (tfvars["quetzal_model_name"], tfvars["lambda_memory_size"], tfvars["lambda_time_limit"]));
    }

    /// <summary>A scaffolded project to import into: the template's defaults (the request's "current" values).</summary>
    private ImportRequest Request(string from, string? tfvars = null)
    {
        var project = File.Exists(_dir.Combine("new", "m.quetzalproj")) ? _dir.Combine("new", "m.quetzalproj") : _dir.Write("new/m.quetzalproj", "<Project Sdk=\"Quetzal.Sdk\">\n  <PropertyGroup>\n    <QuetzalModelName>m</QuetzalModelName>\n  </PropertyGroup>\n</Project>\n");
        return new ImportRequest(from, _dir.Combine("new"), project, tfvars, "m", "ca-central-1", 3008, 300, 4096, "public.ecr.aws/lambda/python:3.12");
    }

    [Fact]
    public void A_dockerfile_of_the_original_template_comes_in_as_settings_and_the_quetzal_library_beside_the_model_is_found()
    {
        var old = _dir.Combine("models", "lyon");
        OriginalLayout.Write(old, "quetzal-lyon", "public.ecr.aws/lambda/python:3.11", Path.Combine(Repository.TemplateContent, "scenarios", "base"));
        _dir.Write("models/quetzal/quetzal/__init__.py", "");
        File.WriteAllText(Path.Combine(old, "Dockerfile"), File.ReadAllText(Path.Combine(old, "Dockerfile")).Replace("RUN mkdir -p /opt/quetzal-data",
            "RUN yum install -y gdal gdal-devel && yum clean all\nENV GDAL_DATA=/usr/share/gdal PROJ_LIB=\"/usr/share/proj\"\nRUN pip install --no-cache-dir pyproj==3.6.1"));
        var log = new ListLog();

        var diagnostics = ModelImport.Run(Request(old), log);

        Assert.DoesNotContain(diagnostics, d => d.Code == "QTZ1403");
        Assert.False(File.Exists(_dir.Combine("new", "Dockerfile"))); // the generated one covers it all
        var project = File.ReadAllText(_dir.Combine("new", "m.quetzalproj"));
        Assert.Contains("<QuetzalLibraryPath>../models/quetzal</QuetzalLibraryPath>", project);
        Assert.Contains("<QuetzalSystemPackages>gdal gdal-devel</QuetzalSystemPackages>", project);
        Assert.Contains("<QuetzalImageEnvironment>GDAL_DATA=/usr/share/gdal;PROJ_LIB=/usr/share/proj</QuetzalImageEnvironment>", project);
        Assert.Contains("<QuetzalBaseImage>public.ecr.aws/lambda/python:3.11</QuetzalBaseImage>", project);
        Assert.EndsWith("pyproj==3.6.1\n", File.ReadAllText(_dir.Combine("new", "requirements.txt")));
        // The summary names what became of each line.
        var summary = string.Join("\n", log.Lines);
        Assert.Contains("COPY ./quetzal ${LAMBDA_TASK_ROOT}/quetzal: QuetzalLibraryPath = ../models/quetzal", summary);
        Assert.Contains("COPY ./quetzal/docker/main.py ${LAMBDA_TASK_ROOT}: the original handler: the SDK's runner (quetzal_handler) replaces it", summary);
        Assert.Contains("RUN yum install -y gdal gdal-devel && yum clean all: QuetzalSystemPackages = gdal gdal-devel", summary);
        Assert.Contains(".env AWS_SECRET_ACCESS_KEY: left behind (QTZ1404)", summary);
        Assert.Contains("Dockerfile.dockerignore: not needed", summary);

        // Twice: the same project, requirements.txt not appended again.
        var requirements = File.ReadAllText(_dir.Combine("new", "requirements.txt"));
        ModelImport.Run(Request(old) with { LibraryPath = "../models/quetzal" }, new ListLog());
        Assert.Equal(project, File.ReadAllText(_dir.Combine("new", "m.quetzalproj")));
        Assert.Equal(requirements, File.ReadAllText(_dir.Combine("new", "requirements.txt")));
    }

    [Fact]
    public void A_library_the_original_dockerfile_copied_from_a_missing_folder_is_QTZ1405_naming_the_folder()
    {
        var old = _dir.Combine("models", "lyon");
        OriginalLayout.Write(old, "quetzal-lyon", "public.ecr.aws/lambda/python:3.11", Path.Combine(Repository.TemplateContent, "scenarios", "base"));

        var diagnostics = ModelImport.Run(Request(old), new ListLog());

        var missing = Assert.Single(diagnostics, d => d.Code == "QTZ1405");
        Assert.Contains(_dir.Combine("models", "quetzal"), missing.Message);
        Assert.Contains("set QuetzalLibraryPath", missing.Message);
        Assert.DoesNotContain("QuetzalLibraryPath", File.ReadAllText(_dir.Combine("new", "m.quetzalproj")));
    }

    [Fact]
    public void A_line_no_setting_covers_keeps_a_dockerfile_and_the_warning_says_what_the_user_gives_up()
    {
        var old = _dir.Combine("models", "lyon");
        OriginalLayout.Write(old, "quetzal-lyon", "public.ecr.aws/lambda/python:3.11", Path.Combine(Repository.TemplateContent, "scenarios", "base"));

        var diagnostics = ModelImport.Run(Request(old), new ListLog());

        var kept = Assert.Single(diagnostics, d => d.Code == "QTZ1403");
        Assert.Contains("RUN mkdir -p /opt/quetzal-data", kept.Message);
        Assert.Contains("QuetzalBaseImage no longer applies", kept.Message);
        Assert.Contains("Docker engine", kept.Message);
        Assert.Contains("RUN mkdir -p /opt/quetzal-data", File.ReadAllText(_dir.Combine("new", "Dockerfile")));
    }

    [Fact]
    public void A_container_models_tfvars_become_the_fargate_settings_and_its_steps_run_on_fargate()
    {
        var old = _dir.Combine("models", "lyon");
        var tfvars = OriginalLayout.Write(old, "quetzal-lyon", "public.ecr.aws/lambda/python:3.12", Path.Combine(Repository.TemplateContent, "scenarios", "base"));
        File.WriteAllText(tfvars, "quetzal_model_name = \"quetzal-lyon\"\n# lambda_memory_size = 10240\necs_cpu_units = 1024\necs_memory_size = 4096\necs_time_limit = 10\necs_storage_size = 21\n"
            + "cors_origins = [\"https://quenedi.example\"]\nbudget = \"team\"\n");
        var log = new ListLog();

        var diagnostics = ModelImport.Run(Request(old, tfvars), log);

        var project = File.ReadAllText(_dir.Combine("new", "m.quetzalproj"));
        foreach (var setting in new[] { "<QuetzalEcsCpu>1024</QuetzalEcsCpu>", "<QuetzalEcsMemory>4096</QuetzalEcsMemory>", "<QuetzalEcsTimeLimit>10</QuetzalEcsTimeLimit>", "<QuetzalEcsStorage>21</QuetzalEcsStorage>" })
            Assert.Contains(setting, project);
        Assert.DoesNotContain("QuetzalLambdaMemorySize", project); // commented out in the tfvars
        var machine = JsonNode.Parse(File.ReadAllText(_dir.Combine("new", "step-functions.json")))!["States"]!;
        foreach (var step in new[] { "STEP 1", "STEP 2" })
        {
            Assert.Equal("arn:aws:states:::ecs:runTask.sync", (string?)machine[step]!["Resource"]);
            Assert.Equal("{\"notebook_path\":\"notebooks/transport/" + (step == "STEP 1" ? "A10_STEP_1" : "A20_STEP_2") + ".ipynb\"}", machine[step]!["Parameters"]!.ToJsonString());
            Assert.Null(machine[step]!["OutputPath"]);
            Assert.Contains("ECS.AmazonECSException", machine[step]!["Retry"]!.ToJsonString());
            Assert.DoesNotContain("Lambda.", machine[step]!["Retry"]!.ToJsonString());
        }
        Assert.Equal("arn:aws:states:::lambda:invoke", (string?)machine["Authorization"]!["Resource"]); // another function: stays on Lambda
        // Every variable either arrives or is named in a warning.
        Assert.Contains(diagnostics, d => d.Code == "QTZ1406" && d.Message.Contains("cors_origins"));
        Assert.Contains(diagnostics, d => d.Code == "QTZ1406" && d.Message.Contains("budget = team"));
        Assert.Contains(log.Lines, l => l.Contains("QuetzalEcsSubnets"));
        Assert.Contains(log.Lines, l => l.Contains("on Fargate, as the container model ran them: STEP 1, STEP 2"));

        // What the build then says of it: a Fargate model without a network (QTZ1010), nothing else of Fargate.
        var bag = new DiagnosticBag();
        StateMachineValidator.Validate(_dir.Combine("new", "step-functions.json"), _dir.Combine("new"), bag);
        Assert.DoesNotContain(bag.Items, d => d.Code == "QTZ2014" && d.Message.Contains("STEP")); // the Fargate steps retry RunTask's fault
    }

    [Fact]
    public void An_env_key_the_sdk_has_no_setting_for_is_named_in_a_warning()
    {
        var old = _dir.Combine("models", "lyon");
        OriginalLayout.Write(old, "quetzal-lyon", "public.ecr.aws/lambda/python:3.12", Path.Combine(Repository.TemplateContent, "scenarios", "base"));
        File.AppendAllText(Path.Combine(old, ".env"), "QUENEDI_THEME=dark\n");

        var diagnostics = ModelImport.Run(Request(old), new ListLog());

        var dropped = Assert.Single(diagnostics, d => d.Code == "QTZ1406");
        Assert.Contains("QUENEDI_THEME", dropped.Message);
        Assert.Equal(Path.Combine(old, ".env"), dropped.File);
    }
}
