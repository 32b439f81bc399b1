using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using Quetzal.Sdk.Aws;
using Quetzal.Sdk.Model;
using Quetzal.Sdk.Validation;

namespace Quetzal.Sdk.Publish;

/// <summary>
/// Each published scenario's info.json, which Quenedi shows in its scenario list: <c>model_tag</c> (the image the
/// publish deployed), <c>last_modified_date</c> and <c>last_modified_email</c> when the publish changed the scenario,
/// and <c>description</c> from the project (QuetzalScenario's Description, or the scenario folder's own info.json)
/// when it gives one, else as a user typed it in the app. Written only when one of these changes, so a publish that
/// changes nothing writes nothing.
/// </summary>
public sealed class ScenarioInfoStep : PublishStep<ScenarioInfoStep.Plan>
{
    public sealed record Plan(bool HasWrites, IReadOnlyList<string> Lines, IReadOnlyList<(string Key, string Body)> Writes) : StepPlan(HasWrites, Lines);

    public override async Task<Plan> PlanAsync(PublishContext context, CancellationToken cancellation)
    {
        var request = context.Request;
        var writes = new List<(string, string)>();
        var lines = new List<string>();
        foreach (var scenario in request.Scenarios)
        {
            var key = $"{Scenarios.Key(scenario)}/{ScenarioFiles.Info}";
            var remote = await ReadAsync(context.Clients.S3, request.Names.BucketName, key, cancellation);
            var local = ReadLocal(Path.Combine(request.ScenariosDirectory, scenario, ScenarioFiles.Info));
            var wanted = (JsonObject)(remote ?? local ?? new JsonObject()).DeepClone();
            var description = request.Descriptions.GetValueOrDefault(scenario) ?? (string?)local?["description"];
            var changedFiles = context.ScenarioPlans?.FirstOrDefault(p => p.Scenario == scenario)?.HasWrites == true;
            var reasons = new List<string>();
            if (changedFiles) reasons.Add("its files changed");
            if (context.ModelTag is { } tag && (string?)wanted["model_tag"] != tag)
            {
                wanted["model_tag"] = tag;
                reasons.Add($"model_tag {tag}");
            }
            if (description is not null && (string?)wanted["description"] != description)
            {
                wanted["description"] = description;
                reasons.Add("description");
            }
            if (reasons.Count == 0) continue;
            wanted["last_modified_date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            if (request.UserEmail is { } email) wanted["last_modified_email"] = email;
            writes.Add((key, wanted.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
            lines.Add($"S3 (plan) {key}: would write ({string.Join(", ", reasons)})");
        }
        return new Plan(writes.Count > 0, lines, writes);
    }

    public override async Task<IReadOnlyList<string>> ApplyAsync(PublishContext context, Plan plan, CancellationToken cancellation)
    {
        var lines = new List<string>();
        foreach (var (key, body) in plan.Writes)
        {
            var put = new PutObjectRequest
            {
                BucketName = context.Request.Names.BucketName, Key = key, ContentBody = body, ContentType = "application/json",
                UseChunkEncoding = context.Clients.S3Profile.ChunkedBodies,
            };
            ScenarioPublisher.AddMetadata(put.Metadata, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body))), context.Request.UserEmail);
            await context.Clients.S3.PutObjectAsync(put, cancellation);
            lines.Add($"S3 {key}: written");
        }
        return lines;
    }

    private static async Task<JsonObject?> ReadAsync(IAmazonS3 s3, string bucket, string key, CancellationToken cancellation)
    {
        try
        {
            using var response = await s3.GetObjectAsync(bucket, key, cancellation);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            return Parse(await reader.ReadToEndAsync(cancellation));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static JsonObject? ReadLocal(string path) => File.Exists(path) ? Parse(File.ReadAllText(path)) : null;

    /// <summary>An info.json that is not an object (damaged, or not Quenedi's) counts as none: the publish writes a good one.</summary>
    private static JsonObject? Parse(string text)
    {
        try { return JsonNode.Parse(text) as JsonObject; }
        catch (JsonException) { return null; }
    }
}
