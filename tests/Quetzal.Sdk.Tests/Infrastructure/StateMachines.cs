using System.Text.Json.Nodes;
using Quetzal.Sdk.Aws;

namespace Quetzal.Sdk.Tests.Infrastructure;

/// <summary>What the tests check independently of how the SDK addresses a state machine: finding it by name in the listing.</summary>
public static class StateMachines
{
    public static async Task<string?> FindArnAsync(AwsSettings settings, string name)
    {
        using var http = new AwsHttpClient(settings, AwsService.StepFunctions);
        string? next = null;
        do
        {
            var input = new JsonObject { ["maxResults"] = 1000 };
            if (next is not null) input["nextToken"] = next;
            var page = await http.PostTargetAsync("AWSStepFunctions", "ListStateMachines", input, "1.0", default);
            foreach (var machine in page["stateMachines"]?.AsArray() ?? [])
                if ((string?)machine!["name"] == name) return (string)machine["stateMachineArn"]!;
            next = (string?)page["nextToken"];
        }
        while (next is not null);
        return null;
    }
}
