using System.Text.Json.Nodes;
using Quetzal.LocalAws;
using static Quetzal.LocalAws.Responses;

// The stand-in for ECR's, Lambda's and Step Functions' control planes (one file per service), and the front that
// gives s3rver S3's conditional writes: every call's SigV4 signature is checked, counted, and dispatched by protocol.
var settings = Settings.FromEnvironment();
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.Build();

var stats = new Stats();
var registry = new Registry(settings);
var ecr = new EcrService(settings, registry);
var stepFunctions = new StepFunctionsService(settings);
var lambda = new LambdaService(settings, stats, registry);
var sts = new StsService(settings);
var conditionalS3 = new ConditionalS3(settings.S3Upstream, stats.Count);
var verifier = new SigV4Verifier(settings.AccessKey, settings.SecretKey);

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

app.Map("/{**path}", async (HttpContext http) =>
{
    using var buffer = new MemoryStream();
    await http.Request.Body.CopyToAsync(buffer);
    var body = buffer.ToArray();
    if (http.Connection.LocalPort == settings.ConditionalS3Port)
    {
        await conditionalS3.ForwardAsync(http, body);
        return Results.Empty;
    }
    var check = verifier.Verify(http.Request, body);
    var target = http.Request.Headers["X-Amz-Target"].ToString();
    if (!check.Ok) return Error(check.Service == "lambda" ? Protocol.Rest : Protocol.Json, 403, check.ErrorType!, check.Message!);

    if (target.Length == 0 && StsService.Handles(http.Request, body))
    {
        stats.Count("STS.GetCallerIdentity");
        return sts.Handle(body);
    }
    if (target.Length > 0)
    {
        var operation = target[(target.IndexOf('.') + 1)..];
        stats.Count(operation);
        var input = body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!.AsObject();
        try
        {
            return target.StartsWith(EcrService.TargetPrefix, StringComparison.Ordinal) ? ecr.Handle(operation, input)
                : target.StartsWith(StepFunctionsService.TargetPrefix, StringComparison.Ordinal) ? stepFunctions.Handle(operation, input)
                : Error(Protocol.Json, 400, "UnknownOperationException", target);
        }
        catch (AwsError e)
        {
            return Error(Protocol.Json, e.Status, e.Type, e.Message);
        }
    }
    try
    {
        return await lambda.HandleAsync(http.Request.Method, http.Request.Path.Value ?? "", body);
    }
    catch (AwsError e)
    {
        return Error(Protocol.Rest, e.Status, e.Type, e.Message);
    }
});

app.Run();
