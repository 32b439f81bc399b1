using System.Text.Json;
using System.Text.Json.Nodes;
using Quetzal.LocalAws;
using static Quetzal.LocalAws.Responses;

// The stand-in for ECR's, Lambda's, Step Functions' and ECS's (task definitions) control planes (one file per service), and the front that
// gives s3rver S3's conditional writes: every call's SigV4 signature is checked, counted, and dispatched by protocol.
var settings = Settings.FromEnvironment();
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();

var stats = new Stats();
var registry = new Registry(settings);
var ecr = new EcrService(settings, registry);
var stepFunctions = new StepFunctionsService(settings);
var ecs = new EcsService(settings);
var lambda = new LambdaService(settings, stats, registry);
var sts = new StsService(settings);
var faults = new Faults();
stepFunctions.Executions = new Executions(settings, stepFunctions.Find, lambda, ecs, new Containers(settings), faults);
var conditionalS3 = new ConditionalS3(settings.S3Upstream, stats.Count);
var verifier = new SigV4Verifier(settings.AccessKey, settings.SecretKey);
// Every request is checked against the service models the AWS SDKs are generated from: no model, no stand-in.
ServiceModel Model(string service) => ServiceModel.Load(settings.ServiceModels, service)
    ?? throw new InvalidOperationException($"No AWS service model for {service} under {settings.ServiceModels} (QUETZAL_LOCAL_SERVICE_MODELS): install python3-botocore.");
var ecrModel = Model("ecr");
var lambdaModel = Model("lambda");
var sfnModel = Model("stepfunctions");
var ecsModel = Model("ecs");

app.MapGet("/_local/health", () => Results.Ok("ok"));
app.MapGet("/_local/stats", () => Results.Json(stats.Counts.ToDictionary(p => p.Key, p => p.Value)));
app.MapPost("/_local/reset-stats", () => { stats.Counts.Clear(); return Results.Ok(); });
// Tests put a fault-injecting proxy between the Docker engine and the registry: the repository's URI then names the
// proxy (the engine pushes where the URI says), while this control plane keeps reading the registry directly.
app.MapPost("/_local/repository-host", (string repository, string host) =>
{
    if (!ecr.Repositories.TryGetValue(repository, out var found)) return Results.NotFound();
    found["repositoryUri"] = $"{host}/{repository}";
    return Results.Ok();
});

// Tests make a function Inactive, as Lambda does with one unused for weeks.
app.MapPost("/_local/deactivate", (string function) =>
{
    if (!lambda.Functions.TryGetValue(function, out var found)) return Results.NotFound();
    found.Deactivate();
    return Results.Ok();
});

// Tests make the next invocations of a function, or RunTasks of a task definition family, fail as AWS's everyday faults do.
app.MapPost("/_local/fault", (string target, string error, int count) =>
{
    faults.Arm(target, error, count);
    return Results.Ok();
});

app.Map("/{**path}", async (HttpContext http) =>
{
    using var buffer = new MemoryStream();
    await http.Request.Body.CopyToAsync(buffer);
    var body = buffer.ToArray();
    if (http.Connection.LocalPort == settings.ConditionalS3Port || http.Connection.LocalPort == settings.ContainerS3.Port)
    {
        await conditionalS3.ForwardAsync(http, body);
        return Results.Empty;
    }
    var check = verifier.Verify(http.Request, body);
    var target = http.Request.Headers["X-Amz-Target"].ToString();
    var isSts = target.Length == 0 && StsService.Handles(http.Request, body);
    var (service, protocol) = target.StartsWith(EcrService.TargetPrefix, StringComparison.Ordinal) ? ("ecr", Protocol.Json)
        : target.StartsWith(StepFunctionsService.TargetPrefix, StringComparison.Ordinal) ? ("states", Protocol.Json)
        : target.StartsWith(EcsService.TargetPrefix, StringComparison.Ordinal) ? ("ecs", Protocol.Json)
        : isSts ? ("sts", Protocol.Json) : target.Length > 0 ? ("", Protocol.Json) : ("lambda", Protocol.Rest);
    if (!check.Ok) return Error(protocol, 403, check.ErrorType!, check.Message!);
    // As AWS: a signature is for one service in one region.
    if (service.Length > 0 && check.Service != service)
        return Error(protocol, 403, "InvalidSignatureException", $"Credential should be scoped to correct service: '{service}'.");
    if (check.Region != settings.Region)
        return Error(protocol, 403, "InvalidSignatureException", $"Credential should be scoped to a valid region: '{settings.Region}'.");

    if (isSts)
    {
        stats.Count("STS.GetCallerIdentity");
        return sts.Handle(body);
    }
    if (target.Length > 0)
    {
        var operation = target[(target.IndexOf('.') + 1)..];
        var model = service switch { "ecr" => ecrModel, "states" => sfnModel, "ecs" => ecsModel, _ => null };
        if (model is null || !model.Has(operation)) return Error(Protocol.Json, 400, "UnknownOperationException", target);
        stats.Count(operation);
        JsonObject input;
        try { input = body.Length == 0 ? new JsonObject() : JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object"); }
        catch (JsonException) { return Error(Protocol.Json, 400, "SerializationException", "The request body is not a JSON object"); }
        if (model.Validate(operation, input) is { } invalid) return Error(Protocol.Json, 400, "ValidationException", invalid);
        try
        {
            return service switch { "ecr" => ecr.Handle(operation, input), "ecs" => ecs.Handle(operation, input), _ => stepFunctions.Handle(operation, input) };
        }
        catch (AwsError e)
        {
            return Error(Protocol.Json, e.Status, e.Type, e.Message);
        }
    }
    var path = http.Request.Path.Value ?? "";
    if (lambdaModel.Route(http.Request.Method, path) is not var (lambdaOperation, labels))
        return Error(Protocol.Rest, 404, "UnknownOperationException", $"{http.Request.Method} {path}");
    JsonObject lambdaInput;
    try { lambdaInput = body.Length == 0 ? new JsonObject() : JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object"); }
    catch (JsonException) { return Error(Protocol.Rest, 400, "SerializationException", "The request body is not a JSON object"); }
    if (lambdaModel.Validate(lambdaOperation, lambdaInput, labels) is { } lambdaInvalid) return Error(Protocol.Rest, 400, "ValidationException", lambdaInvalid);
    try
    {
        return await lambda.HandleAsync(http.Request.Method, path, body, http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()));
    }
    catch (AwsError e)
    {
        return Error(Protocol.Rest, e.Status, e.Type, e.Message);
    }
});

app.Run();
